"""The worker's own work: the rules on new evidence, notifications on new outbox rows, and every
minute the rules again (order and moratorium expiry, breaches, exit passages of held persons),
the missing check, the follow-up's non-reporters and overdue tasks, a notification sweep and the
recovery of jobs whose worker died. Each piece is idempotent and raises each alert once."""

from __future__ import annotations

import logging

from cordon.api.settings import ServiceSettings
from cordon.domain.roles import Actor, UserRole
from cordon.errors import CordonError
from cordon.runtime.jobs import Jobs
from cordon.services import arrivals, containment, followup, missing, tasks
from cordon.services import notify as notifications
from cordon.services.transaction import unit_of_work
from cordon.store.db import Store

__all__ = ["WORKER", "apply_rules", "every_minute", "follow_up", "notify"]

log = logging.getLogger(__name__)

WORKER = Actor("worker", UserRole.COMMAND)
"""Who the audit log names for the worker's own work."""


def apply_rules(store: Store, settings: ServiceSettings) -> None:
    """The containment rules on every exposure and result not yet acted on, and expiry."""
    with store.session() as session:
        report = containment.apply_rules(session, actor=WORKER, now=settings.now())
    if report.orders or report.expired:
        log.info("rules: %d orders issued, %d expired", len(report.orders), len(report.expired))


def follow_up(store: Store, settings: ServiceSettings) -> None:
    """Non-reporters after the day's cut-off and tasks past due, each alerted once."""
    now = settings.now()
    with store.session() as session, unit_of_work(session):
        late = followup.check_non_reporters(session, now=now, zone=settings.zone, actor=WORKER.name)
        overdue = tasks.check_overdue(session, now=now, actor=WORKER.name)
    if late or overdue:
        log.info("follow-up: %d non-reporters, %d overdue tasks", len(late), len(overdue))


def notify(store: Store, settings: ServiceSettings) -> float | None:
    """Relay new outbox rows to their recipients, then send what is due; returns when the next
    retry falls due (wall clock), if any."""
    with store.session() as session:
        notifications.relay(
            session, notifications.wall_clock(), zone=settings.zone, public_url=settings.public_url
        )
        report = notifications.deliver_due(
            session,
            notifications.wall_clock(),
            config=notifications.Delivery.from_settings(settings),
            at=settings.now(),
        )
    if report.sent or report.failed:
        log.info("notifications: %d sent, %d failed for good", report.sent, report.failed)
    return report.next_due


def every_minute(store: Store, settings: ServiceSettings, jobs: Jobs) -> None:
    """The periodic work; one failing piece does not stop the others."""
    try:
        jobs.recover()
    except CordonError as exc:
        log.warning("job recovery skipped: %s", exc)
    try:
        apply_rules(store, settings)
    except CordonError as exc:
        log.warning("rules skipped: %s", exc)
    try:
        with store.session() as session:
            missing.find_missing(
                session,
                actor=WORKER,
                at=settings.now(),
                record=True,
                grace=settings.missing_grace_seconds,
            )
    except CordonError as exc:
        log.warning("missing check skipped: %s", exc)
    try:
        follow_up(store, settings)
    except CordonError as exc:
        log.warning("follow-up check skipped: %s", exc)
    try:
        notify(store, settings)
    except CordonError as exc:
        log.warning("notifications skipped: %s", exc)
    try:
        with store.session() as session:
            raised = arrivals.screen_arrivals(session, actor=WORKER, now=settings.now())
        if raised:
            log.info("arrivals screening: %d alert(s)", len(raised))
    except CordonError as exc:
        log.warning("arrivals screening skipped: %s", exc)
