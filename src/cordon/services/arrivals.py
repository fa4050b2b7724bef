"""Vessel manifests and what became of the people on them, from the berth passages.

A manifest lists who a vessel brings (with role and affiliation as the vessel declares them)
and when it is expected. Each person's fate is read from the passages through the station's
berths (exits of kind dock) from 12 hours before the expected time: no passage in, still aboard
the vessel; in, arrived; out again through a berth within ``TURN_BACK_S`` of coming in,
turned back; out later, departed. Screening checks each arrival against the orders, moratoria,
exit policies and gatherings in force and raises one alert per finding.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from cordon.domain.alerts import Alert, AlertKind, Severity
from cordon.domain.ids import normalise_id
from cordon.domain.orders import OrderKind, OrderStatus
from cordon.domain.places import PlaceKind
from cordon.domain.roles import Actor, Permission, require
from cordon.errors import ImportRefused, RowError
from cordon.services import moratoria
from cordon.services.transaction import unit_of_work
from cordon.store import audit, directory
from cordon.store import containment as records
from cordon.store.models import (
    ManifestEntryRow,
    ManifestRow,
    PassageRow,
    PersonRow,
    PlaceRow,
    RuleFiringRow,
)
from cordon.times import parse_time

__all__ = [
    "TURN_BACK_S",
    "Arrival",
    "VesselArrivals",
    "arrivals",
    "import_manifest",
    "screen_arrivals",
]

TURN_BACK_S = 3_600
"""Out again through a berth this soon after coming in: turned back, not arrived."""
LOOK_BACK_S = 12 * 3_600
STEP_S = 60
"""Out of a berth and into a station place within this: one step aboard."""
COLUMNS = ("vessel", "expected", "person", "role", "affiliation")


@dataclass(frozen=True)
class Arrival:
    """One person on a manifest and what became of them."""

    person: str
    role: str
    affiliation: str | None
    status: str
    """aboard_vessel, arrived, turned_back or departed."""
    arrived_at: int | None = None
    left_at: int | None = None
    berth: str | None = None


@dataclass
class VesselArrivals:
    """A vessel's manifest, counted."""

    vessel: str
    expected_at: int
    people: list[Arrival] = field(default_factory=list)

    def count(self, status: str) -> int:
        """How many of the manifest are in ``status``."""
        return sum(1 for a in self.people if a.status == status)


def import_manifest(session: Session, path: Path, *, actor: Actor, zone: ZoneInfo) -> int:
    """Load a manifest file (``vessel, expected, person, role, affiliation``; one vessel's
    rows replace what it listed before); returns the rows loaded. A bad row refuses the file
    whole, naming row, column and reason."""
    require(actor, Permission.IMPORT_DIRECTORY)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ImportRefused(str(path), [], problem=f"cannot be read: {exc}") from exc
    rows = list(csv.DictReader(io.StringIO(text)))
    missing = [c for c in COLUMNS[:4] if rows and c not in rows[0]]
    if not rows or missing:
        raise ImportRefused(
            str(path), [], problem=f"needs the columns {', '.join(COLUMNS)} and at least one row"
        )
    keys = directory.person_keys(session)
    errors: list[RowError] = []
    parsed: list[tuple[str, int, int, str, str | None]] = []
    for line, row in enumerate(rows, start=2):
        vessel = (row.get("vessel") or "").strip()
        person = normalise_id(row.get("person") or "")
        role = (row.get("role") or "").strip()
        if not vessel:
            errors.append(RowError(line, "vessel", "", "is required"))
        if person not in keys:
            errors.append(
                RowError(line, "person", row.get("person") or "", "is not a known person id "
                         "(import the people first)")
            )  # fmt: skip
        if not role:
            errors.append(RowError(line, "role", "", "is required"))
        try:
            expected = parse_time((row.get("expected") or "").strip(), zone)
        except Exception:
            errors.append(RowError(line, "expected", row.get("expected") or "", "is not a time"))
            continue
        if person in keys and vessel and role:
            affiliation = (row.get("affiliation") or "").strip() or None
            parsed.append((vessel, expected, keys[person], role, affiliation))
    if errors:
        raise ImportRefused(str(path), errors)
    with unit_of_work(session):
        for vessel in sorted({p[0] for p in parsed}):
            mine = [p for p in parsed if p[0] == vessel]
            old = session.scalar(select(ManifestRow).where(ManifestRow.vessel == vessel))
            listed = {pk: (r, a) for _v, _e, pk, r, a in mine}  # a person listed twice: last
            wanted = {(pk, r, a) for pk, (r, a) in listed.items()}
            if old is not None and old.expected_at == mine[0][1]:
                have = {
                    (pk, r, a)
                    for pk, r, a in session.execute(
                        select(
                            ManifestEntryRow.person_pk,
                            ManifestEntryRow.role,
                            ManifestEntryRow.affiliation,
                        ).where(ManifestEntryRow.manifest_pk == old.pk)
                    )
                }
                if have == wanted:
                    continue  # the same manifest again: nothing to write
            if old is not None:
                session.execute(
                    delete(ManifestEntryRow).where(ManifestEntryRow.manifest_pk == old.pk)
                )
                old.expected_at = mine[0][1]
                row_ = old
            else:
                row_ = ManifestRow(vessel=vessel, expected_at=mine[0][1])
                session.add(row_)
                session.flush()
            session.add_all(
                ManifestEntryRow(manifest_pk=row_.pk, person_pk=pk, role=r, affiliation=a)
                for pk, (r, a) in listed.items()
            )
            audit.record(
                session,
                actor=actor.name,
                action="import",
                entity="manifest",
                entity_id=vessel,
                after={"vessel": vessel, "expected_at": mine[0][1], "people": len(mine)},
            )
    return len(parsed)


def arrivals(session: Session, *, actor: Actor, vessel: str | None = None) -> list[VesselArrivals]:
    """Every manifest (or one vessel's) with each person's fate from the berth passages."""
    require(actor, Permission.READ_LOCATIONS)
    query = select(ManifestRow).order_by(ManifestRow.expected_at, ManifestRow.vessel)
    if vessel is not None:
        query = query.where(ManifestRow.vessel == vessel.strip())
    berths = dict(
        session.execute(
            select(PlaceRow.pk, PlaceRow.id).where(
                PlaceRow.kind == PlaceKind.DOCK.value, PlaceRow.exit.is_(True)
            )
        ).all()
    )
    out: list[VesselArrivals] = []
    for manifest in session.scalars(query):
        found = VesselArrivals(manifest.vessel, manifest.expected_at)
        entries = session.execute(
            select(PersonRow.pk, PersonRow.id, ManifestEntryRow.role, ManifestEntryRow.affiliation)
            .join(ManifestEntryRow, ManifestEntryRow.person_pk == PersonRow.pk)
            .where(ManifestEntryRow.manifest_pk == manifest.pk)
            .order_by(PersonRow.id)
        ).all()
        passages: dict[int, list[tuple[int, str, int]]] = {}
        for person_pk, at, direction, place_pk in session.execute(
            select(PassageRow.person_pk, PassageRow.at, PassageRow.direction, PassageRow.place_pk)
            .where(PassageRow.person_pk.in_([e[0] for e in entries]))
            .where(PassageRow.at >= manifest.expected_at - LOOK_BACK_S)
            .order_by(PassageRow.at)
        ):
            passages.setdefault(person_pk, []).append((at, direction, place_pk))
        for pk, pid, role, affiliation in entries:
            found.people.append(_fate(pid, role, affiliation, passages.get(pk, []), berths))
        out.append(found)
    return out


def _fate(
    person: str,
    role: str,
    affiliation: str | None,
    passages: Sequence[tuple[int, str, int]],
    berths: dict[int, str],
) -> Arrival:
    """Into a berth from the vessel, then out of it: into the station when the person comes
    into another place at once (``STEP_S``), else back to a vessel (turned back, or departed
    after having been aboard)."""
    came = next((p for p in passages if p[1] == "in" and p[2] in berths), None)
    if came is None:
        return Arrival(person, role, affiliation, "aboard_vessel")
    berth, aboard = berths[came[2]], False
    for at, direction, place in passages:
        if at <= came[0] or direction != "out" or place not in berths:
            continue
        inside = any(
            d == "in" and p not in berths and at <= t <= at + STEP_S for t, d, p in passages
        )
        if inside:
            aboard = True
            continue
        if not aboard and at - came[0] <= TURN_BACK_S:
            return Arrival(person, role, affiliation, "turned_back", came[0], at, berth)
        return Arrival(person, role, affiliation, "departed", came[0], at, berth)
    return Arrival(person, role, affiliation, "arrived", came[0], None, berth)


def screen_arrivals(session: Session, *, actor: Actor, now: int) -> list[Alert]:
    """Check everyone arrived (or expected) against the orders in force and the gatherings:
    a gathering a moratorium suspends with arrivals booked into it; a gathering whose planned
    participants include people under orders; an arrival under an order. One alert per
    finding, ever (idempotent); returns the new alerts."""
    require(actor, Permission.ORDER_HOLD)
    vessels = arrivals(session, actor=actor)
    mine = {a.person: v.vessel for v in vessels for a in v.people if a.status != "turned_back"}
    active = records.order_views(session, status=OrderStatus.ACTIVE)
    held = {
        v.order.person: v.order
        for v in active
        if v.order.person is not None and v.order.kind is not OrderKind.MORATORIUM
    }
    findings: list[tuple[str, Alert]] = []
    for g in moratoria.list_gatherings(session, actor=actor):
        booked = sorted(p for p in g.gathering.participants if p in mine)
        if g.suspended and booked:
            findings.append(
                (
                    f"suspended:{g.gathering.id}",
                    Alert(
                        AlertKind.ARRIVAL_SCREENING,
                        now,
                        f"{len(booked)} arriving ({', '.join(sorted({mine[p] for p in booked}))})"
                        f" booked into {g.gathering.name} ({g.gathering.id}), suspended by "
                        f"moratorium {', '.join(str(i) for i in g.suspended_by)}",
                        Severity.WARNING,
                        None,
                        g.gathering.place,
                        tuple(f"person:{p}" for p in booked[:20]),
                    ),
                )
            )
        if booked or any(p in mine for p in g.gathering.participants):
            under = sorted(p for p in g.gathering.participants if p in held)
            if under and not g.suspended:
                findings.append(
                    (
                        f"crew:{g.gathering.id}",
                        Alert(
                            AlertKind.ARRIVAL_SCREENING,
                            now,
                            f"{g.gathering.name} ({g.gathering.id}), with arrivals booked: "
                            f"{len(under)} of its planned participants are under orders",
                            Severity.WARNING,
                            None,
                            g.gathering.place,
                            tuple(f"order:{held[p].id}" for p in under[:20]),
                        ),
                    )
                )
    for person, vessel in sorted(mine.items()):
        if person in held:
            findings.append(
                (
                    f"held:{person}",
                    Alert(
                        AlertKind.ARRIVAL_SCREENING,
                        now,
                        f"{person} of {vessel} is under order {held[person].id}",
                        Severity.WARNING,
                        person,
                        None,
                        (f"order:{held[person].id}",),
                    ),
                )
            )
    done = set(
        session.scalars(select(RuleFiringRow.evidence).where(RuleFiringRow.rule == "arrival"))
    )
    new = [(k, a) for k, a in findings if k[:64] not in done]
    if not new:
        return []
    keys, places = directory.person_keys(session), directory.place_keys(session)
    with unit_of_work(session):
        records.add_alerts(
            session,
            [(a, keys.get(a.person or ""), places.get(a.place or "")) for _k, a in new],
            actor=actor.name,
        )
        for key, a in new:
            records.add_firing(session, "arrival", key[:64], at=now, outcome=a.message[:500])
    return [a for _k, a in new]
