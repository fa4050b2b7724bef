"""Follow-up, self-report links and tasks on the miniature Venus, on SQLite and PostgreSQL.

The references are the store's own rows read with plain SQL (the active orders, the last exit
passages), closed forms (a day of monitoring is a difference of dates) and table counts (a
refused write leaves every table as it was)."""

from __future__ import annotations

from datetime import UTC, date, timedelta
from email import message_from_string
from email.policy import default
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from cordon.api.settings import ServiceSettings
from cordon.domain.alerts import AlertKind
from cordon.domain.cases import Clinical
from cordon.domain.followup import CheckSource, CheckStatus, day_of
from cordon.domain.orders import OrderKind, OrderStatus
from cordon.domain.roles import Actor, UserRole
from cordon.domain.tasks import TaskKind, TaskStatus
from cordon.errors import ImportRefused, InvalidValue, NotFound, PermissionDenied
from cordon.services import containment, followup, selfreport, tasks
from cordon.services.followup_import import import_checks
from cordon.store import cases, directory
from cordon.store.db import Store
from cordon.store.models import Base, NotificationRow, OutboxRow
from cordon.times import parse_time
from tests.services.containment_fixtures import LEAD, load_venus
from tests.services.test_notify import Receiver, Smtp, add_channel, receiver, smtp, wait_for
from tests.support.worker import running_worker

NOW = parse_time("2026-11-25T06:00:00Z")
TODAY = date(2026, 11, 25)
NURSE = Actor("nurse", UserRole.MEDICAL)
GUARD = Actor("guard", UserRole.SECURITY)
__all__ = ["receiver", "smtp"]  # fixtures shared with the notification tests


@pytest.fixture
def venus(store: Store, tmp_path: Path) -> Store:
    """The miniature Venus with the rules applied at 06:00 on day 6."""
    load_venus(store, tmp_path)
    with store.session() as s:
        containment.apply_rules(s, actor=LEAD, now=NOW)
    return store


def counts(store: Store) -> dict[str, int]:
    """Rows in every table (a refused write must leave each as it was)."""
    with store.session() as s:
        return {
            t.name: int(s.scalar(select(func.count()).select_from(t)) or 0)
            for t in Base.metadata.sorted_tables
            if t.name not in ("change_version", "job")
        }


def reference_due(store: Store) -> tuple[set[str], set[str]]:
    """Plain SQL: the people under an active quarantine or isolation, and of them those whose
    latest record is a passage out through an exit (off the station)."""
    with store.session() as s:
        held = set(
            s.scalars(
                text(
                    "SELECT p.id FROM containment_order o JOIN person p ON p.pk = o.person_pk "
                    "WHERE o.status = 'active' AND o.kind IN ('quarantine', 'isolation') "
                    "AND o.start_time <= :now"
                ),
                {"now": NOW},
            )
        )
        gone = set(
            s.scalars(
                text(
                    "SELECT p.id FROM person p JOIN passage x ON x.person_pk = p.pk "
                    "JOIN place q ON q.pk = x.place_pk WHERE q.exit AND x.direction = 'out' "
                    "AND x.at = (SELECT max(y.at) FROM passage y WHERE y.person_pk = p.pk "
                    "AND y.at <= :now) AND NOT EXISTS (SELECT 1 FROM presence r "
                    "WHERE r.person_pk = p.pk AND r.start_time > x.at AND r.start_time <= :now)"
                ),
                {"now": NOW},
            )
        )
    return held, held & gone


def test_the_days_list_has_everyone_under_order_with_their_day(venus: Store) -> None:
    held, gone = reference_due(venus)
    with venus.session() as s:
        found = followup.followup_list(s, actor=NURSE, day=TODAY, now=NOW, zone=UTC)
        starts = {
            o.id: o.start
            for o in (v.order for v in containment.records.order_views(s))
            if o.id is not None
        }
    aboard = {d.person for d in found.due}
    departed = {d.person for d in found.departed}
    assert aboard | departed == held and not aboard & departed
    assert departed == gone and {"w3", "w4", "w5", "w6"} <= departed
    assert {"w1", "w2", "w7"} <= aboard
    for d in found.due + found.departed:
        assert d.day_number == (TODAY - day_of(starts[d.order], UTC)).days
        assert not d.done and not d.overdue  # 06:00, before the 18:00 cut-off
    w7 = next(d for d in found.due if d.person == "w7")
    assert (w7.kind, w7.length_days) == (OrderKind.QUARANTINE, 7)


def test_a_symptomatic_check_acts_in_one_transaction(venus: Store) -> None:
    with venus.session() as s:
        before_outbox = int(s.scalar(select(func.count()).select_from(OutboxRow)) or 0)
        done = followup.record_check(
            s,
            actor=NURSE,
            person="w7",
            at=NOW + 60,
            status=CheckStatus.SYMPTOMATIC,
            zone=UTC,
            temperature=38.4,
            symptoms=["Fever"],
        )
        assert done.check.symptoms == ("fever",) and done.check.source is CheckSource.STAFF
        pk, _ = directory.get_person(s, "w7")
        case = cases.get_case(s, pk, "w7")
        assert case.clinical is Clinical.SUSPECTED
        w7 = containment.records.order_views(s, person_pk=pk)
        assert [(v.order.kind, v.order.status) for v in w7][-2:] == [
            (OrderKind.QUARANTINE, OrderStatus.SUPERSEDED),
            (OrderKind.ISOLATION, OrderStatus.ACTIVE),
        ]
        assert w7[-1].order.id == done.order and w7[-1].order.evidence == (
            f"followup:{done.check.id}",
        )
        task = tasks.store.get_task(s, done.task or 0)
        assert (task.kind, task.assignee, task.due_at) == (
            TaskKind.SAMPLE,
            "role:medical",
            NOW + 60 + 4 * 3600,
        )
        events = [
            (r.event, r.ref)
            for r in s.scalars(select(OutboxRow).order_by(OutboxRow.pk).offset(before_outbox))
        ]
        assert ("order_closed", f"order:{w7[-2].order.id}") in events
        assert ("order_issued", f"order:{done.order}") in events
        assert ("task_assigned", f"task:{done.task}") in events
        assert ("alert", f"alert:{done.alert}") in events


def test_a_failure_midway_leaves_the_store_as_it_was(
    venus: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = counts(venus)

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the disk went away")

    monkeypatch.setattr(followup.tasks, "add_task", broken)
    with venus.session() as s, pytest.raises(RuntimeError):
        followup.record_check(
            s, actor=NURSE, person="w7", at=NOW, status=CheckStatus.SYMPTOMATIC, zone=UTC,
            symptoms=["fever"],
        )  # fmt: skip
    assert counts(venus) == before


@pytest.mark.parametrize(
    ("person", "status", "temperature", "symptoms", "says"),
    [
        ("w7", CheckStatus.WELL, 38.5, [], "record the check as 'symptomatic'"),
        ("w7", CheckStatus.WELL, None, ["headache"], r"symptoms \(headache\)"),
        ("w7", CheckStatus.SYMPTOMATIC, 37.0, [], "needs at least one symptom"),
        ("w7", CheckStatus.WELL, 93.0, [], "not a body temperature"),
        ("w7", CheckStatus.SYMPTOMATIC, None, ["telepathy"], "not on the profile's list"),
        ("w7", CheckStatus.REFUSED, 37.0, [], "cannot carry a temperature"),
        ("w8", CheckStatus.WELL, None, [], "under no quarantine or isolation"),
    ],
)
def test_bad_checks_are_refused_and_change_nothing(
    venus: Store,
    person: str,
    status: CheckStatus,
    temperature: float | None,
    symptoms: list[str],
    says: str,
) -> None:
    before = counts(venus)
    with venus.session() as s, pytest.raises(InvalidValue, match=says):
        followup.record_check(
            s, actor=NURSE, person=person, at=NOW, status=status, zone=UTC,
            temperature=temperature, symptoms=symptoms,
        )  # fmt: skip
    assert counts(venus) == before


def test_follow_up_is_for_clinical_roles(venus: Store) -> None:
    with venus.session() as s:
        for call in (
            lambda: followup.followup_list(s, actor=GUARD, day=TODAY, now=NOW, zone=UTC),
            lambda: followup.record_check(
                s, actor=GUARD, person="w7", at=NOW, status=CheckStatus.WELL, zone=UTC
            ),
        ):
            with pytest.raises(PermissionDenied):
                call()


def non_reporter_alerts(store: Store, day: date) -> list[str]:
    """Who got a non-reporter alert for ``day``, in the order raised."""
    with store.session() as s:
        rows = s.execute(
            text(
                "SELECT p.id, a.message FROM alert a JOIN person p ON p.pk = a.person_pk "
                "WHERE a.kind = :kind ORDER BY a.pk"
            ),
            {"kind": AlertKind.NON_REPORTER.value},
        )
        return [p for p, m in rows if f"on {day.isoformat()} by" in m]


def test_non_reporters_raise_one_alert_each_per_day_after_the_cut_off(venus: Store) -> None:
    yesterday, tomorrow = TODAY - timedelta(days=1), TODAY + timedelta(days=1)
    with venus.session() as s:
        due = {d.person for d in followup.followup_list(s, actor=NURSE, day=TODAY, now=NOW,
                                                          zone=UTC).due}  # fmt: skip
        before = {d.person for d in followup.followup_list(s, actor=NURSE, day=yesterday,
                                                             now=NOW, zone=UTC).due}  # fmt: skip
        followup.record_check(
            s, actor=NURSE, person="w1", at=NOW + 3600, status=CheckStatus.WELL, zone=UTC
        )
    cutoff = parse_time("2026-11-25T18:00:00Z")
    for at in (cutoff - 1, cutoff, cutoff + 600, cutoff + 3 * 3600):
        with venus.session() as s:
            followup.check_non_reporters(s, now=at, zone=UTC, actor="worker")
            s.commit()
        # Yesterday's cut-off had passed unseen: its silent people are caught up at once.
        assert sorted(non_reporter_alerts(venus, yesterday)) == sorted(before)
        today = non_reporter_alerts(venus, TODAY)
        assert sorted(today) == ([] if at < cutoff else sorted(due - {"w1"}))
    next_cutoff = cutoff + 86_400
    with venus.session() as s:
        later = {
            d.person
            for d in followup.followup_list(
                s, actor=NURSE, day=tomorrow, now=next_cutoff, zone=UTC
            ).due
        }
        followup.check_non_reporters(s, now=next_cutoff, zone=UTC, actor="worker")
        followup.check_non_reporters(s, now=next_cutoff + 60, zone=UTC, actor="worker")
        s.commit()
    assert sorted(non_reporter_alerts(venus, tomorrow)) == sorted(later)
    assert sorted(non_reporter_alerts(venus, TODAY)) == sorted(due - {"w1"})


def test_a_self_report_link_works_until_expiry_or_revocation(venus: Store) -> None:
    with venus.session() as s:
        token, link = selfreport.issue_link(s, actor=NURSE, person="w7", now=NOW, zone=UTC)
        period = followup.monitoring_on(s, TODAY, UTC)["w7"]
        assert link.expires_at == period.end
        view = selfreport.open_link(s, token, now=NOW, zone=UTC)
        assert [m.person for m in view.members] == ["w7"] and not view.members[0].reported_today
        done = selfreport.submit(
            s, token, person="w7", status=CheckStatus.WELL, now=NOW + 5, zone=UTC,
            temperature=36.8,
        )  # fmt: skip
        assert (done.check.source, done.check.checker) == (CheckSource.SELF, "self:w7")
        assert selfreport.open_link(s, token, now=NOW + 10, zone=UTC).members[0].reported_today
        with pytest.raises(InvalidValue, match="does not report for"):
            selfreport.submit(s, token, person="w1", status=CheckStatus.WELL, now=NOW, zone=UTC)
        with pytest.raises(NotFound, match="expired"):
            selfreport.open_link(s, token, now=link.expires_at, zone=UTC)
        selfreport.revoke_link(s, link.id, actor=NURSE, at=NOW + 20)
        with pytest.raises(NotFound, match="revoked"):
            selfreport.submit(s, token, person="w7", status=CheckStatus.WELL, now=NOW + 30,
                              zone=UTC)  # fmt: skip
        with pytest.raises(NotFound, match="not known"):
            selfreport.open_link(s, token[:-2] + "xx", now=NOW, zone=UTC)
        with pytest.raises(InvalidValue, match="no quarantine or isolation"):
            selfreport.issue_link(s, actor=NURSE, person="w8", now=NOW, zone=UTC)


def test_whoever_answers_for_quarters_reports_for_its_members(venus: Store) -> None:
    with venus.session() as s:
        token, _ = selfreport.issue_link(
            s, actor=NURSE, person="w8", quarters="q-1", now=NOW, zone=UTC
        )
        members = [m.person for m in selfreport.open_link(s, token, now=NOW, zone=UTC).members]
        assert members == ["w1", "w2"]  # q-1's people under monitoring (w8 lives in q-2)
        done = selfreport.submit(s, token, person="w2", status=CheckStatus.WELL, now=NOW,
                                 zone=UTC)  # fmt: skip
        assert (done.check.source, done.check.checker) == (CheckSource.PROXY, "proxy:w8")


def test_tasks_by_hand_overdue_once_and_masked_for_security(venus: Store) -> None:
    with venus.session() as s:
        sample = tasks.create_task(
            s, actor=NURSE, kind=TaskKind.SAMPLE, assignee="medical", due_at=NOW + 60, now=NOW,
            person="w7",
        )  # fmt: skip
        meals = tasks.create_task(
            s, actor=GUARD, kind=TaskKind.MEALS, assignee="team:deck-q", due_at=NOW + 3600,
            now=NOW, place="q-3", note="three trays",
        )  # fmt: skip
        assert sample.assignee == "role:medical"
        with pytest.raises(PermissionDenied):
            tasks.create_task(s, actor=GUARD, kind=TaskKind.SAMPLE, assignee="medical",
                              due_at=NOW, now=NOW)  # fmt: skip
        seen, total = tasks.list_tasks(s, actor=GUARD)
        assert [t.id for t in seen] == [meals.id] and total == 1
        assert {t.id for t in tasks.list_tasks(s, actor=NURSE)[0]} == {sample.id, meals.id}
        assert tasks.check_overdue(s, now=NOW + 120, actor="worker")[0].evidence == (
            f"task:{sample.id}",
        )
        assert tasks.check_overdue(s, now=NOW + 7200, actor="worker")[0].evidence == (
            f"task:{meals.id}",
        )
        assert tasks.check_overdue(s, now=NOW + 9000, actor="worker") == []
        s.commit()
        closed = tasks.close_task(s, sample.id or 0, actor=NURSE, at=NOW + 9100, outcome="taken")
        assert (closed.status, closed.closed_by, closed.outcome) == (
            TaskStatus.DONE,
            "nurse",
            "taken",
        )
        with pytest.raises(InvalidValue, match="already done"):
            tasks.close_task(s, sample.id or 0, actor=NURSE, at=NOW + 9200)
        with pytest.raises(InvalidValue, match="reason"):
            tasks.close_task(s, meals.id or 0, actor=GUARD, at=NOW, status=TaskStatus.CANCELLED)


def test_an_import_of_checks_is_whole_or_nothing(venus: Store, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "person,at,status,temperature,symptoms\n"
        "w7,2026-11-25T07:00:00Z,well,36.9,\n"
        "w1,2026-11-25T07:05:00Z,fine,,\n"
        "nobody,2026-11-25T07:10:00Z,well,,\n"
        "w2,yesterday,well,,\n"
        "w2,2026-11-25T07:15:00Z,symptomatic,37.1,telepathy\n"
    )
    before = counts(venus)
    with venus.session() as s, pytest.raises(ImportRefused) as refused:
        import_checks(s, bad, actor=LEAD, zone=UTC)
    assert counts(venus) == before
    said = [(e.line, e.column) for e in refused.value.errors]
    assert said == [(3, "status"), (4, "person"), (5, "at"), (6, "status")]
    good = tmp_path / "good.csv"
    good.write_text(
        "person,at,status,temperature,symptoms,notes,checker\n"
        "w7,2026-11-25T07:00:00Z,well,36.9,,,paper round\n"
        "w2,2026-11-25T07:15:00Z,symptomatic,38.2,fever; headache,,paper round\n"
    )
    with venus.session() as s:
        report = import_checks(s, good, actor=LEAD, zone=UTC)
        assert (report.read, report.added, report.unchanged) == (2, 2, 0)
        again = import_checks(s, good, actor=LEAD, zone=UTC)
        assert (again.added, again.unchanged) == (0, 2)
        checks = followup.store.checks_on(s, TODAY)
        assert checks["w2"][0].symptoms == ("fever", "headache")
        assert checks["w7"][0].checker == "paper round"
        # w2 is an isolated confirmed case: her symptoms are followed, no new order.
        assert followup.monitoring_on(s, TODAY, UTC)["w2"].kind is OrderKind.ISOLATION


def test_a_symptomatic_check_reaches_the_person_by_mail_and_medical_by_webhook(
    venus: Store, smtp: Smtp, receiver: Receiver
) -> None:
    """Issue 17's acceptance end to end: the check's outbox rows, relayed by the worker, reach
    a real SMTP server (to the person) and a webhook that fails twice (to the medical team),
    every attempt signed."""
    add_channel(venus, "person:w7", "email", "gina@station.example")
    add_channel(venus, "role:medical", "webhook", receiver.url, receiver.secret)
    settings = ServiceSettings(
        database_url=venus.url, smtp_host="127.0.0.1", smtp_port=smtp.port,
        smtp_from="cordon@station.example", notify_retry_seconds=0.2, clock=str(NOW),
    )  # fmt: skip
    with running_worker(venus, settings, follow=True):
        with venus.session() as s:
            done = followup.record_check(
                s, actor=NURSE, person="w7", at=NOW + 60, status=CheckStatus.SYMPTOMATIC,
                zone=UTC, temperature=38.9, symptoms=["fever"],
            )  # fmt: skip
        mails = wait_for(
            lambda: [
                m
                for to, m in smtp.handler.messages
                if to == ["gina@station.example"]
                and "isolation" in str(message_from_string(m, policy=default)["Subject"])
            ],
            "the e-mail telling the person of her isolation",
        )
        refs = {f"task:{done.task}", f"alert:{done.alert}"}

        def sent() -> bool:
            with venus.session() as s:
                found = s.execute(
                    select(OutboxRow.ref, NotificationRow.status)
                    .join(NotificationRow, NotificationRow.outbox_pk == OutboxRow.pk)
                    .where(NotificationRow.channel == "webhook", OutboxRow.ref.in_(refs))
                ).all()
            return len(found) == 2 and all(status == "sent" for _, status in found)

        wait_for(sent, "the webhook's deliveries after its two failures", 120)
    body = message_from_string(mails[0], policy=default).get_body()
    assert body is not None and "fever" not in body.get_content()  # no clinical detail by mail
    assert len(receiver.calls) >= 4 and all(c["valid"] for c in receiver.calls)
    assert {c["event"] for c in receiver.calls} >= {"task_assigned", "alert.symptoms"}
