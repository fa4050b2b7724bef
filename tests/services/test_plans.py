"""Housing and roster plans read from the store, on SQLite and PostgreSQL, and through the CLI."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from cordon.cli import app
from cordon.domain.cases import Clinical, Containment
from cordon.domain.roles import Actor, UserRole
from cordon.errors import InvalidValue, PermissionDenied
from cordon.formats.schemas import Kind
from cordon.services import cases
from cordon.services.imports import import_file
from cordon.services.plans import plan_housing, plan_roster
from cordon.store.db import Store
from cordon.store.models import AuditRow
from tests.factory import write

UTC = ZoneInfo("UTC")
LEAD = Actor("lead", UserRole.COMMAND)
MEDIC = Actor("medic", UserRole.MEDICAL)
GUARD = Actor("dominic", UserRole.SECURITY)
AT = 1_795_000_000  # day 6, morning

PLACES = """id,name,kind,capacity,parent,exit
ward-1,Isolation ward,ward,12,,
iso-1,Isolation room,isolation_room,3,,
hall,Main auditorium,hall,300,,
al-1,Airlock 1,airlock,4,,true
al-2,Airlock 2,airlock,4,,true
al-3,Airlock 3,airlock,4,,true
"""


def _people() -> str:
    rows = ["id,name,role,affiliation,home"]
    rows += [f"c{k:02d},Woman {k},performer,troupe," for k in range(1, 17)]
    rows += ["e1,Exposed 1,resident,,", "e2,Exposed 2,resident,,", "pt,Old patient,patient,,"]
    rows += [f"g{k},Guard {k},security,police," for k in range(1, 9)]
    return "\n".join(rows) + "\n"


def _presence() -> str:
    rows = ["person,place,start,end"]
    rows += [f"c{k:02d},ward-1,{AT - 86_400},{AT + 86_400}" for k in range(1, 11)]
    rows += [f"pt,ward-1,{AT - 3_600},{AT + 3_600}", f"g1,hall,{AT - 60},{AT + 60}"]
    return "\n".join(rows) + "\n"


@pytest.fixture
def venus(store: Store, tmp_path: Path) -> Store:
    """Ten confirmed women in the ward, six departed, two exposed, a patient, eight guards."""
    files = {
        Kind.PLACES: write(tmp_path, "places.csv", PLACES),
        Kind.PEOPLE: write(tmp_path, "people.csv", _people()),
        Kind.PRESENCE: write(tmp_path, "presence.csv", _presence()),
    }
    with store.session() as session:
        for kind, path in files.items():
            import_file(session, path, kind=kind, actor=LEAD, zone=UTC)
        for k in range(1, 17):
            cases.change_case(
                session,
                f"c{k:02d}",
                actor=MEDIC,
                reason="positive",
                at=AT - 3_600,
                clinical=Clinical.CONFIRMED,
                containment=Containment.ISOLATED if k <= 10 else Containment.DEPARTED,
                assigned_place="ward-1" if k <= 10 else None,
            )
        for person in ("e1", "e2"):
            cases.change_case(
                session,
                person,
                actor=MEDIC,
                reason="fluid contact",
                at=AT - 3_600,
                clinical=Clinical.EXPOSED,
                containment=Containment.QUARANTINED,
            )
        cases.change_case(
            session,
            "g8",
            actor=MEDIC,
            reason="contact",
            at=AT,
            clinical=Clinical.EXPOSED,
            containment=Containment.QUARANTINED,
        )
    return store


def test_the_isolated_women_and_the_scientists_fit_by_converting_the_auditorium(
    venus: Store,
) -> None:
    with venus.session() as session:
        plan = plan_housing(
            session, actor=MEDIC, at=AT, extra={"scientist": 6}, forecast=[16, 20, 40, 80]
        )
        audited = session.scalars(select(AuditRow).where(AuditRow.action == "plan")).all()
    assert plan.feasible and plan.status == "optimal" and plan.conversions == ["hall"]
    guests = {b.person for b in plan.beds} - {f"c{k:02d}" for k in range(1, 17)}
    assert guests - {"e1", "e2", "g8"} == {f"(scientist {k})" for k in range(1, 7)}
    by_person = {b.person: b for b in plan.beds}
    for k in range(1, 17):
        bed = by_person[f"c{k:02d}"]
        assert bed.room == "hall" and bed.cohort == "confirmed"
        assert bed.action == ("moves" if k <= 10 else "recover")
    assert {by_person[p].room for p in ("e1", "e2", "g8")} == {"iso-1"}
    assert {by_person[p].action for p in ("e1", "e2", "g8")} == {"admit"}
    rooms = {u.room: u for u in plan.rooms}
    assert rooms["ward-1"].held_by_others == 1 and rooms["ward-1"].cohort == "scientist"
    assert rooms["hall"].beds == 60 and rooms["hall"].convert
    assert plan.forecast is not None
    assert (plan.forecast.beds_now, plan.forecast.runs_out_day) == (11 + 3, 0)
    assert (plan.forecast.beds_converted, plan.forecast.runs_out_day_converted) == (74, 3)
    assert plan.forecast.runs_out_at_converted == AT + 3 * 86_400
    assert [a.entity for a in audited] == ["housing"]
    assert "1 person is in hall now and must leave before it converts" in plan.notes
    assert json.loads(json.dumps(plan.to_dict()))["feasible"] is True


def test_without_a_conversion_the_plan_says_how_many_beds_each_cohort_is_short(
    venus: Store,
) -> None:
    with venus.session() as session:
        plan = plan_housing(session, actor=MEDIC, at=AT, extra={"scientist": 6}, convert=False)
    # equal shortfalls either way: the confirmed get the beds first
    assert not plan.feasible and plan.short == {"confirmed": 2, "exposed": 3, "scientist": 6}
    assert plan.moves == 0 and plan.conversions == []
    assert any("short of 2 beds for the confirmed cohort" in n for n in plan.notes)
    assert any("no room may be converted" in n for n in plan.notes)


def test_a_hall_converted_before_keeps_its_people_without_a_new_conversion(venus: Store) -> None:
    with venus.session() as session:
        cases.change_case(
            session, "c11", actor=MEDIC, reason="back", at=AT, containment=Containment.ISOLATED,
            assigned_place="hall",
        )  # fmt: skip
        plan = plan_housing(session, actor=MEDIC, at=AT, convert=False)
    bed = next(b for b in plan.beds if b.person == "c11")
    assert (bed.current, bed.room, bed.action) == ("hall", "hall", "stays")
    assert plan.conversions == [] and plan.feasible
    hall = next(u for u in plan.rooms if u.room == "hall")
    assert hall.cohort == "confirmed" and hall.beds == 60 and not hall.convert


def test_named_conversions_and_bad_ones(venus: Store) -> None:
    with venus.session() as session:
        plan = plan_housing(session, actor=MEDIC, at=AT, convert={"al-1": 3})
        assert plan.short == {"confirmed": 2}
        with pytest.raises(InvalidValue):
            plan_housing(session, actor=MEDIC, at=AT, convert={"nowhere": 3})
        with pytest.raises(PermissionDenied):
            plan_housing(session, actor=GUARD, at=AT)


def test_the_roster_names_uncovered_airlock_hours_and_the_guards_that_would_cover_them(
    venus: Store,
) -> None:
    with venus.session() as session:
        plan = plan_roster(session, actor=GUARD, start=AT, days=2)
        audited = session.scalars(select(AuditRow).where(AuditRow.entity == "roster")).all()
    assert plan.unavailable == ["g8"] and len(plan.guards) == 7
    assert plan.exits == ["al-1", "al-2", "al-3"]
    # 11 h rest after 8 h shifts: one shift a day each, 7 guards for 3 posts x 3 shifts a day
    assert plan.uncovered_post_hours == (3 * 6 - 7 * 2) * 8
    assert plan.guards_needed == 9 and plan.extra_guards_needed == 2
    assert {u.exit for u in plan.uncovered} == {"al-3"}  # one gap at a time, the last exit
    assert sum(u.end - u.start for u in plan.uncovered) == plan.uncovered_post_hours * 3600
    assert plan.spread_hours == 0 and {g.hours for g in plan.guards} == {16}
    for g in plan.guards:
        mine = sorted(s.start for s in plan.shifts if s.guard == g.guard)
        assert all(b - a >= (8 + 11) * 3600 for a, b in itertools.pairwise(mine))
    assert len(audited) == 1


def test_fewer_exits_are_covered_and_unknown_ones_refused(venus: Store) -> None:
    with venus.session() as session:
        plan = plan_roster(session, actor=LEAD, start=AT, days=2, exits=["al-2"])
        assert plan.covered and plan.extra_guards_needed == 0 and plan.exits == ["al-2"]
        assert len(plan.shifts) == 6 and plan.uncovered == []
        with pytest.raises(InvalidValue):
            plan_roster(session, actor=LEAD, start=AT, exits=["al-9"])
        with pytest.raises(PermissionDenied):
            plan_roster(session, actor=MEDIC, start=AT)


def test_the_cli_prints_both_plans_as_tables_and_json(venus: Store, db_url: str) -> None:
    runner = CliRunner()
    base = ["--db", db_url, "plan"]
    out = runner.invoke(
        app, [*base, "housing", "--at", str(AT), "--extra", "scientist=6", "--json"]
    )
    assert out.exit_code == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["feasible"] and data["conversions"] == ["hall"]
    out = runner.invoke(app, [*base, "housing", "--at", str(AT), "--no-convert"])
    assert out.exit_code == 0 and "short of 3 beds for the exposed cohort" in out.stdout
    out = runner.invoke(app, [*base, "roster", "--start", str(AT), "--days", "2"])
    assert out.exit_code == 0 and "32 post-hours uncovered" in out.stdout
    assert "2 more guards (9 in all)" in out.stdout
    out = runner.invoke(app, [*base, "roster", "--start", str(AT), "--days", "1", "--json"])
    data = json.loads(out.stdout)
    assert data["uncovered_post_hours"] == 2 * 8 and data["shifts"][0]["start"].startswith("20")
    out = runner.invoke(app, [*base, "housing", "--extra", "scientists"])
    assert out.exit_code == 1 and "NAME=COUNT" in out.stderr


def test_excluded_guards_and_supervisors_stay_off_the_posts(venus: Store, tmp_path: Path) -> None:
    chief = write(
        tmp_path, "chief.csv", "id,name,role,affiliation\nboss,Boss,security,Police Chief\n"
    )
    with venus.session() as session:
        import_file(session, chief, kind=Kind.PEOPLE, actor=LEAD, zone=UTC)
        plan = plan_roster(session, actor=GUARD, start=AT, days=1, exclude=["g1", "g2"])
        posted = {s.guard for s in plan.shifts}
        assert {o.id: o.why.split(" ")[0] for o in plan.off_posts} == {
            "g1": "excluded",
            "g2": "excluded",
            "boss": "supervisor",
        }
        assert posted and not posted & {"g1", "g2", "boss", "g8"}
        assert {g.guard for g in plan.guards} == {f"g{k}" for k in range(3, 8)}
        asked = plan_roster(session, actor=GUARD, start=AT, days=1, include_supervisors=True)
        assert "boss" in {g.guard for g in asked.guards} and asked.off_posts == []
        by_role = plan_roster(
            session, actor=GUARD, start=AT, days=1, exclude=["role:police"]
        )  # an alias of security: nobody is left to post
        assert by_role.guards == [] and by_role.shifts == [] and not by_role.covered
        with pytest.raises(InvalidValue, match="nobody"):
            plan_roster(session, actor=GUARD, start=AT, days=1, exclude=["nobody"])
        with pytest.raises(InvalidValue, match="wizard"):
            plan_roster(session, actor=GUARD, start=AT, days=1, exclude=["role:wizard"])


def _add(store: Store, tmp_path: Path, kind: Kind, text: str) -> None:
    with store.session() as session:
        import_file(session, write(tmp_path, f"{kind}.csv", text), kind=kind, actor=LEAD, zone=UTC)


def test_named_people_are_planned_by_name_and_cohorts_mixed_when_allowed(
    venus: Store, tmp_path: Path
) -> None:
    _add(
        venus, tmp_path, Kind.PEOPLE,
        "id,name,role,affiliation\nvs1,Ada,scientist,shuttle\nvs2,Bo,scientist,shuttle\n",
    )  # fmt: skip
    with venus.session() as session:
        apart = plan_housing(
            session,
            actor=MEDIC,
            at=AT,
            extra={"scientist": "affiliation:shuttle"},
            include_missing=False,
        )
        mixed = plan_housing(
            session,
            actor=MEDIC,
            at=AT,
            include_missing=False,
            extra={"scientist": ["vs1"]},
            mix=[["confirmed", "scientist"]],
        )
        with pytest.raises(InvalidValue, match="nobody"):
            plan_housing(session, actor=MEDIC, at=AT, extra={"scientist": "affiliation:none"})
        with pytest.raises(InvalidValue, match="wizards"):
            plan_housing(session, actor=MEDIC, at=AT, mix=[["confirmed", "wizards"]])
    for plan, names in ((apart, ["vs1", "vs2"]), (mixed, ["vs1"])):
        named = [b for b in plan.beds if b.cohort == "scientist"]
        assert sorted(b.person for b in named) == names and all(b.room for b in named)
    # 10 confirmed and a patient in the 12-bed ward: a scientist shares it only when allowed
    assert apart.conversions == ["hall"] and mixed.conversions == []
    ward = next(u for u in mixed.rooms if u.room == "ward-1")
    assert ward.assigned == 11 and ward.cohort == "confirmed+scientist"
    assert all(b.action == "stays" for b in mixed.beds if b.cohort == "confirmed")


@pytest.mark.parametrize(("busy", "converted"), [("hall", "theatre"), ("theatre", "hall")])
def test_a_room_with_a_gathering_tonight_is_converted_last_and_the_plan_says_so(
    venus: Store, tmp_path: Path, busy: str, converted: str
) -> None:
    _add(venus, tmp_path, Kind.PLACES, "id,name,kind,capacity\ntheatre,Theatre,hall,300\n")
    show = f"show,Show,{busy},{AT + 6 * 3600},{AT + 8 * 3600},,show"
    _add(venus, tmp_path, Kind.GATHERINGS, "id,name,place,start,end,participants,kind\n" + show)
    with venus.session() as session:
        plan = plan_housing(session, actor=MEDIC, at=AT, extra={"scientist": 6}, zone=UTC)
    assert plan.conversions == [converted]
    assert any(f"converted last: {busy} (show at " in note for note in plan.notes)
    assert next(u for u in plan.rooms if u.room == busy).gathering.startswith("show at")
