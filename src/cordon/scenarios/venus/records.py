"""The scenario as the canonical tables of DESIGN.md: what a facility's systems would export."""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from cordon.scenarios.venus.day6 import Day6
from cordon.scenarios.venus.station import Member, PlaceSpec
from cordon.scenarios.venus.story import DAY1, END, Meeting, Show, Story

__all__ = [
    "exposure_frame",
    "gathering_frame",
    "lab_frame",
    "passage_frame",
    "people_frame",
    "place_frame",
    "presence_frame",
]

ASSAY = "venus-particle smear"
MIN_EXPOSURE = 600


def place_frame(places: list[PlaceSpec]) -> pd.DataFrame:
    """places: id, name, kind, capacity, parent, exit."""
    return pd.DataFrame(
        {
            "id": [p.id for p in places],
            "name": [p.name for p in places],
            "kind": [p.kind for p in places],
            "capacity": pd.array([p.capacity for p in places], dtype="Int64"),
            "parent": [p.parent or "" for p in places],
            "exit": [p.exit for p in places],
        }
    )


def people_frame(people: list[Member]) -> pd.DataFrame:
    """people: id, name, role, affiliation, home."""
    return pd.DataFrame(
        {
            "id": [m.id for m in people],
            "name": [m.name for m in people],
            "role": [m.role for m in people],
            "affiliation": [m.affiliation for m in people],
            "home": [m.home or "" for m in people],
        }
    )


def presence_frame(rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    """presence: person, place, start, end (epoch seconds), in person and time order."""
    frame = pd.DataFrame(rows, columns=["person", "place", "start", "end"])
    return frame.sort_values(["person", "start"], kind="stable").reset_index(drop=True)


def passage_frame(presence: pd.DataFrame, exits: set[str], story: Story) -> pd.DataFrame:
    """passages: a badge read into each place at the start of a presence and out of it at the end
    (none at the start of the record or at the cut-off); cameras at every exit; the egresses
    opened by a foreign device with the companion named."""
    ins = presence[presence["start"] > DAY1]
    outs = presence[presence["end"] < END]
    frame = pd.concat(
        [
            pd.DataFrame(
                {
                    "person": ins["person"],
                    "place": ins["place"],
                    "time": ins["start"],
                    "direction": "in",
                }
            ),
            pd.DataFrame(
                {
                    "person": outs["person"],
                    "place": outs["place"],
                    "time": outs["end"],
                    "direction": "out",
                }
            ),
        ],
        ignore_index=True,
    )
    frame = frame.sort_values(["time", "person", "direction"], kind="stable").reset_index(drop=True)
    frame["credential"] = "badge"
    frame["companions"] = ""
    at_exit = frame["place"].isin(exits).to_numpy()
    frame["camera"] = np.where(at_exit, "cam-" + frame["place"].astype(str), "")
    for e in story.egress:
        for who, other in ((e.person, e.escort), (e.escort, e.person)):
            mine = (frame["person"] == who).to_numpy()
            window = mine & (frame["time"] >= e.time - 900).to_numpy()
            window &= (frame["time"] <= e.time).to_numpy() & (
                frame["place"] == e.airlock
            ).to_numpy()
            door = mine & frame["time"].isin(frame.loc[window, "time"]).to_numpy()
            frame.loc[door, "credential"] = "foreign"
            frame.loc[door, "companions"] = other
    return frame


def exposure_frame(presence: pd.DataFrame, story: Story, rng: np.random.Generator) -> pd.DataFrame:
    """exposures: the intimate contacts of the story, timed by when both were actually there."""
    wanted = {m.source for m in story.meetings} | {m.target for m in story.meetings}
    spans: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    sub = presence[presence["person"].isin(wanted)]
    for person, place, start, end in sub.itertuples(index=False):
        spans[(person, place)].append((int(start), int(end)))
    rows = []
    for m in story.meetings:
        lo, hi = _window(m, rng)
        best = (0, 0)
        for s1, e1 in spans[(m.source, m.place)]:
            for s2, e2 in spans[(m.target, m.place)]:
                s, e = max(s1, s2, lo), min(e1, e2, hi)
                if e - s > best[1] - best[0]:
                    best = (s, e)
        if best[1] - best[0] < MIN_EXPOSURE:
            raise RuntimeError(
                f"the meeting of {m.source} and {m.target} at {m.place} did not happen"
            )
        source = "observed" if m.kind == "show" else "interview"
        rows.append(
            (m.source, m.target, m.place, best[0], best[1], best[1] - best[0], "fluid", source)
        )
    columns = ["a", "b", "place", "start", "end", "duration_s", "route", "source"]
    return (
        pd.DataFrame(rows, columns=columns)
        .sort_values("start", kind="stable")
        .reset_index(drop=True)
    )


def _window(m: Meeting, rng: np.random.Generator) -> tuple[int, int]:
    """When the contact happened: a while into the show, or most of a private meeting."""
    if m.kind == "show":
        lo = m.start + 2700 + int(rng.integers(0, 1200))
        return lo, min(m.end, lo + int(rng.integers(900, 2400)))
    return m.start + int(rng.integers(300, 1200)), m.end - int(rng.integers(0, 900))


def lab_frame(story: Story) -> pd.DataFrame:
    """lab: person, collected_at, assay, result, quantity (particles per microlitre)."""
    frame = pd.DataFrame(story.lab, columns=["person", "collected_at", "result", "quantity"])
    frame.insert(2, "assay", ASSAY)
    return frame.sort_values(["collected_at", "person"], kind="stable").reset_index(drop=True)


def gathering_frame(story: Story, day6: Day6) -> pd.DataFrame:
    """gatherings: id, name, place, start, end, participants, kind."""
    rows = []
    for show in story.shows:
        rows.append(_row(show, "show"))
    private: dict[str, list[Meeting]] = defaultdict(list)
    for m in story.meetings:
        if m.kind == "private":
            private[m.gathering].append(m)
    for gid, meetings in private.items():
        m = meetings[0]
        pair = " ".join(sorted((m.source, m.target)))
        rows.append((gid, "Private meeting", m.place, m.start, m.end, pair, "private"))
    rows += [_row(s, "meeting") for s in day6.meetings]
    rows += [_row(s, "show") for s in day6.shows]
    if day6.westworld is not None:
        rows.append(_row(day6.westworld, "session"))
    columns = ["id", "name", "place", "start", "end", "participants", "kind"]
    return pd.DataFrame(rows, columns=columns).sort_values(["start", "id"]).reset_index(drop=True)


def _row(show: Show, kind: str) -> tuple[str, str, str, int, int, str, str]:
    people = " ".join(sorted({*show.performers, *show.crew}))
    return (show.id, show.name, show.place, show.start, show.end, people, kind)
