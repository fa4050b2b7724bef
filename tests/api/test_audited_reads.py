"""Reads of exposures, traces and contacts are audited like other clinical reads; an override is
audited with the guard as actor, and its reason must show something."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from cordon.domain.roles import UserRole
from cordon.store.db import Store
from cordon.store.models import AuditRow
from tests.api.conftest import bearer


def reads(store: Store) -> list[tuple[str, str]]:
    with store.session() as session:
        rows = session.scalars(select(AuditRow).where(AuditRow.action == "read")).all()
        return [(r.actor, r.entity) for r in rows]


def test_exposure_trace_and_contact_reads_are_audited_with_the_reader(
    client: TestClient, tokens: dict[UserRole, str], facility: Store
) -> None:
    medic = bearer(tokens[UserRole.MEDICAL])
    assert client.get("/api/v1/exposures", headers=medic).status_code == 200
    assert client.get("/api/v1/contacts", headers=medic).status_code == 200
    traced = client.post("/api/v1/trace", json={"persons": ["p1"]}, headers=medic)
    assert traced.status_code == 200, traced.text
    assert reads(facility) == [
        ("medical", "exposure"),
        ("medical", "contacts"),
        ("medical", "trace"),
    ]


def test_follow_up_and_sample_task_reads_are_audited_with_the_reader(
    client: TestClient, tokens: dict[UserRole, str], facility: Store
) -> None:
    medic = bearer(tokens[UserRole.MEDICAL])
    order = {"kind": "isolation", "person": "p1", "reason": "positive smear"}
    assert client.post("/api/v1/orders", json=order, headers=medic).status_code == 201
    made = client.post(
        "/api/v1/tasks",
        json={"kind": "sample", "assignee": "role:medical", "due_at": 10**10, "person": "p1"},
        headers=medic,
    )
    assert made.status_code == 201, made.text
    assert client.get("/api/v1/tasks", headers=medic).status_code == 200
    assert client.get("/api/v1/followups", headers=medic).status_code == 200
    assert ("medical", "clinical_tasks") in reads(facility)
    # p1 is under isolation: today's list names her, and the read says so.
    assert ("medical", "followup_list") in reads(facility)
    guard = bearer(tokens[UserRole.SECURITY])
    assert client.get("/api/v1/tasks", headers=guard).json()["items"] == []
    assert client.get("/api/v1/followups", headers=guard).status_code == 403


@pytest.mark.parametrize("why", ["\u200b", "\x00" * 4, " \t", "\u200d\u2060"])
def test_an_override_needs_visible_text(
    doors: TestClient, tokens: dict[UserRole, str], why: str
) -> None:
    guard = bearer(tokens[UserRole.SECURITY])
    body = {"person": "p1", "door": "al-1", "direction": "out", "why": why}
    answer = doors.post("/api/v1/access/override", json=body, headers=guard)
    assert answer.status_code == 422, answer.text
    assert "visible text" in answer.text


def test_an_override_alert_is_audited_with_the_guard(
    doors: TestClient, tokens: dict[UserRole, str], facility: Store
) -> None:
    guard = bearer(tokens[UserRole.SECURITY])
    body = {"person": "p1", "door": "al-1", "direction": "out", "why": "fire in the ward"}
    answer = doors.post("/api/v1/access/override", json=body, headers=guard)
    assert answer.status_code == 200 and answer.json()["allowed"], answer.text
    app = doors.app
    with facility.session() as session:
        app.state.doors.index.flush(session)  # type: ignore[attr-defined]
        actors = session.scalars(
            select(AuditRow.actor).where(AuditRow.entity == "alert", AuditRow.action == "create")
        ).all()
    assert "security" in actors, actors
