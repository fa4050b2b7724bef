"""A case's story at a glance: a few lines that tell what happened to one person (exposures,
results, orders and why, follow-up, exits and returns, where they are now) before the raw log.

Built from the same timeline the person page shows, so each line is masked by the reader's role
exactly as the log beneath it; follow-up checks show only to clinical roles.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, tzinfo

from sqlalchemy.orm import Session

from cordon.domain.followup import CheckStatus, FollowUp
from cordon.domain.orders import OrderStatus
from cordon.domain.roles import Actor, Permission
from cordon.services.directory import Timeline, person_timeline
from cordon.services.whereabouts import Whereabouts, locate
from cordon.store import directory
from cordon.store import followup as checks

__all__ = ["Story", "person_story", "story_lines"]

SHOWN = 3
"""How many items of a kind a line names before saying how many more."""


@dataclass
class Story:
    """The story's lines, and the timeline and checks they were told from."""

    lines: list[str]
    timeline: Timeline
    followups: list[FollowUp] = field(default_factory=list)
    where: Whereabouts | None = None


def _when(epoch: int | None, zone: tzinfo) -> str:
    if epoch is None:
        return "open-ended"
    return datetime.fromtimestamp(epoch, tz=zone).strftime("%Y-%m-%d %H:%M")


def _more(items: list[str], total: int) -> str:
    shown = "; ".join(items)
    return shown + (f"; and {total - len(items)} more" if total > len(items) else "")


def story_lines(
    t: Timeline, followups: list[FollowUp], where: Whereabouts | None, zone: tzinfo
) -> list[str]:
    """The lines of a story, in the order a reader asks: who and what state, how they were
    exposed, what the lab found, which orders and why, the follow-up, exits, where now."""
    p, c = t.person, t.case
    state = ", ".join(
        s.replace("_", " ") for s in (c.clinical and c.clinical.value, c.containment.value) if s
    )
    lines = [f"{p.id} {p.name} ({p.role.value}{', ' + p.affiliation if p.affiliation else ''})"
             f": {state}"]  # fmt: skip
    if t.exposures:
        told = [
            f"{e.route} with {e.other} at {e.place or 'an unknown place'} on "
            f"{_when(e.start, zone)} ({'source' if e.as_source else 'exposed'}, {e.source})"
            for e in t.exposures[:SHOWN]
        ]
        lines.append(f"Exposures ({len(t.exposures)}): " + _more(told, len(t.exposures)))
    if t.lab:
        told = [f"{r.result} {r.assay} on {_when(r.collected_at, zone)}" for r in t.lab[:SHOWN]]
        lines.append(f"Results ({len(t.lab)}): " + _more(told, len(t.lab)))
    if t.orders:
        told = []
        for o in t.orders[-SHOWN:]:
            status = "" if o.status is OrderStatus.ACTIVE else f", {o.status.value}"
            until = f" until {_when(o.expiry, zone)}" if o.expiry else ""
            why = ", ".join(
                x for x in (o.reason if o.reason != "under order" else "", status[2:]) if x
            )
            told.append(f"{o.kind.value.replace('_', ' ')} from {_when(o.start, zone)}{until}"
                        + (f" ({why})" if why else ""))  # fmt: skip
        lines.append(f"Orders ({len(t.orders)}, latest last): " + _more(told, len(t.orders)))
    if followups:
        last = followups[-1]
        reading = f", {last.temperature:g} °C" if last.temperature is not None else ""
        line = (
            f"Follow-up: {len(followups)} check(s), last {_when(last.at, zone)} "
            f"{last.status.value.replace('_', ' ')}{reading}"
        )
        sick = [f for f in followups if f.status is CheckStatus.SYMPTOMATIC]
        if sick:
            line += f"; symptomatic on {_when(sick[0].at, zone)} ({', '.join(sick[0].symptoms)})"
        lines.append(line)
    exits = [x for x in t.passages if x.exit]
    if exits:
        told = [
            f"{x.direction} through {x.place} on {_when(x.at, zone)}"
            + (f" with {', '.join(x.companions)}" if x.companions else "")
            + (f" ({x.credential} credential)" if x.credential != "badge" else "")
            for x in exits[-SHOWN:]
        ]
        lines.append(f"Exits and returns ({len(exits)}, latest last): " + _more(told, len(exits)))
    if where is not None:
        if not where.aboard:
            lines.append(f"Now: off the station since {_when(where.since, zone)}")
        elif where.place:
            lines.append(f"Now: {where.place} ({where.source} since {_when(where.since, zone)})")
        else:
            lines.append("Now: whereabouts unknown")
    return lines


def person_story(session: Session, person_id: str, *, actor: Actor, at: int, zone: tzinfo) -> Story:
    """The story of one person at ``at`` as the actor may read it (the timeline's read is
    audited, as a clinical record when it includes clinical data)."""
    timeline = person_timeline(session, person_id, actor=actor)
    followups: list[FollowUp] = []
    if actor.can(Permission.READ_CLINICAL):
        pk, _ = directory.get_person(session, person_id)
        followups = checks.checks_of(session, pk, person_id)
    where = None
    if actor.can(Permission.READ_LOCATIONS):
        where = locate(session, at=at, people=[person_id])[person_id]
    lines = story_lines(timeline, followups, where, zone)
    return Story(lines, timeline, followups, where)
