"""Security promises not covered elsewhere: headers on every answer, sign-in throttled over HTTP,
no clinical data in the logs, SQL only through bound parameters."""

from __future__ import annotations

import ast
import logging
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cordon.domain.roles import UserRole
from cordon.runtime.throttle import LADDERS
from cordon.services import accounts
from cordon.store.db import Store
from tests.api.conftest import PASSWORD, ROOT, bearer
from tests.api.test_role_matrix import PATH_VALUES, QUERY, api_routes
from tests.support.throttle import hold_the_throttle

SRC = Path(__file__).resolve().parents[2] / "src" / "cordon"
HEADERS = {
    "content-security-policy": "frame-ancestors 'none'",
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}
PAGES = ["/login", "/", "/cases", "/people", "/people/p1", "/orders", "/alerts", "/audit"]


def assert_hardened(answer: object, where: str) -> None:
    headers = answer.headers  # type: ignore[attr-defined]
    for name, value in HEADERS.items():
        assert value in headers.get(name, ""), f"{where}: {name} missing"


def test_every_api_answer_and_page_carries_the_security_headers(
    app: FastAPI, client: TestClient, tokens: dict[UserRole, str], facility: Store
) -> None:
    auth = bearer(tokens[UserRole.COMMAND])
    for method, path, _route in api_routes(app):
        if method != "GET":
            continue
        url = path
        for name, value in PATH_VALUES.items():
            url = url.replace(f"{{{name}}}", value)
        url = url.replace("{", "").replace("}", "")
        answer = client.get(url, headers=auth, params=QUERY.get((method, path), {}))
        assert_hardened(answer, f"GET {url} ({answer.status_code})")
        assert "no-store" in answer.headers.get("cache-control", ""), url
    for refused in (
        client.get("/api/v1/people"),  # 401
        client.get("/api/v1/people/nobody", headers=auth),  # 404
        client.get("/api/v1/people", headers=auth, params={"limit": "-1"}),  # 422
        client.get("/no/such/page"),
    ):
        assert_hardened(refused, f"{refused.request.url} ({refused.status_code})")
    with facility.session() as session:
        accounts.add_user(session, "page", role=UserRole.COMMAND, password=PASSWORD, actor=ROOT)
    assert client.post("/api/v1/auth/login", json={"name": "page", "password": PASSWORD}).is_success
    for page in PAGES:
        answer = client.get(page)
        assert answer.status_code == 200, page
        assert_hardened(answer, page)


def test_sign_in_is_throttled_over_http(
    client: TestClient, facility: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    hold_the_throttle(client.app, monkeypatch)  # type: ignore[arg-type]
    with facility.session() as session:
        accounts.add_user(session, "target", role=UserRole.MEDICAL, password=PASSWORD, actor=ROOT)
    for _ in range(LADDERS["name+source"].free):
        wrong = client.post("/api/v1/auth/login", json={"name": "target", "password": "guess" * 3})
        assert wrong.status_code == 401
    right = client.post("/api/v1/auth/login", json={"name": "target", "password": PASSWORD})
    assert right.status_code == 429
    assert int(right.headers["retry-after"]) > 0
    assert "paused" in right.json()["detail"]
    assert "cordon_session" not in right.headers.get("set-cookie", "")


def test_clinical_reads_and_writes_leave_no_clinical_data_in_the_logs(
    client: TestClient, tokens: dict[UserRole, str], caplog: pytest.LogCaptureFixture
) -> None:
    secrets = ["ASSAY-SECRET-91", "REASON-SECRET-77", "NOTE-SECRET-55"]
    medic = bearer(tokens[UserRole.MEDICAL])
    command = bearer(tokens[UserRole.COMMAND])
    caplog.set_level(logging.DEBUG)
    lab = {"person": "v1", "collected_at": 10, "assay": secrets[0], "result": "positive"}
    assert client.post("/api/v1/lab-results", json=lab, headers=medic).status_code == 201
    moved = client.post(
        "/api/v1/cases/v1/transition",
        json={"reason": secrets[1], "clinical": "suspected"},
        headers=medic,
    )
    assert moved.status_code in (200, 201), moved.text
    refused = client.post(
        "/api/v1/cases/v1/transition",
        json={"reason": secrets[2], "clinical": "no such state"},
        headers=medic,
    )
    assert refused.status_code == 422
    for path in ("/api/v1/lab-results", "/api/v1/cases", "/api/v1/audit"):
        assert client.get(path, headers=command).status_code == 200
    assert caplog.records  # every logger at every level was captured
    for secret in secrets:
        assert secret not in caplog.text
    assert "positive" not in caplog.text


ALLOWED_DYNAMIC_SQL = {
    ("store/backup.py", "text"): "setval on a table's own sequence: table and column names from "
    "the SQLAlchemy metadata, no value",
    ("store/bulk.py", "execute"): "the COPY staging table's DDL and INSERT ... SELECT: table and "
    "column names from the metadata; the rows travel through COPY, never in the text",
    ("store/bulk.py", "copy"): "COPY ... FROM STDIN into the staging table (names from the "
    "metadata, data on the COPY stream)",
    ("runtime/changes.py", "execute"): "LISTEN on the channel constant, composed by psycopg.sql "
    "with the name quoted as an identifier",
    ("store/triggers.py", "text"): "the change triggers' DDL: table, topic and channel names "
    "from the constant ``store.changes.TOPICS``, no value from outside",
}
"""Calls that build SQL text at run time, with why it is safe (no value reaches the text)."""

SQL_CALLS = {"text", "exec_driver_sql", "execute", "executemany", "copy"}


def _dynamic(node: ast.expr) -> bool:
    """Whether an argument is SQL built at run time (f-string, %, + or .format)."""
    if isinstance(node, ast.JoinedStr):
        return any(isinstance(v, ast.FormattedValue) for v in node.values)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mod | ast.Add):
        return isinstance(node.left, ast.Constant | ast.JoinedStr | ast.BinOp)
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "format"
    )


def dynamic_sql(root: Path) -> list[tuple[str, str, int]]:
    """Every call of a SQL entry point whose first argument is built at run time."""
    found = []
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or not node.args:
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in SQL_CALLS and _dynamic(node.args[0]):
                found.append((str(path.relative_to(root)), name, node.lineno))
    return found


def test_sql_is_only_built_from_bound_parameters() -> None:
    found = dynamic_sql(SRC)
    unexplained = [f for f in found if (f[0], f[1]) not in ALLOWED_DYNAMIC_SQL]
    assert not unexplained, f"SQL text built from strings at run time: {unexplained}"


def test_the_sql_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text(
        "def f(s, who):\n"
        "    s.execute(text(f'select * from person where id = {who}'))\n"
        "    s.exec_driver_sql('delete from person where id = %s' % who)\n"
        "    s.execute(text('select :who'), {'who': who})\n"
    )
    assert sorted((line, n) for _p, n, line in dynamic_sql(tmp_path)) == [
        (2, "text"),
        (3, "exec_driver_sql"),
    ]
