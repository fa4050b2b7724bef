"""Notifications through the API, the dashboard and the command line: each role sees its own
(command everyone's), webhook secrets are never shown back, channel changes are audited, a
failed message is put back by a retry."""

from __future__ import annotations

import json
import time
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from cordon.cli import app as cli
from cordon.domain.roles import UserRole
from cordon.services import notify
from cordon.store import outbox
from cordon.store.db import Store
from cordon.store.models import AuditRow, NotificationRow
from tests.api.conftest import PASSWORD, ROOT, bearer

SECRET_NOTE = "CANARY fever 39.4 and a positive smear"


def _events(store: Store) -> None:
    """A symptom alert (to medical), a sample task for security, a critical alert (to
    command) and a self-report link for p2, relayed."""
    alert = {"kind": "symptoms", "at": 1795249200, "severity": "warning",
             "message": f"p2 reported {SECRET_NOTE}", "person": "p2", "place": None,
             "evidence": ["lab:2"]}  # fmt: skip
    task = {"id": 3, "kind": "sample", "person": "p2", "place": "q-1",
            "assignee": "role:security", "due_at": 1795249300, "note": SECRET_NOTE,
            "evidence": ["lab:2", "order:1"]}  # fmt: skip
    fire = {
        "kind": "emergency",
        "at": 1795249400,
        "severity": "critical",
        "message": "fire in ring A",
        "person": None,
        "place": None,
        "evidence": [],
    }
    link = {"person": "p2", "path": "/r/TOPSECRETTOKEN", "expires_at": 1795300000}
    with store.session() as session:
        outbox.add_events(session, [
            outbox.Event("alert", "alert:501", None, None, alert),
            outbox.Event("task_assigned", "task:3", None, None, task),
            outbox.Event("alert", "alert:502", None, None, fire),
            outbox.Event("report_link", "report_link:1", None, None, link),
        ])  # fmt: skip
        session.commit()
        notify.relay(session, time.time())


def _listing(client: TestClient, token: str, **params: Any) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/notifications", params=params, headers=bearer(token))
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert set(body) == {"items", "total", "limit", "offset"}
    assert body["total"] == len(body["items"])
    items: list[dict[str, Any]] = body["items"]
    return items


def test_each_role_sees_its_own_notifications_masked_for_it(
    client: TestClient, tokens: dict[UserRole, str], facility: Store
) -> None:
    _events(facility)
    security = _listing(client, tokens[UserRole.SECURITY])
    medical = _listing(client, tokens[UserRole.MEDICAL])
    command = _listing(client, tokens[UserRole.COMMAND])
    assert {n["recipient"] for n in security} == {"role:security"}
    assert {n["recipient"] for n in medical} == {"role:medical"}
    assert {n["recipient"] for n in command} == {
        "role:security", "role:medical", "role:command", "person:p2",
    }  # fmt: skip
    (task,) = security
    assert task["event"] == "task_assigned" and task["status"] == "sent"
    text = json.dumps(task)
    assert SECRET_NOTE not in text and "sample" not in text and "lab:" not in text
    assert "p2" in task["subject"]
    (symptoms,) = medical
    assert SECRET_NOTE in symptoms["body"]
    (link,) = [n for n in command if n["recipient"] == "person:p2"]
    assert link["status"] == "no_channel" and "/r/…" in link["body"]
    assert "TOPSECRETTOKEN" not in json.dumps(command)
    assert _listing(client, tokens[UserRole.COMMAND], mine="true", status="sent") == [
        n for n in command if n["recipient"] == "role:command"
    ]
    answer = client.get("/api/v1/notifications", headers=bearer(tokens[UserRole.OBSERVER]))
    assert answer.status_code == 403
    with facility.session() as session:  # a clinical role's read is audited
        readers = session.scalars(
            select(AuditRow.actor).where(
                AuditRow.action == "read", AuditRow.entity == "notification"
            )
        ).all()
    assert sorted(set(readers)) == ["command", "medical"]


def test_a_webhook_secret_is_shown_once_and_channel_changes_are_audited(
    client: TestClient, tokens: dict[UserRole, str], facility: Store
) -> None:
    lead = bearer(tokens[UserRole.COMMAND])
    made = client.post(
        "/api/v1/contact-channels",
        json={
            "recipient": "role:security",
            "channel": "webhook",
            "address": "https://guards.example/hook",
        },
        headers=lead,
    )
    assert made.status_code == 201, made.text
    secret = made.json()["secret"]
    assert secret and len(secret) >= 32 and made.json()["has_secret"]
    given = client.post(
        "/api/v1/contact-channels",
        json={
            "recipient": "person:p2",
            "channel": "webhook",
            "address": "http://h.example/x",
            "secret": "my-own-secret-1234567",
        },
        headers=lead,
    )
    assert given.status_code == 201 and given.json()["secret"] is None
    listed = client.get("/api/v1/contact-channels", headers=lead)
    assert listed.status_code == 200
    assert secret not in listed.text and "my-own-secret" not in listed.text
    assert [c["has_secret"] for c in listed.json()["items"]] == [True, True]
    for bad, why in (
        ({"recipient": "person:nobody", "channel": "email", "address": "a@b.c"}, 404),
        ({"recipient": "role:captain", "channel": "feed"}, 422),
        ({"recipient": "role:medical", "channel": "email", "address": "not-an-address"}, 422),
        ({"recipient": "role:medical", "channel": "webhook", "address": "ftp://x/y"}, 422),
        ({"recipient": "person:p2", "channel": "feed"}, 422),
        ({"recipient": "role:security", "channel": "webhook",
          "address": "https://guards.example/hook"}, 409),
    ):  # fmt: skip
        answer = client.post("/api/v1/contact-channels", json=bad, headers=lead)
        assert answer.status_code == why, (bad, answer.text)
    guard = client.post(
        "/api/v1/contact-channels",
        json={"recipient": "role:security", "channel": "feed"},
        headers=bearer(tokens[UserRole.SECURITY]),
    )
    assert guard.status_code == 403
    gone = client.delete(f"/api/v1/contact-channels/{made.json()['id']}", headers=lead)
    assert gone.status_code == 200
    assert client.delete("/api/v1/contact-channels/999", headers=lead).status_code == 404
    with facility.session() as session:
        audited = session.scalars(
            select(AuditRow).where(AuditRow.entity == "contact_channel").order_by(AuditRow.pk)
        ).all()
        assert [(a.action, a.actor) for a in audited] == [
            ("create", "command"), ("create", "command"), ("delete", "command"),
        ]  # fmt: skip
        dumped = json.dumps([[a.before, a.after] for a in audited])
    assert secret not in dumped and "my-own-secret" not in dumped


def test_a_failed_notification_is_put_back_by_a_retry(
    client: TestClient, tokens: dict[UserRole, str], facility: Store
) -> None:
    _events(facility)
    with facility.session() as session:
        row = session.scalars(
            select(NotificationRow).where(NotificationRow.recipient == "role:command")
        ).one()
        row.status, row.attempts, row.last_error = "failed", 10, "webhook answered HTTP 500"
        session.commit()
        pk = row.pk
    lead = bearer(tokens[UserRole.COMMAND])
    failed = _listing(client, tokens[UserRole.COMMAND], status="failed")
    assert [n["id"] for n in failed] == [pk] and failed[0]["last_error"].endswith("500")
    medic = client.post(
        f"/api/v1/notifications/{pk}/retry", headers=bearer(tokens[UserRole.MEDICAL])
    )
    assert medic.status_code == 403
    again = client.post(f"/api/v1/notifications/{pk}/retry", headers=lead)
    assert again.status_code == 200, again.text
    with facility.session() as session:
        row = session.get(NotificationRow, pk)
        assert row is not None
        # back in the queue; the worker's pass (queued by the retry) delivers the feed at once
        assert row.status in ("pending", "sent") and row.attempts in (0, 1)
    twice = client.post(f"/api/v1/notifications/{pk}/retry", headers=lead)
    assert twice.status_code == 422  # not failed any more


def test_the_page_shows_a_user_their_feed(
    client: TestClient, tokens: dict[UserRole, str], facility: Store
) -> None:
    from cordon.services import accounts

    _events(facility)
    with facility.session() as session:
        accounts.add_user(session, "nurse", role=UserRole.MEDICAL, password=PASSWORD, actor=ROOT)
    signed = client.post("/api/v1/auth/login", json={"name": "nurse", "password": PASSWORD})
    assert signed.status_code == 200
    page = client.get("/notifications")
    assert page.status_code == 200
    assert 'href="/notifications"' in page.text and "Your feed" in page.text
    assert SECRET_NOTE in page.text  # the symptom alert to medical, on the nurse's feed
    assert "fire in ring A" not in page.text  # command's
    assert client.get("/notifications", params={"status": "nonsense"}).status_code == 400


def test_the_command_line_lists_and_manages(facility: Store) -> None:
    _events(facility)
    runner = CliRunner()
    env = {"COLUMNS": "80"}
    db = ["--db", facility.url]
    listed = runner.invoke(cli, [*db, "notifications", "--status", "sent", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    sent = json.loads(listed.output)
    assert {n["recipient"] for n in sent} == {"role:security", "role:medical", "role:command"}
    table = runner.invoke(cli, [*db, "notifications"], env=env)
    assert table.exit_code == 0 and all(len(line) <= 80 for line in table.output.splitlines())
    made = runner.invoke(
        cli,
        [*db, "notify", "channel", "add", "role:medical", "--webhook", "https://x.example/h"],
        env=env,
    )
    assert made.exit_code == 0, made.output
    assert "shown only now" in made.output
    secret = made.output.rsplit(": ", 1)[-1].strip()
    shown = runner.invoke(cli, [*db, "notify", "channel", "list", "--json"], env=env)
    assert secret not in shown.output and json.loads(shown.output)[0]["has_secret"] is True
    wrong = runner.invoke(cli, [*db, "notify", "channel", "add", "role:medical"], env=env)
    assert wrong.exit_code == 1 and "exactly one" in wrong.output
    gone = runner.invoke(cli, [*db, "notify", "channel", "remove", "1"], env=env)
    assert gone.exit_code == 0 and "removed" in gone.output
    missing = runner.invoke(cli, [*db, "notifications", "retry", "999"], env=env)
    assert missing.exit_code == 1 and "no notification with id 999" in missing.output
