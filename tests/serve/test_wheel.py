"""The built wheel, installed in a fresh environment without the development dependencies,
serves: the web's health on one port, a door decision on the other."""

from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest
from bench.loadgen import free_port

ROOT = Path(__file__).resolve().parents[2]
UV = ROOT / ".uv" / "bin" / "uv"
pytestmark = pytest.mark.slow


def _run(*args: str | Path, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], capture_output=True, text=True, env=env, check=False, cwd=ROOT
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


def test_the_wheel_serves_without_the_development_dependencies(tmp_path: Path) -> None:
    if not UV.exists():
        pytest.skip("uv is installed by `make env`")
    _run(UV, "build", "--wheel", "--out-dir", tmp_path / "dist", "--quiet")
    wheel = next((tmp_path / "dist").glob("cordon-*.whl"))
    venv = tmp_path / "venv"
    _run(UV, "venv", "--quiet", "--python", "python3", venv)
    pins = tmp_path / "requirements.txt"
    pins.write_text(
        _run(UV, "export", "--no-dev", "--frozen", "--no-hashes", "--no-emit-project", "--quiet")
    )
    env = {**os.environ, "VIRTUAL_ENV": str(venv)}
    _run(UV, "pip", "install", "--quiet", "-r", pins, wheel, env=env)
    python = venv / "bin" / "python"
    for dev_only in ("pytest", "hypothesis", "schemathesis"):
        probe = subprocess.run([python, "-c", f"import {dev_only}"], capture_output=True)
        assert probe.returncode != 0, f"{dev_only} is installed"
    cordon = venv / "bin" / "cordon"
    served = {
        **{k: v for k, v in os.environ.items() if not k.startswith("CORDON_")},
        "CORDON_DATABASE_URL": f"sqlite:///{tmp_path / 'store.db'}",
    }
    _run(cordon, "init", env=served)
    _run(cordon, "user", "add", "airlock", "--role", "door", "--no-password", env=served)
    secret = json.loads(_run(cordon, "token", "create", "airlock", "--json", env=served))["secret"]
    web, doors = free_port(), free_port()
    log = (tmp_path / "serve.log").open("wb")
    process = subprocess.Popen(
        [cordon, "serve", "--port", str(web), "--doors-port", str(doors)],
        env=served, stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()[-2000:]
            try:
                health = httpx.get(f"http://127.0.0.1:{web}/api/v1/health", timeout=2)
                decided = httpx.post(
                    f"http://127.0.0.1:{doors}/api/v1/access/decide",
                    json={"person": "nobody", "door": "nowhere"},
                    headers={"Authorization": f"Bearer {secret}"},
                    timeout=5,
                )
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()[-2000:]
                time.sleep(0.3)
        assert health.status_code == 200 and health.json()["status"] == "ok", health.text
        assert decided.status_code == 200, decided.text
        assert decided.json()["allowed"] is False and "unknown door" in decided.json()["reason"]
    finally:
        process.terminate()
        process.wait(60)
