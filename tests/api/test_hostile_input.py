"""Hostile input answers 4xx, never 500, leaves the store unchanged, and nothing of it reaches a
log handler: non-finite numbers, lone surrogates, duplicate records, unknown form values,
oversized bodies; and the log scrubbing itself, fed known secrets through every kind of record."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from cordon import logs
from cordon.api import create_app
from cordon.api.settings import ServiceSettings
from cordon.domain.roles import UserRole
from cordon.services import accounts
from cordon.store.db import Store
from tests.api.conftest import PASSWORD, ROOT, bearer
from tests.api.test_role_matrix import snapshot

SECRET_ASSAY = "HIV-1 RNA PCR SECRET-ASSAY-31"
SECRET_PASSWORD = "SECRET-PASSWORD-correct horse 42"
SECRET_TOKEN = "cordon_SECRETTOKENabcdefghijklmnopqrstuvwxyz"
SECRETS = [SECRET_ASSAY, SECRET_PASSWORD, SECRET_TOKEN, "SECRETTOKEN", "SECRET-"]


@pytest.fixture
def rendered() -> logging.Handler:
    """A handler on the root logger that formats every record as a file would (tracebacks too)."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    handler.setLevel(logging.DEBUG)
    root = logging.getLogger()
    root.addHandler(handler)
    old = root.level
    root.setLevel(logging.DEBUG)
    yield handler
    root.removeHandler(handler)
    root.setLevel(old)


def text_of(handler: logging.Handler) -> str:
    stream = handler.stream  # type: ignore[attr-defined]
    return str(stream.getvalue())


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text, f"{secret!r} reached a log: {text[-2000:]}"


def lab_body(collected_at: str, assay: str = SECRET_ASSAY, extra: str = "") -> str:
    """A lab result as raw JSON text (Python's json would refuse to write these)."""
    return (
        f'{{"person":"v1","collected_at":{collected_at},"assay":"{assay}",'
        f'"result":"positive"{extra}}}'
    )


HOSTILE = [
    lab_body("NaN"),
    lab_body("Infinity"),
    lab_body("1e999"),
    lab_body("10", assay=f"\\ud800 {SECRET_ASSAY}"),
    lab_body("10", extra=',"q":-Infinity'),
    "[" * 50_000,
    lab_body("10", extra=',"q":' + "[" * 5_000 + "]" * 5_000),
]


@pytest.mark.parametrize("body", HOSTILE)
def test_non_finite_numbers_and_lone_surrogates_are_refused_with_a_safe_422(
    body: str,
    client: TestClient,
    tokens: dict[UserRole, str],
    facility: Store,
    caplog: pytest.LogCaptureFixture,
    rendered: logging.Handler,
) -> None:
    caplog.set_level(logging.DEBUG)
    before = snapshot(facility)
    answer = client.post(
        "/api/v1/lab-results",
        content=body.encode(),
        headers={**bearer(tokens[UserRole.MEDICAL]), "content-type": "application/json"},
    )
    assert answer.status_code == 422, answer.text
    assert "refused" in answer.json()["detail"]
    assert SECRET_ASSAY not in answer.text
    assert snapshot(facility) == before
    assert_no_secret(caplog.text, text_of(rendered))
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


def test_a_validation_error_never_echoes_the_input(
    client: TestClient, caplog: pytest.LogCaptureFixture, rendered: logging.Handler
) -> None:
    caplog.set_level(logging.DEBUG)
    answer = client.post("/api/v1/auth/login", json={"name": ["x"], "password": SECRET_PASSWORD})
    assert answer.status_code == 422
    assert SECRET_PASSWORD not in answer.text
    assert all(set(e) == {"loc", "msg", "type"} for e in answer.json()["detail"])
    assert_no_secret(caplog.text, text_of(rendered))


def test_a_duplicate_exposure_answers_409_and_logs_no_parameters(
    client: TestClient,
    tokens: dict[UserRole, str],
    facility: Store,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    medic = bearer(tokens[UserRole.MEDICAL])
    exposure = {"a": "p2", "b": "v1", "start": 10, "end": 20}
    first = client.post("/api/v1/exposures", json=exposure, headers=medic)
    assert first.status_code == 201, first.text
    before = snapshot(facility)
    again = client.post("/api/v1/exposures", json=exposure, headers=medic)
    assert again.status_code == 409, again.text
    assert snapshot(facility) == before
    assert "INSERT" not in caplog.text and "UNIQUE" not in caplog.text
    assert client.get("/api/v1/exposures", headers=medic).status_code == 200  # no spurious 503


def test_an_unknown_state_in_a_form_answers_400_on_the_form(
    client: TestClient, facility: Store
) -> None:
    with facility.session() as session:
        accounts.add_user(session, "doc", role=UserRole.MEDICAL, password=PASSWORD, actor=ROOT)
    csrf = client.post("/api/v1/auth/login", json={"name": "doc", "password": PASSWORD}).json()[
        "csrf_token"
    ]
    before = snapshot(facility)
    for field in ("clinical", "containment"):
        answer = client.post(
            "/people/p2/transition",
            data={"csrf": csrf, "reason": "x", field: "no such state"},
            follow_redirects=False,
        )
        assert answer.status_code == 400, answer.text
        assert field in answer.text and "text/html" in answer.headers["content-type"]
    unknown_kind = client.post(
        "/orders", data={"csrf": csrf, "reason": "x", "kind": "bogus", "person": "p2"}
    )
    assert unknown_kind.status_code == 400
    assert snapshot(facility) == before


def test_bodies_over_their_limit_answer_413_before_parsing(facility: Store) -> None:
    settings = ServiceSettings(
        database_url=facility.url, max_json_bytes=2048, max_form_bytes=1024, max_upload_bytes=4096
    )
    with TestClient(create_app(settings, store=facility), base_url="https://testserver") as c:
        big = '{"name": "x", "password": "%s"}' % ("a" * 5000)
        assert c.post("/api/v1/auth/login", content=big).status_code == 413
        chunked = c.post(
            "/api/v1/auth/login", content=iter([big[:1500].encode(), big[1500:].encode()])
        )
        assert chunked.status_code == 413
        assert c.post("/login", data={"name": "x", "password": "a" * 3000}).status_code == 413
        upload = c.post(
            "/api/v1/imports",
            params={"kind": "lab"},
            files={"file": ("lab.csv", b"x" * 10000)},
        )
        assert upload.status_code == 413
        assert "4096" in upload.json()["detail"]


def test_the_log_scrubbing_lets_no_known_secret_reach_any_handler(
    caplog: pytest.LogCaptureFixture, rendered: logging.Handler, tmp_path: Path
) -> None:
    """Records of every shape, from cordon's loggers and others', each carrying a secret."""
    logs.install()
    caplog.set_level(logging.DEBUG)
    for name in ("uvicorn.access", "uvicorn.error", "sqlalchemy.engine.Engine"):
        caplog.set_level(logging.DEBUG, logger=name)
        logging.getLogger(name).propagate = True
    body = {"person": "v1", "assay": SECRET_ASSAY, "result": "positive"}
    logging.getLogger("cordon.api").error("bad body %s", body)
    logging.getLogger("some.library").warning("raw %r", repr(body).encode())
    logging.getLogger("uvicorn.error").info(
        "headers: Authorization: Bearer %s, password=%s", SECRET_TOKEN, SECRET_PASSWORD
    )
    logging.getLogger("uvicorn.error").info('{"name": "x", "password": "%s"}', SECRET_PASSWORD)
    try:
        raise ValueError(f"Out of range float values are not JSON compliant: {body}")
    except ValueError:
        logging.getLogger("uvicorn.error").exception("Exception in ASGI application")
    try:
        raise RuntimeError(SECRET_PASSWORD)
    except RuntimeError as exc:
        logging.getLogger("cordon.api.door_sync").warning("broke off: %r", exc)
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d',
        "127.0.0.1:5000",
        "GET",
        f"/api/v1/people?search={SECRET_ASSAY}&token={SECRET_TOKEN}",
        "1.1",
        200,
    )
    logging.getLogger("sqlalchemy.engine.Engine").info(
        "[generated in 0.0001s] %r", ("p2", "v1", SECRET_ASSAY)
    )
    assert len(caplog.records) == 8
    assert_no_secret(caplog.text, text_of(rendered))
    access = next(r for r in caplog.records if r.name == "uvicorn.access")
    assert access.getMessage() == '127.0.0.1:5000 - "GET /api/v1/people HTTP/1.1" 200'
    assert "ValueError" in text_of(rendered) and "RuntimeError" in text_of(rendered)
