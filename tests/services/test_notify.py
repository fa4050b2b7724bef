"""Notifications against real servers: routing of every event, masking per recipient, delivery
by SMTP (an aiosmtpd server) through the worker, a signed webhook (a stdlib HTTP receiver that
checks the signature itself and fails twice), a channel that is down, and giving up."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from email import message_from_string
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from cordon.api.settings import ServiceSettings
from cordon.domain.alerts import Alert, AlertKind, Severity
from cordon.domain.orders import OrderKind, Scope
from cordon.domain.records import Direction
from cordon.domain.roles import UserRole
from cordon.runtime.tasks import RosterPlanTask, Who
from cordon.services import accounts, notify, orders
from cordon.services.access import AccessIndex
from cordon.store import containment as records
from cordon.store import directory, outbox
from cordon.store.db import Store
from cordon.store.models import (
    AlertRow,
    FollowUpTeamRow,
    NotificationRow,
    OutboxRow,
    PlaceRow,
    TaskRow,
)
from cordon.worker.tasks import runtime_for
from tests.api.conftest import ROOT, load_facility
from tests.support.worker import running_worker

REASON = "CANARY-REASON positive venus-particle smear"
T0 = 1795248000  # 2026-11-21T08:00Z, the facility's day


@pytest.fixture
def facility(store: Store, tmp_path: Path) -> Store:
    load_facility(store, tmp_path)
    return store


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_for(check: Callable[[], Any], what: str, seconds: float = 90) -> Any:
    """Poll ``check`` until it answers something true (generous: the machine is busy)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def rows(store: Store, **where: Any) -> list[NotificationRow]:
    with store.session() as session:
        query = select(NotificationRow).order_by(NotificationRow.pk)
        for name, value in where.items():
            query = query.where(getattr(NotificationRow, name) == value)
        found = list(session.scalars(query))
        session.expunge_all()
        return found


def relay(store: Store) -> int:
    with store.session() as session:
        return notify.relay(session, time.time())


def routed(store: Store, ref: str) -> list[tuple[str, str, str]]:
    """(recipient, channel, status) of the notifications of one outbox event."""
    with store.session() as session:
        found = session.execute(
            select(NotificationRow.recipient, NotificationRow.channel, NotificationRow.status)
            .join(OutboxRow, OutboxRow.pk == NotificationRow.outbox_pk)
            .where(OutboxRow.ref == ref)
            .order_by(NotificationRow.pk)
        ).all()
        return [tuple(r) for r in found]  # type: ignore[misc]


def add_channel(store: Store, recipient: str, channel: str, address: str | None = None,
                secret: str | None = None) -> None:  # fmt: skip
    with store.session() as session:
        notify.add_channel(session, actor=ROOT, recipient=recipient, channel=channel,
                           address=address, secret=secret, now=T0)  # fmt: skip


# --- routing and masking ---------------------------------------------------------------------


def _event(store: Store, event: str, ref: str, payload: dict[str, Any],
           person: str | None = None) -> None:  # fmt: skip
    with store.session() as session:
        pk = directory.get_person(session, person)[0] if person else None
        outbox.add_events(session, [outbox.Event(event, ref, pk, None, payload)])
        session.commit()


def _alert(kind: AlertKind, severity: Severity, person: str | None = "p1",
           evidence: tuple[str, ...] = ()) -> dict[str, Any]:  # fmt: skip
    return {"kind": kind.value, "at": T0, "severity": severity.value, "message": f"{kind} test",
            "person": person, "place": None, "evidence": list(evidence)}  # fmt: skip


def test_every_event_reaches_its_recipients(facility: Store) -> None:
    """The routing table, one event of each kind written straight into the outbox."""
    store = facility
    with store.session() as session:
        accounts.add_user(session, "nurse", role=UserRole.MEDICAL, password=None, actor=ROOT)
        accounts.add_user(session, "guard", role=UserRole.SECURITY, password=None, actor=ROOT)
        ring = session.scalar(select(PlaceRow.pk).where(PlaceRow.id == "ring-a"))
        session.add(FollowUpTeamRow(place_pk=ring, team="north"))
        task = TaskRow(kind="visit", person_pk=None, place_pk=None, assignee="user:nurse",
                       due_at=T0, status="open", note="", evidence=[], created_at=T0,
                       created_by="test")  # fmt: skip
        session.add(task)
        session.commit()
        task_pk = task.pk
    add_channel(store, "user:guard", "email", "guard@station.example")
    add_channel(store, "person:p2", "email", "john@station.example")
    with store.session() as session:
        before = session.scalar(select(func.count()).select_from(OutboxRow))
    order = {"id": 90, "kind": "quarantine", "person": "p2", "start": T0, "expiry": T0 + 86400,
             "issuer": "x", "reason": REASON, "scope": Scope().to_json(), "evidence": ["lab:1"],
             "status": "active", "supersedes": None}  # fmt: skip
    _event(store, "order_issued", "order:90", order, "p2")
    _event(store, "order_closed", "order:91", {**order, "id": 91, "status": "superseded"}, "p2")
    _event(store, "order_closed", "order:92", {**order, "id": 92, "status": "lifted",
                                                "closed_at": T0 + 5}, "p2")  # fmt: skip
    moratorium = {**order, "id": 93, "kind": "moratorium", "person": None,
                  "scope": Scope(roles=frozenset({"security"}),
                                 counterpart_roles=frozenset({"medical"})).to_json()}  # fmt: skip
    _event(store, "order_issued", "order:93", moratorium)
    _event(store, "alert", "alert:901", _alert(AlertKind.NON_REPORTER, Severity.WARNING, "p1"))
    _event(store, "alert", "alert:902", _alert(AlertKind.NON_REPORTER, Severity.WARNING, "p3"))
    _event(store, "alert", "alert:903", _alert(AlertKind.SYMPTOMS, Severity.WARNING))
    _event(store, "alert", "alert:904", _alert(AlertKind.TASK_OVERDUE, Severity.WARNING,
                                               evidence=(f"task:{task_pk}",)))  # fmt: skip
    _event(store, "alert", "alert:905", _alert(AlertKind.CAPACITY, Severity.CRITICAL))
    _event(store, "alert", "alert:906", _alert(AlertKind.CAPACITY, Severity.WARNING))
    _event(store, "alert", "alert:907", _alert(AlertKind.HELD_AT_EXIT, Severity.CRITICAL))
    _event(store, "task_assigned", "task:77", {"id": 77, "kind": "sample", "person": "p1",
           "place": "q-1", "assignee": "role:medical", "due_at": T0, "note": "fever 39",
           "evidence": ["exposure:1"]})  # fmt: skip
    _event(store, "report_link", "report_link:5", {"person": "p1", "path": "/r/SECRETTOKEN42",
                                                   "expires_at": T0 + 86400}, "p1")  # fmt: skip
    relay(store)
    assert routed(store, "order:90") == [("person:p2", "email", "pending")]
    assert routed(store, "order:91") == []  # superseded: the new order tells
    assert routed(store, "order:92") == [("person:p2", "email", "pending")]
    assert routed(store, "order:93") == [("person:m1", "none", "no_channel"),
                                         ("person:p3", "none", "no_channel")]  # fmt: skip
    assert routed(store, "alert:901") == [("team:north", "feed", "sent")]  # home q-1 in ring-a
    assert routed(store, "alert:902") == [("role:medical", "feed", "sent")]  # no home: fallback
    assert routed(store, "alert:903") == [("role:medical", "feed", "sent")]
    assert routed(store, "alert:904") == [("user:nurse", "feed", "sent")]
    assert routed(store, "alert:905") == [("role:command", "feed", "sent")]
    assert routed(store, "alert:906") == []
    # no roster: the security role, reached through its user's own channel
    assert routed(store, "alert:907") == [("user:guard", "email", "pending")]
    assert routed(store, "task:77") == [("role:medical", "feed", "sent")]
    assert routed(store, "report_link:5") == [("person:p1", "none", "no_channel")]
    (link,) = rows(store, recipient="person:p1", status="no_channel")[-1:]
    assert "SECRETTOKEN42" not in link.body and "/r/…" in link.body
    with store.session() as session:
        relayed = session.scalar(
            select(func.count()).select_from(OutboxRow).where(OutboxRow.relayed_at.is_(None))
        )
        assert session.scalar(select(func.count()).select_from(OutboxRow)) == before + 13
    assert relayed == 0
    assert relay(store) == 0  # relayed once


def test_a_guard_on_duty_reads_under_order_and_no_clinical_detail(facility: Store) -> None:
    """A held person at an exit reaches the guard the roster puts there then, masked as security
    reads it; outside the roster's shifts it goes to the security role."""
    store = facility
    settings = ServiceSettings(database_url=store.url, queue_url="immediate")
    job = runtime_for(store, settings).jobs.run_here(
        RosterPlanTask(Who.of(ROOT), start=T0, days=1, time_limit_s=5.0), owner="test"
    )
    assert job.status == "done" and job.result is not None
    shifts = [s for s in job.result["shifts"] if s["exit"] == "al-1"]
    assert shifts and {s["guard"] for s in shifts} == {"p3"}
    on_duty = shifts[0]["start"] + 60
    off_duty = next(t for t in range(T0, T0 + 86400, 3600)
                    if not any(s["start"] <= t < s["end"] for s in shifts))  # fmt: skip
    add_channel(store, "person:p3", "email", "dominic@station.example")
    with store.session() as session:
        orders.issue_order(session, actor=ROOT, kind=OrderKind.ISOLATION, person="p1",
                           start=T0 - 3600, reason=REASON,
                           evidence=("lab:1", "exposure:1"))  # fmt: skip
        index = AccessIndex.from_store(session, actor=ROOT)
        index.decide("p1", "al-1", Direction.OUT, on_duty)
        index.decide("p1", "al-1", Direction.OUT, off_duty)
        index.flush(session, actor="doors")
        session.commit()
        held = session.scalars(
            select(AlertRow.pk).where(AlertRow.kind == "held_at_exit").order_by(AlertRow.at)
        ).all()
    relay(store)
    by_time = {on_duty: held[0], off_duty: held[1]} if on_duty < off_duty else {
        on_duty: held[1], off_duty: held[0]}  # fmt: skip
    assert routed(store, f"alert:{by_time[on_duty]}") == [("person:p3", "email", "pending")]
    assert routed(store, f"alert:{by_time[off_duty]}") == [("role:security", "feed", "sent")]
    for note in rows(store, recipient="person:p3") + rows(store, recipient="role:security"):
        text = f"{note.subject}\n{note.body}"
        assert "under order" in text
        for secret in ("isolation", "isolated", REASON, "lab:", "exposure:"):
            assert secret not in text
    # the person concerned is told of their own order (nobody can reach them: no channel)
    (own,) = rows(store, recipient="person:p1")
    assert (own.status, own.subject) == ("no_channel", "You are in isolation")
    assert REASON not in own.body and "2026-11-21T07:00:00+00:00" in own.body


def test_two_workers_relay_each_event_once(facility: Store) -> None:
    store = facility
    for k in range(60):
        _event(store, "alert", f"alert:{1000 + k}", _alert(AlertKind.SYMPTOMS, Severity.WARNING))
    other = Store(store.url)
    made: list[int] = []
    errors: list[BaseException] = []

    def work(s: Store) -> None:
        try:
            with s.session() as session:
                made.append(notify.relay(session, time.time()))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(s,)) for s in (store, other)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    other.dispose()
    assert errors == []
    with store.session() as session:
        per_event = session.execute(
            select(NotificationRow.outbox_pk, func.count()).group_by(NotificationRow.outbox_pk)
        ).all()
    assert sum(made) == len(per_event) == 60
    assert all(n == 1 for _pk, n in per_event)


# --- delivery --------------------------------------------------------------------------------


@given(attempts=st.integers(1, 40), base=st.floats(0.01, 100), cap=st.floats(0.01, 10_000),
       r=st.floats(0, 1))  # fmt: skip
def test_backoff_doubles_within_its_jitter_and_cap(
    attempts: int, base: float, cap: float, r: float
) -> None:
    delay = notify.backoff(attempts, base=base, cap=cap, rng=lambda: r)
    full = min(cap, base * 2 ** (attempts - 1))
    assert full / 2 - 1e-9 <= delay <= full + 1e-9


class Receiver:
    """A webhook receiver on a thread: checks each request's signature with its own HMAC code,
    answers 500 to the first ``failures`` requests and 200 afterwards."""

    def __init__(self, secret: str, failures: int, port: int = 0) -> None:
        self.secret, self.failures = secret, failures
        self.calls: list[dict[str, Any]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                fields = dict(
                    p.split("=", 1) for p in self.headers["X-Cordon-Signature"].split(",")
                )
                expected = hmac.new(receiver.secret.encode(), fields["t"].encode() + b"." + body,
                                    hashlib.sha256).hexdigest()  # fmt: skip
                receiver.calls.append({
                    "at": time.time(), "valid": hmac.compare_digest(expected, fields["v1"]),
                    "fresh": abs(time.time() - int(fields["t"])) < 300,
                    "event": self.headers["X-Cordon-Event"],
                    "delivery": self.headers["X-Cordon-Delivery"], "body": json.loads(body),
                })  # fmt: skip
                code = 500 if len(receiver.calls) <= receiver.failures else 200
                self.send_response(code)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    found = Receiver("a-shared-secret-of-32-characters", failures=2)
    yield found
    found.close()


def _critical(store: Store, message: str = "a fire door is jammed") -> None:
    with store.session() as session:
        records.add_alert(session, Alert(AlertKind.EMERGENCY, T0, message, Severity.CRITICAL),
                          person_pk=None, place_pk=None, actor="test")  # fmt: skip
        session.commit()


def test_a_webhook_that_fails_twice_gets_three_signed_attempts_with_backoff(
    facility: Store, receiver: Receiver
) -> None:
    store = facility
    add_channel(store, "role:command", "webhook", receiver.url, receiver.secret)
    _critical(store)
    relay(store)
    (note,) = rows(store, channel="webhook")
    config = notify.Delivery(retry_base=0.4, retry_cap=60, max_attempts=10, timeout=20)
    waits: list[float] = []
    while True:
        with store.session() as session:
            notify.deliver_due(session, time.time(), config=config)
        (now,) = rows(store, pk=note.pk)
        if now.status != "pending":
            break
        if now.attempts > len(waits):
            waits.append(now.next_attempt_at - receiver.calls[-1]["at"])
        assert now.attempts <= 3, "more attempts than the receiver needed"
        time.sleep(0.02)
    assert (now.status, now.attempts, now.last_error) == ("sent", 3, None)
    assert len(receiver.calls) == 3
    assert all(c["valid"] and c["fresh"] for c in receiver.calls)
    assert {c["delivery"] for c in receiver.calls} == {str(note.pk)}
    assert {c["event"] for c in receiver.calls} == {"alert.emergency"}
    assert receiver.calls[0]["body"]["data"]["message"] == "a fire door is jammed"
    # the first retry waits base/2..base, the second twice that (the attempt's own time
    # precedes the recorded receipt, hence the small allowance)
    assert len(waits) == 2
    assert 0.2 - 0.5 <= waits[0] <= 0.4 and 0.4 - 0.5 <= waits[1] <= 0.8
    gaps = [b["at"] - a["at"] for a, b in zip(receiver.calls, receiver.calls[1:], strict=False)]
    assert gaps[0] >= 0.2 - 0.05 and gaps[1] >= 0.4 - 0.05


def test_a_channel_that_is_down_keeps_its_message_until_it_is_back(facility: Store) -> None:
    store = facility
    port = free_port()  # nothing listens there yet
    secret = "another-secret-of-enough-length"
    add_channel(store, "role:command", "webhook", f"http://127.0.0.1:{port}/hook", secret)
    _critical(store)
    relay(store)
    config = notify.Delivery(retry_base=30, retry_cap=60, max_attempts=10, timeout=5)
    start = time.time()
    with store.session() as session:
        report = notify.deliver_due(session, start, config=config)
    (note,) = rows(store, channel="webhook")
    assert (report.sent, report.retrying, note.status, note.attempts) == (0, 1, "pending", 1)
    assert "unreachable" in (note.last_error or "")
    assert start + 15 <= note.next_attempt_at <= start + 30
    with store.session() as session:  # not due yet: nothing is tried
        assert notify.deliver_due(session, start + 1, config=config).retrying == 0
    back = Receiver(secret, failures=0, port=port)
    try:
        with store.session() as session:
            report = notify.deliver_due(session, note.next_attempt_at, config=config)
        assert report.sent == 1 and len(back.calls) == 1 and back.calls[0]["valid"]
    finally:
        back.close()
    (note,) = rows(store, channel="webhook")
    assert (note.status, note.attempts) == ("sent", 2)


def test_a_message_given_up_raises_an_alert_and_can_be_retried(facility: Store) -> None:
    store = facility
    port = free_port()
    add_channel(store, "role:command", "email", "lead@station.example")
    _critical(store)
    relay(store)
    config = notify.Delivery(
        smtp=notify.email.SmtpConfig("127.0.0.1", port), retry_base=1, max_attempts=2, timeout=5
    )
    now = time.time()
    for _ in range(2):
        with store.session() as session:
            notify.deliver_due(session, now, config=config)
        now += 10
    (note,) = rows(store, channel="email")
    assert (note.status, note.attempts) == ("failed", 2)
    with store.session() as session:
        failed = session.scalars(
            select(AlertRow).where(AlertRow.kind == AlertKind.NOTIFICATION_FAILED.value)
        ).all()
        assert len(failed) == 1 and f"notification {note.pk}" in failed[0].message
        assert failed[0].severity == "warning"  # routed nowhere: no loop through a dead channel
        notify.retry(session, note.pk, actor=ROOT, now=now)
    (note,) = rows(store, channel="email")
    assert (note.status, note.attempts) == ("pending", 0)
    smtp = Smtp(port)
    try:
        with store.session() as session:
            assert notify.deliver_due(session, now, config=config).sent == 1
        assert len(smtp.handler.messages) == 1
    finally:
        smtp.stop()


class Inbox:
    """An aiosmtpd handler keeping what it receives."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], str]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append((list(envelope.rcpt_tos), envelope.content.decode()))
        return "250 OK"


class Smtp:
    """A real SMTP server on a thread (aiosmtpd)."""

    def __init__(self, port: int | None = None) -> None:
        self.handler = Inbox()
        self.port = port or free_port()
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()


@pytest.fixture
def smtp() -> Iterator[Smtp]:
    server = Smtp()
    yield server
    server.stop()


def test_the_person_gets_an_email_through_the_worker_when_an_order_is_issued(
    facility: Store, smtp: Smtp
) -> None:
    """The real path: the order's outbox row, the change signal, the worker's relay and its
    delivery to a real SMTP server."""
    store = facility
    add_channel(store, "person:p2", "email", "john@station.example")
    settings = ServiceSettings(
        database_url=store.url, smtp_host="127.0.0.1", smtp_port=smtp.port,
        smtp_from="cordon@station.example", notify_retry_seconds=0.2, timezone="Europe/Paris",
        clock=str(T0 + 3600),  # the worker's rules must not expire the order at today's date
    )  # fmt: skip
    with running_worker(store, settings, follow=True):
        with store.session() as session:
            orders.issue_order(session, actor=ROOT, kind=OrderKind.QUARANTINE, person="p2",
                               start=T0, expiry=T0 + 14 * 86400, reason=REASON,
                               evidence=("exposure:1",))  # fmt: skip
        wait_for(lambda: smtp.handler.messages, "the e-mail to the person")
        wait_for(lambda: rows(store, recipient="person:p2", status="sent"), "the sent status")
    ((to, raw),) = smtp.handler.messages
    mail = message_from_string(raw, policy=default)
    assert to == ["john@station.example"]
    assert (mail["Subject"], mail["From"]) == ("You are in quarantine", "cordon@station.example")
    content = mail.get_body().get_content()  # type: ignore[union-attr]
    # station time (Paris) in plain words; no reason, no evidence
    assert "2026-11-21T09:00:00+01:00" in content and "2026-12-05T09:00:00+01:00" in content
    assert REASON not in content and "exposure:" not in content


def test_the_worker_retries_a_failing_webhook_on_its_own(
    facility: Store, receiver: Receiver
) -> None:
    """The worker's scheduled passes (huey's ``schedule``) retry without anyone calling them."""
    store = facility
    add_channel(store, "role:command", "webhook", receiver.url, receiver.secret)
    settings = ServiceSettings(database_url=store.url, notify_retry_seconds=0.2,
                               clock=str(T0))  # fmt: skip
    with running_worker(store, settings, follow=True):
        _critical(store, "the reactor is venting")
        wait_for(lambda: rows(store, channel="webhook", status="sent"), "the third attempt", 120)
    (note,) = rows(store, channel="webhook")
    assert note.attempts == 3 and len(receiver.calls) == 3
    assert all(c["valid"] for c in receiver.calls)
    assert receiver.calls[-1]["body"]["data"]["message"] == "the reactor is venting"
