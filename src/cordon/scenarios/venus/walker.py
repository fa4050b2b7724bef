"""Walking people through the station: each move follows the place tree, door by door.

A ``Walker`` turns one person's stops (go to a place at a time, arrive through an exit, leave
through one) into contiguous presence intervals, so that no one is ever in two places at once and
every change of place crosses a door between a place and its parent.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["Stop", "Tree", "Walker"]

MIN_STAY = 120
"""The shortest stay at a destination before the next move, in seconds."""


@dataclass(frozen=True, slots=True)
class Stop:
    """One step of a person's plan: ``go`` (leave for ``place`` at ``at``), ``arrive`` (appear at
    an exit place at ``at``) or ``leave`` (go out through the exit one is in at ``at``)."""

    at: int
    action: str
    place: str
    final: bool = False
    """Nothing after this stop happens (isolation until the end, an egress)."""
    keep: bool = False
    """An appointment or an arrival/departure: never dropped to make room for another."""
    hop: int | None = None
    """Seconds per door on the way (people walking together use the same)."""


class Tree:
    """Parent links of the places, for door-by-door paths."""

    def __init__(self, parents: dict[str, str | None]) -> None:
        self.parents = parents
        self._chains: dict[str, list[str]] = {}

    def chain(self, place: str) -> list[str]:
        """The place and its ancestors up to the root."""
        if place not in self._chains:
            out = [place]
            while (parent := self.parents[out[-1]]) is not None:
                out.append(parent)
            self._chains[place] = out
        return self._chains[place]

    def path(self, origin: str, target: str) -> list[str]:
        """The places entered on the way from ``origin`` to ``target`` (``target`` last)."""
        up, down = self.chain(origin), self.chain(target)
        below = set(down)
        meet = next(p for p in up if p in below)
        rise = up[1 : up.index(meet) + 1]
        return rise + down[: down.index(meet)][::-1]


@dataclass
class Walker:
    """One person's presence, built move by move; ``rows`` are (place, start, end)."""

    tree: Tree
    rng: np.random.Generator
    place: str | None
    since: int
    rows: list[tuple[str, int, int]] = field(default_factory=list)

    def _hop(self) -> int:
        return int(self.rng.integers(45, 150))

    def go(self, target: str, depart: int, hop: int | None = None) -> int:
        """Leave for ``target`` no earlier than ``depart``; returns the arrival time."""
        if self.place is None or target == self.place:
            return self.since
        depart = max(depart, self.since + MIN_STAY)
        self.rows.append((self.place, self.since, depart))
        at = depart
        for step in self.tree.path(self.place, target)[:-1]:
            seconds = hop or self._hop()
            self.rows.append((step, at, at + seconds))
            at += seconds
        self.place, self.since = target, at
        return at

    def arrive(self, exit_place: str, at: int) -> None:
        """Come aboard through ``exit_place`` at ``at`` (the person was off the station)."""
        if self.place is not None:
            raise ValueError(f"arrive at {exit_place} while aboard in {self.place}")
        self.place, self.since = exit_place, at

    def leave(self, at: int) -> int:
        """Go out through the exit the person is in, no earlier than ``at``; returns the time."""
        if self.place is None:
            raise ValueError("leave while not aboard")
        at = max(at, self.since + 60)
        self.rows.append((self.place, self.since, at))
        self.place = None
        self.since = at
        return at

    def close(self, end: int) -> None:
        """Stop the record at ``end`` (the data cut-off) wherever the person is."""
        if self.place is not None:
            self.rows.append((self.place, self.since, max(end, self.since)))
            self.place = None

    def follow(self, stops: list[Stop], end: int) -> None:
        """Carry out ``stops`` in time order up to ``end``."""
        for stop in sorted(stops, key=lambda s: s.at):
            if stop.at >= end or (self.place is not None and self.since >= end):
                break
            if stop.action == "go":
                self.go(stop.place, stop.at, stop.hop)
            elif stop.action == "arrive":
                self.arrive(stop.place, stop.at)
            else:
                self.leave(stop.at)
            if stop.final:
                break
        self.close(end)
        self.rows = [(p, s, min(e, end)) for p, s, e in self.rows if s < end and e > s]
