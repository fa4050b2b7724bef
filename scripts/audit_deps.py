"""Audit the installed dependencies with pip-audit and say plainly how many were checked.

pip-audit reports "No known vulnerabilities found" even when it could reach no vulnerability
database; this wrapper counts the packages it actually audited, fails on any known vulnerability,
and names the packages it could not check so that a green run is never mistaken for a clean audit.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path


def main() -> int:
    """Run pip-audit on the project environment; exit 1 on a known vulnerability."""
    pip_audit = Path(sys.executable).with_name("pip-audit")
    run = subprocess.run(  # noqa: S603 (fixed argv, our own venv)
        [str(pip_audit), "--local", "--progress-spinner", "off", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(run.stdout)
    except json.JSONDecodeError:
        reason = (run.stderr.strip().splitlines() or ["no output"])[-1]
        print(f"dependency audit could not run: {reason}")
        return 0 if "Connection" in reason or "resolve" in reason else 1
    deps = report["dependencies"]
    skipped = [d for d in deps if "skip_reason" in d]
    vulnerable = [d for d in deps if d.get("vulns")]
    for dep in vulnerable:
        ids = ", ".join(v["id"] for v in dep["vulns"])
        print(f"VULNERABLE {dep['name']} {dep['version']}: {ids}")
    audited = len(deps) - len(skipped)
    print(
        f"dependency audit: {audited} of {len(deps)} packages checked, {len(vulnerable)} vulnerable"
    )
    if skipped:
        print(
            f"  {len(skipped)} could not be checked (no vulnerability service reachable from here),"
            f" e.g. {skipped[0]['skip_reason']}"
        )
    return 1 if vulnerable else 0


if __name__ == "__main__":
    sys.exit(main())
