"""The curated public API: what __all__ promises, importable, connecting to nothing at import."""

from __future__ import annotations

import subprocess
import sys

import cordon


def test_public_names_are_exactly_the_curated_list() -> None:
    assert sorted(cordon.__all__) == cordon.__all__
    missing = [name for name in cordon.__all__ if not hasattr(cordon, name)]
    assert missing == []
    public_modules = {n for n in dir(cordon) if not n.startswith("_") and n not in cordon.__all__}
    assert public_modules <= {
        "api",
        "cli",
        "config",
        "doors",
        "domain",
        "engine",
        "errors",
        "formats",
        "logs",
        "notify",
        "runtime",
        "scenarios",
        "serve",
        "services",
        "store",
        "times",
        "web",
        "worker",
    }


def test_every_error_descends_from_the_root() -> None:
    errors = [
        getattr(cordon, n)
        for n in cordon.__all__
        if n.endswith(("Error", "Refused", "Found", "Denied", "Value", "Ready", "Unavailable"))
    ]
    classes = [e for e in errors if isinstance(e, type) and issubclass(e, Exception)]
    assert len(classes) >= 10
    assert all(issubclass(e, cordon.CordonError) for e in classes)
    assert all(
        e.__name__
        in (cordon.CordonError.__doc__ or "") + (sys.modules["cordon.errors"].__doc__ or "")
        for e in classes
    )


def test_importing_cordon_opens_no_database(tmp_path) -> None:
    code = "import cordon, cordon.cli; import os; print(sorted(os.listdir('.')))"
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"
