"""Checks of a generated scenario's records that the tests share (each returns the violations)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from cordon.scenarios.venus import Scenario

DAY = 86_400


def parents(scenario: Scenario) -> dict[str, str | None]:
    """Each place's parent (None for the root)."""
    frame = scenario.places
    return {i: (p or None) for i, p in zip(frame["id"], frame["parent"], strict=True)}


def adjacent(tree: dict[str, str | None], a: str, b: str) -> bool:
    """Whether a door joins ``a`` and ``b`` (one is the other's parent)."""
    return tree.get(a) == b or tree.get(b) == a


def presence_problems(scenario: Scenario) -> list[str]:
    """Overlaps, empty intervals, jumps between non-adjacent places, gaps not through an exit."""
    tree = parents(scenario)
    exits = set(scenario.places.loc[scenario.places["exit"], "id"])
    out: list[str] = []
    frame = scenario.presence.sort_values(["person", "start"], kind="stable")
    for person, rows in frame.groupby("person", sort=False):
        places = rows["place"].tolist()
        starts, ends = rows["start"].to_numpy(), rows["end"].to_numpy()
        if (ends <= starts).any():
            out.append(f"{person}: empty interval")
        for k in range(1, len(places)):
            if starts[k] < ends[k - 1]:
                out.append(f"{person}: in {places[k - 1]} and {places[k]} at once at {starts[k]}")
            elif starts[k] == ends[k - 1]:
                if not adjacent(tree, places[k - 1], places[k]):
                    out.append(f"{person}: {places[k - 1]} -> {places[k]} has no door")
            elif places[k - 1] not in exits or places[k] not in exits:
                out.append(f"{person}: gap {places[k - 1]} -> {places[k]} not through an exit")
    return out


def passage_problems(scenario: Scenario) -> list[str]:
    """Passages that do not match a presence boundary, or cross between non-adjacent places."""
    tree = parents(scenario)
    t = scenario.truth
    p = scenario.presence
    starts = set(zip(p["person"], p["place"], p["start"], strict=True))
    ends = set(zip(p["person"], p["place"], p["end"], strict=True))
    out: list[str] = []
    x = scenario.passages
    for person, place, time, direction in zip(
        x["person"], x["place"], x["time"], x["direction"], strict=True
    ):
        key = (person, place, time)
        if (direction == "in" and key not in starts) or (direction == "out" and key not in ends):
            out.append(f"{person} {direction} {place} at {time}: no presence")
    expected = int((p["start"] > t.day1).sum() + (p["end"] < t.data_end).sum())
    if expected != len(x):
        out.append(f"{len(x)} passages for {expected} presence boundaries")
    ins = x[x["direction"] == "in"].set_index(["person", "time"])["place"]
    outs = x[x["direction"] == "out"].set_index(["person", "time"])["place"]
    both = ins.to_frame("to").join(outs.to_frame("from"), how="inner")
    for (person, time), row in both.iterrows():
        if not adjacent(tree, row["from"], row["to"]):
            out.append(f"{person} at {time}: {row['from']} -> {row['to']} has no door")
    return out


def where_at(scenario: Scenario, moment: int) -> pd.Series:
    """Each person's place at ``moment`` (people off the station are absent)."""
    p = scenario.presence
    here = p[(p["start"] <= moment) & (p["end"] > moment)]
    return here.set_index("person")["place"]


def occupancy_peak(scenario: Scenario, place: str) -> int:
    """The most people in ``place`` at one time."""
    p = scenario.presence[scenario.presence["place"] == place]
    events = np.concatenate([np.stack([p["start"], np.ones(len(p))], 1),
                             np.stack([p["end"], -np.ones(len(p))], 1)])
    if not len(events):
        return 0
    order = np.lexsort((events[:, 1], events[:, 0]))
    return int(np.cumsum(events[order, 1]).max())
