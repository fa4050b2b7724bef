"""Notifications: the outbox relayed to its recipients' channels, and delivery with retries.

``relay`` turns each new outbox row (written beside its order, alert, task or report link) into
one ``notification`` row per recipient and channel, in the transaction that marks the row
relayed, so a crash relays it again or not at all and two workers never relay it twice. Every
message is written for its recipient through the one masking of each record
(``services.orders.visible``, ``services.alerts.visible``): a recipient whose role may not read
clinical details gets none. ``deliver_due`` sends what is due, retrying with exponential backoff
and jitter; nothing is lost while a channel is down. Delivery times are wall-clock seconds (the
station clock may be fixed to replay a recorded day); times in messages are station times.
"""

from __future__ import annotations

import json
import logging
import random
import re
import secrets
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, tzinfo
from enum import StrEnum
from typing import Any

import httpx
from sqlalchemy.orm import Session

from cordon.config import Settings
from cordon.domain.alerts import Alert, AlertKind, Severity
from cordon.domain.orders import Order, OrderKind, OrderStatus, Scope
from cordon.domain.roles import Actor, Permission, UserRole, require
from cordon.domain.tasks import parse_assignee
from cordon.errors import Conflict, InvalidValue, NotFound
from cordon.notify import email, feed, webhook
from cordon.notify.base import Channel, DeliveryFailed, Outgoing
from cordon.services import alerts as alert_masks
from cordon.services import orders as order_masks
from cordon.services.transaction import unit_of_work
from cordon.store import audit, directory
from cordon.store import containment as records
from cordon.store import notifications as store
from cordon.store.listings import AlertView
from cordon.store.models import NotificationRow, OutboxRow
from cordon.store.notifications import ChannelInfo, NotificationView
from cordon.times import format_time

__all__ = [
    "STATUSES",
    "ChannelInfo",
    "Delivery",
    "DeliveryReport",
    "NotificationView",
    "Recipient",
    "Status",
    "add_channel",
    "backoff",
    "deliver_due",
    "list_channels",
    "list_notifications",
    "own_recipients",
    "relay",
    "remove_channel",
    "retry",
    "route",
]

log = logging.getLogger(__name__)


class Status(StrEnum):
    """Where a notification is: waiting (or retrying), delivered, given up, or nobody to send
    it to."""

    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
    NO_CHANNEL = "no_channel"


PENDING, SENT, FAILED, NO_CHANNEL = (s.value for s in Status)
STATUSES = tuple(s.value for s in Status)
BATCH = 200
"""Outbox rows relayed, or notifications sent, per transaction."""
LINK = re.compile(r"/r/[A-Za-z0-9_\-.~]+")
"""A self-report link's secret path; shown and kept as ``/r/…`` once it is delivered."""
HIDDEN_LINK = "/r/…"
CLINICAL_TASKS = frozenset({"sample"})
"""Task kinds that say a person is suspected of being a case."""
PERSON_VIEW = frozenset({Permission.READ_ORDERS})
"""What a person told of a group order may read: the order, nothing clinical."""


@dataclass(frozen=True, slots=True)
class Recipient:
    """Whom a message goes to (``person:ID``, ``user:NAME``, ``role:ROLE``, ``team:TEAM``) and
    as whom its records are masked; no viewer: the person concerned, reading their own."""

    name: str
    viewer: Actor | None


@dataclass(frozen=True, slots=True)
class Message:
    """A message in plain words, and its facts for a webhook (already masked)."""

    subject: str
    text: str
    data: dict[str, Any]


# --- routing ---------------------------------------------------------------------------------


def _role(name: str) -> UserRole:
    try:
        return UserRole(name)
    except ValueError:
        return UserRole.OBSERVER  # an unknown role reads least


@dataclass
class _Facts:
    """What routing reads, each read once per relay."""

    session: Session
    _users: dict[str, str] | None = None
    _channels: dict[str, list[Any]] | None = None
    _roster: dict[str, Any] | None = None
    _roster_read: bool = False

    @property
    def users(self) -> dict[str, str]:
        if self._users is None:
            self._users = store.active_users(self.session)
        return self._users

    @property
    def channels(self) -> dict[str, list[Any]]:
        if self._channels is None:
            self._channels = store.channel_rows(self.session)
        return self._channels

    def guards_at(self, exit_id: str | None, at: int) -> list[str]:
        """The guards the newest finished roster puts at ``exit_id`` at ``at``."""
        if not self._roster_read:
            self._roster, self._roster_read = store.latest_roster(self.session), True
        if exit_id is None or not self._roster:
            return []
        found = {
            str(s["guard"])
            for s in self._roster.get("shifts", ())
            if s.get("exit") == exit_id and s["start"] <= at < s["end"]
        }
        return sorted(found)

    def reachable(self, recipient: str) -> bool:
        return bool(self.channels.get(recipient))


def _assignee(facts: _Facts, assignee: str) -> Recipient:
    """The recipient an assignee (``user:``, ``role:``, ``team:``) means, with its viewer."""
    kind, _, name = assignee.partition(":")
    if kind == "user":
        return Recipient(assignee, Actor(name, _role(facts.users.get(name, ""))))
    if kind == "team":
        return Recipient(assignee, Actor(assignee, UserRole.MEDICAL))
    return Recipient(assignee, Actor(assignee, _role(name)))


def _staff(role: UserRole) -> Recipient:
    return Recipient(f"role:{role.value}", Actor(f"role:{role.value}", role))


def _guard(person: str) -> Recipient:
    return Recipient(f"person:{person}", Actor(f"person:{person}", UserRole.SECURITY))


def route(facts: _Facts, row: OutboxRow) -> list[Recipient]:
    """Whom an outbox event goes to (the routing table of ``docs/notifications.md``)."""
    p = row.payload or {}
    if row.event in ("order_issued", "order_closed"):
        if row.event == "order_closed" and p.get("status") == OrderStatus.SUPERSEDED.value:
            return []  # the new order's message covers it
        if p.get("kind") == OrderKind.MORATORIUM.value:
            scope = p.get("scope") or {}
            roles = {*scope.get("roles", ()), *scope.get("counterpart_roles", ())}
            return [
                Recipient(f"person:{pid}", Actor(f"person:{pid}", UserRole.SECURITY, PERSON_VIEW))
                for pid in store.people_of_roles(facts.session, roles)
            ]
        return [Recipient(f"person:{p['person']}", None)] if p.get("person") else []
    if row.event == "alert":
        return _alert_route(facts, p)
    if row.event == "task_assigned" and p.get("assignee"):
        return [_assignee(facts, str(p["assignee"]))]
    if row.event == "report_link" and p.get("person"):
        return [Recipient(f"person:{p['person']}", None)]
    return []


def _alert_route(facts: _Facts, p: dict[str, Any]) -> list[Recipient]:
    kind = p.get("kind")
    if kind in (AlertKind.HELD_AT_EXIT, AlertKind.FOREIGN_CREDENTIAL):
        guards = [_guard(g) for g in facts.guards_at(p.get("place"), int(p.get("at") or 0))]
        if any(facts.reachable(g.name) for g in guards):
            return guards
        return [*guards, _staff(UserRole.SECURITY)]  # nobody on duty, or none reachable
    if kind == AlertKind.NON_REPORTER:
        team = store.team_of(facts.session, p["person"]) if p.get("person") else None
        if team:
            return [Recipient(f"team:{team}", Actor(f"team:{team}", UserRole.MEDICAL))]
        return [_staff(UserRole.MEDICAL)]
    if kind == AlertKind.SYMPTOMS:
        return [_staff(UserRole.MEDICAL)]
    if kind == AlertKind.TASK_OVERDUE:
        for link in p.get("evidence") or ():
            if str(link).startswith("task:") and str(link)[5:].isdigit():
                assignee = store.task_assignee(facts.session, int(str(link)[5:]))
                if assignee:
                    return [_assignee(facts, assignee)]
        return [_staff(UserRole.COMMAND)]
    if p.get("severity") == Severity.CRITICAL.value:
        return [_staff(UserRole.COMMAND)]
    return []


# --- messages --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Style:
    zone: tzinfo = UTC
    public_url: str | None = None

    def when(self, at: int | float | None, default: str = "further notice") -> str:
        return format_time(at, self.zone) if at is not None else default


def _order(p: dict[str, Any]) -> Order:
    return Order(
        id=p.get("id"),
        kind=OrderKind(p["kind"]),
        person=p.get("person"),
        start=int(p["start"]),
        expiry=p.get("expiry"),
        issuer=str(p.get("issuer", "")),
        reason=str(p.get("reason", "")),
        scope=Scope.from_json(p.get("scope")),
        evidence=tuple(p.get("evidence") or ()),
        status=OrderStatus(p.get("status", "active")),
        supersedes=p.get("supersedes"),
    )


_OWN = {
    OrderKind.QUARANTINE: (
        "You are in quarantine",
        "You are in quarantine from {start} until {until} (station time). Stay in your "
        "quarters, keep away from others, and report how you feel every day; the medical team "
        "will contact you.",
    ),
    OrderKind.ISOLATION: (
        "You are in isolation",
        "You are in isolation from {start} until {until} (station time). Stay in the isolation "
        "ward; the medical team will look after you.",
    ),
    OrderKind.EGRESS_HOLD: (
        "You may not leave the station",
        "You may not leave the station from {start} until {until} (station time). Ask the "
        "command post if you need to.",
    ),
}
_ENDED = {"lifted": "was lifted", "expired": "has expired"}


def _own_order(event: str, p: dict[str, Any], style: _Style) -> Message | None:
    """The person concerned reads their own order: what, from when, until when (not its reason,
    which may name another person, nor its evidence)."""
    order = _order(p)
    what = order.kind.value.replace("_", " ")
    data = {
        "order": order.id, "kind": order.kind.value, "person": order.person,
        "start": order.start, "expiry": order.expiry, "status": order.status.value,
    }  # fmt: skip
    if event == "order_closed":
        ended = _ENDED.get(order.status.value, "has ended")
        return Message(
            f"Your {what} {ended}",
            f"Your {what} ended on {style.when(p.get('closed_at'), '')} (station time): it "
            f"{ended}. Tell the medical team if you feel unwell.",
            {**data, "closed_at": p.get("closed_at")},
        )
    if order.kind not in _OWN:
        return None
    subject, text = _OWN[order.kind]
    return Message(
        subject,
        text.format(start=style.when(order.start), until=style.when(order.expiry)),
        data,
    )


def _group_order(event: str, p: dict[str, Any], viewer: Actor, style: _Style) -> Message:
    """A group order (a moratorium) as the viewer may read it."""
    order = order_masks.visible(_order(p), viewer)
    scope = order.scope
    who = " and ".join(
        [", ".join(sorted(scope.roles)) or "everyone",
         ", ".join(sorted(scope.counterpart_roles)) or "anyone else"]
    )  # fmt: skip
    where = f" in {', '.join(sorted(scope.places))}" if scope.places else ""
    data = {
        "order": order.id, "kind": order.kind.value, "start": order.start,
        "expiry": order.expiry, "status": order.status.value, "reason": order.reason,
        "scope": scope.to_json(),
    }  # fmt: skip
    if event == "order_closed":
        return Message(
            "Contact moratorium ended",
            f"The moratorium on contact between {who}{where} (order {order.id}) ended on "
            f"{style.when(p.get('closed_at'), '')} (station time).",
            {**data, "closed_at": p.get("closed_at")},
        )
    return Message(
        "Contact moratorium in force",
        f"From {style.when(order.start)} until {style.when(order.expiry)} (station time), contact "
        f"between {who}{where} is suspended: {order.reason}. Order {order.id}.",
        data,
    )


def _alert(ref: str, p: dict[str, Any], viewer: Actor, style: _Style) -> Message:
    """An alert through ``services.alerts.visible`` for the viewer."""
    alert = Alert(
        kind=AlertKind(p["kind"]),
        at=int(p["at"]),
        message=str(p.get("message", "")),
        severity=Severity(p.get("severity", "warning")),
        person=p.get("person"),
        place=p.get("place"),
        evidence=tuple(p.get("evidence") or ()),
    )
    alert_id = int(ref[6:]) if ref.startswith("alert:") and ref[6:].isdigit() else 0
    shown = alert_masks.visible(AlertView(alert_id, alert, None, None), viewer).alert
    about = "".join(
        [f" {shown.person}" if shown.person else "", f" at {shown.place}" if shown.place else ""]
    )
    lines = [shown.message, f"When: {style.when(shown.at)} (station time)"]
    lines += [f"Person: {shown.person}"] if shown.person else []
    lines += [f"Place: {shown.place}"] if shown.place else []
    lines.append(f"Alert {alert_id}.")
    return Message(
        f"{shown.severity.value.capitalize()}: {shown.kind.value.replace('_', ' ')}{about}",
        "\n".join(lines),
        {
            "alert": alert_id, "kind": shown.kind.value, "severity": shown.severity.value,
            "at": shown.at, "message": shown.message, "person": shown.person,
            "place": shown.place, "evidence": list(shown.evidence),
        },
    )  # fmt: skip


def _task(p: dict[str, Any], viewer: Actor, style: _Style) -> Message:
    """A task for its assignee; without clinical rights no note, no clinical kind or evidence."""
    clinical = viewer.can(Permission.READ_CLINICAL)
    kind = str(p.get("kind", "task"))
    if not clinical and kind in CLINICAL_TASKS:
        kind = "task"
    note = str(p.get("note") or "") if clinical else ""
    evidence = [
        str(e)
        for e in p.get("evidence") or ()
        if clinical or str(e).startswith(alert_masks.PLAIN_EVIDENCE)
    ]
    person, place = p.get("person"), p.get("place")
    what = kind.replace("_", " ")
    text = f"Task {p.get('id')}: {what}"
    text += f" for {person}" if person else ""
    text += f" at {place}" if place else ""
    text += f", due {style.when(p.get('due_at'), 'as soon as possible')} (station time)."
    text += f"\n{note}" if note else ""
    return Message(
        f"New task: {what}" + (f" for {person}" if person else ""),
        text,
        {
            "task": p.get("id"), "kind": kind, "person": person, "place": place,
            "assignee": p.get("assignee"), "due_at": p.get("due_at"), "note": note,
            "evidence": evidence,
        },
    )  # fmt: skip


def _report_link(p: dict[str, Any], style: _Style) -> Message:
    link = f"{(style.public_url or '').rstrip('/')}{p.get('path', '')}"
    return Message(
        "Your daily health check",
        f"Please tell us how you feel every day at {link} (until "
        f"{style.when(p.get('expires_at'), 'your monitoring ends')}, station time). The link is "
        "yours alone: do not share it.",
        {"person": p.get("person"), "link": link, "expires_at": p.get("expires_at")},
    )


def compose(row: OutboxRow, recipient: Recipient, style: _Style) -> Message | None:
    """The message of one event for one recipient, masked for its viewer."""
    p = row.payload or {}
    viewer = recipient.viewer
    if row.event in ("order_issued", "order_closed"):
        if viewer is None:
            return _own_order(row.event, p, style)
        return _group_order(row.event, p, viewer, style)
    if row.event == "alert" and viewer is not None:
        return _alert(row.ref, p, viewer, style)
    if row.event == "task_assigned" and viewer is not None:
        return _task(p, viewer, style)
    if row.event == "report_link":
        return _report_link(p, style)
    return None


# --- relay -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Target:
    recipient: str
    channel: str
    address: str


def _targets(facts: _Facts, recipient: Recipient) -> list[_Target]:
    """The channels that reach a recipient: its own, and for a role those of its active users;
    with none, the dashboard feed (staff) or a ``no_channel`` mark (a person)."""
    found = [_Target(recipient.name, c.channel, c.address) for c in facts.channels.get(
        recipient.name, ())]  # fmt: skip
    kind, _, name = recipient.name.partition(":")
    if kind == "role":
        for user, role in sorted(facts.users.items()):
            if role == name:
                found += [_Target(f"user:{user}", c.channel, c.address)
                          for c in facts.channels.get(f"user:{user}", ())]  # fmt: skip
    if found:
        return found
    if kind == "person":
        return [_Target(recipient.name, Channel.NONE.value, "")]
    return [_Target(recipient.name, Channel.FEED.value, recipient.name)]


def _webhook_body(pk: int, row: OutboxRow, target: _Target, message: Message, now: float) -> str:
    return json.dumps(
        {
            "delivery": pk,
            "event": store.event_name(row.event, row.payload),
            "ref": row.ref,
            "recipient": target.recipient,
            "subject": message.subject,
            "text": message.text,
            "data": message.data,
            "created_at": int(now),
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def _messages(facts: _Facts, row: OutboxRow, style: _Style) -> list[tuple[_Target, Message]]:
    """Each channel an event goes to with its message; a malformed event goes nowhere (logged
    by its id, never its contents) rather than stopping every later one."""
    out = []
    try:
        for recipient in route(facts, row):
            message = compose(row, recipient, style)
            if message is not None:
                out += [(target, message) for target in _targets(facts, recipient)]
    except (KeyError, ValueError, TypeError) as exc:
        log.warning("outbox row %d (%s) not relayed: %s", row.pk, row.event, type(exc).__name__)
        return []
    return out


def _relay_one(facts: _Facts, row: OutboxRow, style: _Style, now: float) -> int:
    made: dict[tuple[str, str], tuple[NotificationRow, Message, _Target]] = {}
    for target, message in _messages(facts, row, style):
        key = (target.channel, target.address or target.recipient)
        if key in made:
            continue
        status = {Channel.FEED.value: SENT, Channel.NONE.value: NO_CHANNEL}.get(
            target.channel, PENDING
        )
        text = message.text if status == PENDING else LINK.sub(HIDDEN_LINK, message.text)
        note = NotificationRow(
            outbox_pk=row.pk, recipient=target.recipient, channel=target.channel,
            address=target.address, subject=message.subject, body=text, status=status,
            attempts=0, next_attempt_at=now, created_at=now,
            sent_at=now if status == SENT else None,
            last_error="no contact channel" if status == NO_CHANNEL else None,
        )  # fmt: skip
        facts.session.add(note)
        made[key] = (note, message, target)
    facts.session.flush()
    for note, message, target in made.values():
        if note.channel == Channel.WEBHOOK.value:
            note.body = _webhook_body(note.pk, row, target, message, now)
    return len(made)


def relay(
    session: Session, now: float, *, zone: tzinfo = UTC, public_url: str | None = None
) -> int:
    """Relay every outbox row not yet relayed (each batch in one transaction with marking its
    rows relayed); returns how many notifications it wrote."""
    style = _Style(zone, public_url)
    written = 0
    while True:
        with unit_of_work(session):
            rows = store.claim_outbox(session, now=now, limit=BATCH)
            facts = _Facts(session)
            for row in rows:
                written += _relay_one(facts, row, style, now)
        if len(rows) < BATCH:
            return written


# --- delivery --------------------------------------------------------------------------------


def backoff(
    attempts: int, *, base: float, cap: float, rng: Callable[[], float] = random.random
) -> float:
    """Seconds to wait after the ``attempts``-th failure: base * 2^(attempts-1), capped, with
    "equal jitter" (between half of it and all of it) so failed receivers are not hit in step."""
    delay = float(min(cap, base * 2.0 ** min(max(attempts - 1, 0), 60)))
    return delay / 2 + float(rng()) * delay / 2


@dataclass(frozen=True)
class Delivery:
    """How to deliver: the SMTP server, timeouts, retries (from ``CORDON_SMTP_*`` and
    ``CORDON_NOTIFY_*``)."""

    smtp: email.SmtpConfig = field(default_factory=lambda: email.SmtpConfig(None))
    timeout: float = 10.0
    retry_base: float = 30.0
    retry_cap: float = 3600.0
    max_attempts: int = 10
    client: httpx.Client | None = None

    @property
    def lease(self) -> float:
        """How long a claimed notification is left to its sender before it is due again."""
        return max(60.0, 4 * self.timeout)

    @classmethod
    def from_settings(cls, settings: Settings) -> Delivery:
        """The delivery settings of ``settings``."""
        password = settings.smtp_password.get_secret_value() if settings.smtp_password else None
        return cls(
            smtp=email.SmtpConfig(
                settings.smtp_host, settings.smtp_port, settings.smtp_from, settings.smtp_user,
                password, settings.smtp_starttls, settings.notify_timeout_seconds,
            ),
            timeout=settings.notify_timeout_seconds,
            retry_base=settings.notify_retry_seconds,
            retry_cap=settings.notify_retry_cap_seconds,
            max_attempts=settings.notify_max_attempts,
        )  # fmt: skip


@dataclass
class DeliveryReport:
    """What one delivery pass did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    next_due: float | None = None


def _send(channel: str, out: Outgoing, config: Delivery) -> None:
    if channel == Channel.EMAIL.value:
        email.send(replace(config.smtp, timeout=config.timeout), out)
    elif channel == Channel.WEBHOOK.value:
        webhook.send(out, timeout=config.timeout, client=config.client)
    elif channel == Channel.FEED.value:
        feed.send(out)
    else:
        raise DeliveryFailed(f"no way to send on channel {channel!r}")


def _prepare(session: Session, pk: int) -> tuple[Outgoing, str] | str | None:
    """The message to send for a claimed notification, or why it cannot be sent."""
    found = store.get_notification(session, pk)
    if found is None:
        return None
    row, event = found
    secret = None
    if row.channel in (Channel.EMAIL.value, Channel.WEBHOOK.value):
        channel = store.find_channel(session, row.recipient, row.channel, row.address)
        if channel is None:
            return "the contact channel was removed"
        secret = channel.secret
    return Outgoing(row.pk, event, row.address, row.subject, row.body, secret), row.channel


def deliver_due(
    session: Session, now: float, *, config: Delivery, at: int | None = None
) -> DeliveryReport:
    """Send every pending notification due by ``now``: sent, or retried later with backoff, or
    after ``config.max_attempts`` failed with an alert (raised at station time ``at``)."""
    report = DeliveryReport()
    while True:
        claimed = store.claim_due(session, now=now, lease=config.lease, limit=BATCH)
        for pk in claimed:
            prepared = _prepare(session, pk)
            session.rollback()  # no transaction held open while a server answers
            if prepared is None:
                continue
            error: str | None
            if isinstance(prepared, str):
                error, final = prepared, True
            else:
                out, channel = prepared
                try:
                    _send(channel, out, config)
                    error, final = None, False
                except DeliveryFailed as exc:
                    error, final = str(exc), False
            _settle(session, pk, error, final, now, config, report, at)
        if len(claimed) < BATCH:
            break
    report.next_due = store.next_due(session)
    session.rollback()
    return report


def _settle(
    session: Session,
    pk: int,
    error: str | None,
    final: bool,
    now: float,
    config: Delivery,
    report: DeliveryReport,
    at: int | None,
) -> None:
    with unit_of_work(session):
        row = session.get(NotificationRow, pk)
        if row is None or row.status != PENDING:
            return
        row.attempts += 1
        if error is None:
            row.status, row.sent_at, row.last_error = SENT, now, None
            row.body = LINK.sub(HIDDEN_LINK, row.body)
            report.sent += 1
            return
        row.last_error = error[:500]
        if final or row.attempts >= config.max_attempts:
            row.status = FAILED
            report.failed += 1
            log.warning("notification %d failed for good after %d attempts", pk, row.attempts)
            records.add_alert(
                session,
                Alert(
                    AlertKind.NOTIFICATION_FAILED,
                    at if at is not None else int(now),
                    f"a message to {row.recipient} by {row.channel} was not delivered after "
                    f"{row.attempts} attempts (notification {pk}: {row.last_error})",
                    Severity.WARNING,  # not critical: it must not route back to a dead channel
                    evidence=(f"notification:{pk}",),
                ),
                person_pk=None,
                place_pk=None,
                actor="notify",
            )
            return
        row.next_attempt_at = now + backoff(
            row.attempts, base=config.retry_base, cap=config.retry_cap
        )
        report.retrying += 1


# --- reads and management --------------------------------------------------------------------


def own_recipients(actor: Actor) -> tuple[list[str], list[str]]:
    """The recipients whose notifications are the actor's own (names, name prefixes): their
    user, their role, and for medical staff the follow-up teams."""
    names = [f"user:{actor.name}", f"role:{actor.role.value}"]
    return names, ["team:"] if actor.role is UserRole.MEDICAL else []


def _shown(view: NotificationView) -> NotificationView:
    """A notification as shown: a self-report link's secret is never shown back."""
    return replace(view, body=LINK.sub(HIDDEN_LINK, view.body))


def list_notifications(
    session: Session,
    *,
    actor: Actor,
    status: str | None = None,
    recipient: str | None = None,
    channel: str | None = None,
    mine: bool = False,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[NotificationView], int]:
    """Notifications newest first with their delivery state: everyone's for a manager (unless
    ``mine``), else the actor's own. A read by a clinical role is audited (bodies to clinical
    roles carry clinical details)."""
    require(actor, Permission.READ_NOTIFICATIONS)
    if status is not None and status not in STATUSES:
        raise InvalidValue(f"status {status!r} is not one of {', '.join(STATUSES)}")
    names: list[str] | None = None
    prefixes: list[str] = []
    if mine or not actor.can(Permission.MANAGE_NOTIFICATIONS):
        names, prefixes = own_recipients(actor)
    with unit_of_work(session):
        items, total = store.notification_page(
            session, recipients=names, recipient_prefixes=prefixes, recipient=recipient,
            status=status, channel=channel, limit=limit, offset=offset,
        )  # fmt: skip
        if items and actor.can(Permission.READ_CLINICAL):
            audit.record(
                session, actor=actor.name, action="read", entity="notification",
                entity_id=recipient, after={"returned": len(items), "offset": offset},
            )  # fmt: skip
    return [_shown(v) for v in items], total


def retry(session: Session, notification_id: int, *, actor: Actor, now: float) -> None:
    """Put a failed notification back in the queue, due at once (audited)."""
    require(actor, Permission.MANAGE_NOTIFICATIONS)
    with unit_of_work(session):
        row = session.get(NotificationRow, notification_id)
        if row is None:
            raise NotFound(f"no notification with id {notification_id}")
        if row.status != FAILED:
            raise InvalidValue(
                f"notification {notification_id} is {row.status}; only a failed one is retried"
            )
        before = {"status": row.status, "attempts": row.attempts}
        row.status, row.attempts, row.next_attempt_at = PENDING, 0, now
        audit.record(
            session, actor=actor.name, action="retry", entity="notification",
            entity_id=notification_id, before=before, after={"status": PENDING, "attempts": 0},
        )  # fmt: skip


EMAIL = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+$")


def _recipient(session: Session, text: str) -> str:
    raw = text.strip()
    kind, sep, name = raw.partition(":")
    if sep and kind.strip().lower() == "person":
        pid = name.strip()
        directory.get_person(session, pid)  # NotFound names it
        return f"person:{pid}"
    if not sep:
        raise InvalidValue(
            f"recipient {text!r}: write person:ID, user:NAME, role:ROLE or team:TEAM"
        )
    recipient = parse_assignee(raw)
    if recipient.startswith("user:") and recipient[5:] not in store.active_users(session):
        raise NotFound(f"no active user named {recipient[5:]!r}")
    return recipient


def add_channel(
    session: Session,
    *,
    actor: Actor,
    recipient: str,
    channel: str,
    address: str | None = None,
    secret: str | None = None,
    now: int,
) -> tuple[ChannelInfo, str | None]:
    """Give a recipient a channel (audited); for a webhook without a secret one is made, and
    returned this once (it is never shown again)."""
    require(actor, Permission.MANAGE_NOTIFICATIONS)
    who = _recipient(session, recipient)
    made: str | None = None
    if channel == Channel.EMAIL.value:
        where = (address or "").strip()
        if not EMAIL.match(where) or len(where) > 320:
            raise InvalidValue(f"e-mail address {address!r} is not an address like a@b.org")
        secret = None
    elif channel == Channel.WEBHOOK.value:
        where = (address or "").strip()
        try:
            url = httpx.URL(where)
        except (httpx.InvalidURL, TypeError):
            url = None
        if url is None or url.scheme not in ("http", "https") or not url.host or len(where) > 500:
            raise InvalidValue(f"webhook URL {address!r} is not an http(s) URL with a host")
        if secret is None:
            secret = made = secrets.token_urlsafe(32)
        elif len(secret) < 16 or len(secret) > 200:
            raise InvalidValue("a webhook secret has 16 to 200 characters")
    elif channel == Channel.FEED.value:
        if who.startswith("person:"):
            raise InvalidValue("a person has no dashboard feed: give an e-mail or a webhook")
        where, secret = who, None
    else:
        raise InvalidValue(f"channel {channel!r} is not one of email, webhook, feed")
    with unit_of_work(session):
        if any(c.channel == channel and c.address == where
               for c in store.list_channels(session, recipient=who, limit=10_000)[0]):  # fmt: skip
            raise Conflict(f"{who} already has the {channel} channel {where}")
        info = store.add_channel(
            session, recipient=who, channel=channel, address=where, secret=secret,
            actor=actor.name, at=now,
        )  # fmt: skip
    return info, made


def list_channels(
    session: Session,
    *,
    actor: Actor,
    recipient: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[list[ChannelInfo], int]:
    """Contact channels (never their secrets)."""
    require(actor, Permission.MANAGE_NOTIFICATIONS)
    return store.list_channels(session, recipient=recipient, limit=limit, offset=offset)


def remove_channel(session: Session, channel_id: int, *, actor: Actor) -> ChannelInfo:
    """Remove a channel (audited); its pending messages fail with that reason."""
    require(actor, Permission.MANAGE_NOTIFICATIONS)
    with unit_of_work(session):
        row = store.get_channel(session, channel_id)
        if row is None:
            raise NotFound(f"no contact channel with id {channel_id}")
        return store.remove_channel(session, row, actor=actor.name)


def wall_clock() -> float:
    """Delivery time: the wall clock (never a replayed station clock)."""
    return time.time()


def summary(items: Iterable[NotificationView]) -> dict[str, int]:
    """How many notifications are in each status."""
    out = dict.fromkeys(STATUSES, 0)
    for v in items:
        out[v.status] = out.get(v.status, 0) + 1
    return out
