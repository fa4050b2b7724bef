"""A running service on a small facility, with one API token per role."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from fastapi import FastAPI

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from fastapi.testclient import TestClient

from cordon.api import create_app
from cordon.api.settings import ServiceSettings
from cordon.domain.cases import Clinical, Containment
from cordon.domain.roles import Actor, UserRole
from cordon.formats.schemas import Kind
from cordon.services import accounts, cases
from cordon.services.imports import import_file
from cordon.store.db import Store
from tests.factory import station, write
from tests.support.worker import running_worker

UTC = ZoneInfo("UTC")
ROOT = Actor("test", UserRole.COMMAND)
PASSWORD = "a long enough passphrase 42"
LAB = (
    "person,collected_at,assay,result,quantity\n"
    "p1,2026-11-21T08:00Z,nanite PCR,positive,1200\n"
    "p2,2026-11-22T08:00Z,nanite PCR,negative,\n"
)
EXPOSURES = (
    "a,b,place,start,end,duration_s,route,source\n"
    "p1,p2,hall,2026-11-20T19:00Z,2026-11-20T20:00Z,3600,close,sensor\n"
)


def load_facility(store: Store, folder: Path) -> None:
    """Places, people, presence, one exposure, two results, one confirmed isolated case."""
    files = station(folder)
    extra = {
        Kind.LAB: write(folder, "lab.csv", LAB),
        Kind.EXPOSURES: write(folder, "exposures.csv", EXPOSURES),
    }
    with store.session() as session:
        for kind in ("places", "people", "presence"):
            import_file(session, files[kind], kind=Kind(kind), actor=ROOT, zone=UTC)
        for kind, path in extra.items():
            import_file(session, path, kind=kind, actor=ROOT, zone=UTC)
        cases.change_case(
            session,
            "p1",
            actor=ROOT,
            reason="positive PCR",
            at=1795248000,
            clinical=Clinical.CONFIRMED,
            containment=Containment.ISOLATED,
            assigned_place="ward-1",
        )
        cases.change_case(
            session, "p2", actor=ROOT, reason="contact", at=1795248000, clinical=Clinical.EXPOSED
        )


@pytest.fixture
def facility(store: Store, tmp_path: Path) -> Store:
    """The test station loaded into an empty store."""
    load_facility(store, tmp_path)
    return store


@pytest.fixture
def app(facility: Store) -> Iterator[FastAPI]:
    """The service on the facility, with a worker running its jobs."""
    settings = ServiceSettings(database_url=facility.url, alert_poll_seconds=0.05)
    with running_worker(facility, settings):
        yield create_app(settings, store=facility)


@pytest.fixture
def tokens(facility: Store) -> dict[UserRole, str]:
    """An API token for a user of every role (user name = role name)."""
    out = {}
    with facility.session() as session:
        for role in UserRole:
            accounts.add_user(session, role.value, role=role, password=None, actor=ROOT)
            _info, secret = accounts.create_token(
                session, actor=ROOT, name="tests", user=role.value
            )
            out[role] = secret
    return out


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    """An HTTPS test client (so the Secure session cookie is sent back)."""
    with TestClient(app, base_url="https://testserver") as test_client:
        yield test_client


@pytest.fixture
def doors(facility: Store) -> Iterator[TestClient]:
    """The doors process's app on the facility (door decisions, overrides)."""
    from cordon.doors.app import create_doors_app

    settings = ServiceSettings(database_url=facility.url)
    with TestClient(create_doors_app(settings, store=facility), base_url="https://testserver") as c:
        yield c


def bearer(secret: str) -> dict[str, str]:
    """The header that authenticates with an API token."""
    return {"Authorization": f"Bearer {secret}"}


def leave_before_and_after_isolating_by_hand(
    web: TestClient, doors: TestClient, tokens: dict[UserRole, str]
) -> tuple[dict[str, object], dict[str, object]]:
    """The airlock's answers (from ``doors``) to p3 leaving before and after the medical lead
    isolates p3's case by hand through ``web`` (a case state, no order), each asked right after
    the other."""
    door = bearer(tokens[UserRole.DOOR])
    leave = {"person": "p3", "door": "al-1", "direction": "out"}
    before = doors.post("/api/v1/access/decide", json=leave, headers=door).json()
    isolated = web.post(
        "/api/v1/cases/p3/transition",
        json={
            "reason": "fever on the ward round",
            "clinical": "suspected",
            "containment": "isolated",
            "assigned_place": "ward-1",
        },
        headers=bearer(tokens[UserRole.MEDICAL]),
    )
    assert isolated.status_code == 200, isolated.text
    after = doors.post("/api/v1/access/decide", json=leave, headers=door).json()
    return before, after
