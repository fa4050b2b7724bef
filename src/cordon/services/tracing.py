"""Tracing over a set of contacts (derived and recorded), turned into reports with evidence.

The store-backed and file-backed entry points are in :mod:`cordon.services.contacts`; this
module holds what they share: the edge set, the report types, and running the engine.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np

from cordon.domain.pathogen import PathogenProfile
from cordon.domain.records import ExposureSource, Route
from cordon.engine.trace import ContactGraph, Direction, TraceResult, build_graph, trace_graph
from cordon.errors import InvalidValue, NotFound

__all__ = [
    "ChainStep",
    "EdgeSet",
    "TraceReport",
    "TracedPerson",
    "adjust_profile",
    "parse_direction",
    "prepare_trace",
    "run_trace",
    "transmitting_routes",
]

ROUTES = list(Route)
SOURCES = list(ExposureSource)


def parse_direction(text: str | Direction) -> Direction:
    """``forward``, ``backward`` or ``both`` (also ``fwd``, ``back``, ``bwd``)."""
    word = str(text).strip().lower()
    word = {"fwd": "forward", "back": "backward", "bwd": "backward"}.get(word, word)
    try:
        return Direction(word)
    except ValueError:
        raise InvalidValue(f"unknown direction {text!r} (use forward, backward or both)") from None


def adjust_profile(
    profile: PathogenProfile,
    *,
    latent_s: int | None = None,
    infectious_s: int | None = None,
    routes: Sequence[Route] | None = None,
) -> PathogenProfile:
    """``profile`` with the given periods, and only ``routes`` transmitting (a listed route the
    profile gives no probability counts as certain)."""
    changes: dict[str, Any] = {}
    if latent_s is not None:
        changes["latent_s"] = latent_s
    if infectious_s is not None:
        changes["infectious_s"] = infectious_s
    if routes is not None:
        changes["transmission"] = {
            r: (profile.transmission.get(r, 0.0) or 1.0) if r in routes else 0.0 for r in Route
        }
    return replace(profile, **changes) if changes else profile


@dataclass(frozen=True)
class EdgeSet:
    """Contacts as arrays over dense person indices, with the names to report them by.

    ``route`` and ``source`` are indices into ``Route`` and ``ExposureSource`` in declaration
    order; ``place`` is an index into ``places`` or -1.
    """

    people: np.ndarray
    places: np.ndarray
    a: np.ndarray
    b: np.ndarray
    place: np.ndarray
    start: np.ndarray
    end: np.ndarray
    duration: np.ndarray
    route: np.ndarray
    source: np.ndarray

    def __len__(self) -> int:
        return len(self.a)

    def only(self, keep: np.ndarray) -> EdgeSet:
        """The edges where ``keep`` is true."""
        return EdgeSet(self.people, self.places, *(getattr(self, n)[keep] for n in _EDGE_FIELDS))

    def index_of(self, persons: Sequence[str]) -> np.ndarray:
        """Dense indices of person ids; an unknown id is NotFound."""
        lookup = {str(p): k for k, p in enumerate(self.people.tolist())}
        missing = [p for p in persons if p not in lookup]
        if missing:
            raise NotFound(f"no person {', '.join(map(repr, missing))} in the contacts")
        return np.array([lookup[p] for p in persons], dtype=np.int64)


_EDGE_FIELDS = ("a", "b", "place", "start", "end", "duration", "route", "source")


@dataclass(frozen=True)
class ChainStep:
    """One contact on a chain, from the person nearer the index persons to the next."""

    a: str
    b: str
    place: str | None
    start: int
    end: int
    duration_s: int
    route: str
    source: str


@dataclass(frozen=True)
class TracedPerson:
    """One person a chain reaches, with the evidence.

    Forward, ``time`` is the earliest moment they could have been infected; backward, the
    latest moment they could have been and still start a chain to the case. ``link`` is the
    neighbour one step nearer the index persons (forward) or the case (backward), ``contact``
    the contact of that step, ``path`` and ``chain`` the whole way from an index person to
    them (forward) or from them to the case (backward).
    """

    person: str
    generation: int
    time: int
    infectious_from: int
    exposure_s: int
    link: str | None
    contact: ChainStep | None
    path: list[str]
    chain: list[ChainStep]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


@dataclass(frozen=True)
class TraceReport:
    """A trace from index persons (forward) or cases (backward), or both, with its parameters."""

    index: list[str]
    direction: Direction
    since: int | None
    until: int | None
    profile: str
    latent_s: int
    infectious_s: int
    routes: list[str]
    contacts_used: int
    forward: list[TracedPerson] = field(default_factory=list)
    backward: list[TracedPerson] = field(default_factory=list)
    quality: dict[str, Any] | None = None
    latest_infection: dict[str, int] = field(default_factory=dict)
    """Backward: index cases whose onset or confirmation bounds when they were infected."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "index": self.index,
            "direction": self.direction.value,
            "since": self.since,
            "until": self.until,
            "profile": self.profile,
            "latent_s": self.latent_s,
            "infectious_s": self.infectious_s,
            "routes": self.routes,
            "contacts_used": self.contacts_used,
            "forward": [p.to_dict() for p in self.forward],
            "backward": [p.to_dict() for p in self.backward],
            "quality": self.quality,
            "latest_infection": self.latest_infection,
        }


def _step(edges: EdgeSet, k: int, first: str, second: str) -> ChainStep:
    place = int(edges.place[k])
    return ChainStep(
        a=first,
        b=second,
        place=str(edges.places[place]) if place >= 0 else None,
        start=int(edges.start[k]),
        end=int(edges.end[k]),
        duration_s=int(edges.duration[k]),
        route=ROUTES[int(edges.route[k])].value,
        source=SOURCES[int(edges.source[k])].value,
    )


def _people(edges: EdgeSet, result: TraceResult, *, chains: bool) -> list[TracedPerson]:
    names = edges.people
    forward = result.direction is Direction.FORWARD
    reached = result.reached
    if not forward:  # rank candidate sources: nearest first, then most exposure, then latest
        reached = reached[
            np.lexsort((-result.time[reached], -result.exposure_s[reached],
                        result.generation[reached]))
        ]  # fmt: skip
    out = []
    for v in reached.tolist():
        link = int(result.predecessor[v])
        path = [str(names[p]) for p in result.chain(v)] if chains else []
        steps: list[ChainStep] = []
        if chains:
            for i, k in enumerate(result.chain_contacts(v)):
                steps.append(_step(edges, k, path[i], path[i + 1]))
        contact = None
        if link >= 0:
            pair = (str(names[link]), str(names[v])) if forward else (str(names[v]), names[link])
            contact = _step(edges, int(result.via[v]), str(pair[0]), str(pair[1]))
        out.append(
            TracedPerson(
                person=str(names[v]),
                generation=int(result.generation[v]),
                time=int(result.time[v]),
                infectious_from=int(result.infectious_from[v]),
                exposure_s=int(result.exposure_s[v]),
                link=str(names[link]) if link >= 0 else None,
                contact=contact,
                path=path,
                chain=steps,
            )
        )
    return out


def transmitting_routes(profile: PathogenProfile) -> np.ndarray:
    """Which of ``ROUTES`` the profile transmits, as a mask."""
    return np.array([profile.transmits(r) for r in ROUTES], dtype=bool)


def prepare_trace(edges: EdgeSet, profile: PathogenProfile) -> tuple[EdgeSet, ContactGraph]:
    """The edges on routes the profile transmits, and their graph indexed for tracing."""
    transmitting = transmitting_routes(profile)
    used = edges.only(transmitting[edges.route]) if len(edges) else edges
    return used, build_graph(used.a, used.b, used.start, used.end, n=len(edges.people))


def run_trace(
    edges: EdgeSet,
    persons: Sequence[str],
    *,
    profile: PathogenProfile,
    direction: Direction,
    since: int | None,
    until: int | None,
    index_window_s: int | None = None,
    chains: bool = True,
    quality: dict[str, Any] | None = None,
    latest_infection: Mapping[str, int] | None = None,
    prepared: tuple[EdgeSet, ContactGraph] | None = None,
) -> TraceReport:
    """Trace ``persons`` over the edges whose route the profile transmits. Backward, each person
    was infected at the latest by ``until`` (default: the last contact) or by their own onset or
    confirmation in ``latest_infection``, whichever is earlier. ``prepared``: what
    :func:`prepare_trace` gave for these edges and profile, kept from an earlier call."""
    if not persons:
        raise InvalidValue("name at least one person to trace from")
    used, graph = prepared or prepare_trace(edges, profile)
    seeds = used.index_of(list(persons))
    first = int(used.start.min()) if len(used) else 0
    last = int(used.end.max()) if len(used) else 0
    report = TraceReport(
        index=list(persons),
        direction=direction,
        since=since,
        until=until,
        profile=profile.name,
        latent_s=profile.latent_s,
        infectious_s=profile.infectious_s,
        routes=[r.value for r in profile.routes],
        contacts_used=len(used),
        quality=quality,
    )
    bounds = {p: int(t) for p, t in (latest_infection or {}).items() if p in persons}
    if direction in (Direction.FORWARD, Direction.BOTH):
        result = trace_graph(
            graph, seeds, since if since is not None else first, direction=Direction.FORWARD,
            horizon=until, latent=profile.latent_s, infectious=profile.infectious_s,
            seed_window=index_window_s,
        )  # fmt: skip
        report.forward.extend(_people(used, result, chains=chains))
    if direction in (Direction.BACKWARD, Direction.BOTH):
        latest = until if until is not None else last
        at = np.array([min(latest, bounds.get(p, latest)) for p in persons], dtype=np.int64)
        report.latest_infection.update({p: t for p, t in bounds.items() if t < latest})
        result = trace_graph(
            graph, seeds, at, direction=Direction.BACKWARD,
            horizon=since, latent=profile.latent_s, infectious=profile.infectious_s,
            seed_window=index_window_s,
        )  # fmt: skip
        report.backward.extend(_people(used, result, chains=chains))
    return report
