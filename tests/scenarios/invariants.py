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


def _door(tree: dict[str, str | None], a: pd.Series, b: pd.Series) -> np.ndarray:
    """Row by row: whether a door joins place ``a`` and place ``b``."""
    up_a, up_b = a.map(tree), b.map(tree)
    return ((up_a == b.to_numpy()) | (up_b == a.to_numpy())).to_numpy()


def presence_problems(scenario: Scenario) -> list[str]:
    """Overlaps, empty intervals, jumps between non-adjacent places, gaps not through an exit."""
    tree = parents(scenario)
    exits = set(scenario.places.loc[scenario.places["exit"], "id"])
    f = scenario.presence.sort_values(["person", "start"], kind="stable").reset_index(drop=True)
    prev = f.shift(1)
    same = (f["person"] == prev["person"]).to_numpy()
    start, end = f["start"].to_numpy(), prev["end"].to_numpy()
    out = [
        f"{r.person}: empty interval at {r.start}" for r in f[f["end"] <= f["start"]].itertuples()
    ]
    overlap = same & (start < end)
    touch = same & (start == end)
    gap = same & (start > end)
    no_door = touch & ~_door(tree, prev["place"].fillna(""), f["place"])
    through = prev["place"].isin(exits).to_numpy() & f["place"].isin(exits).to_numpy()
    for mask, what in (
        (overlap, "in two places at once"),
        (no_door, "moved with no door"),
        (gap & ~through, "gap not through an exit"),
    ):
        out += [f"{r.person} at {r.start} in {r.place}: {what}" for r in f[mask].itertuples()]
    return out


def passage_problems(scenario: Scenario) -> list[str]:
    """Passages that do not match a presence boundary, or cross between non-adjacent places."""
    tree = parents(scenario)
    t = scenario.truth
    p, x = scenario.presence, scenario.passages
    bounds = pd.concat(
        [
            p.loc[p["start"] > t.day1, ["person", "place", "start"]]
            .rename(columns={"start": "time"})
            .assign(direction="in"),
            p.loc[p["end"] < t.data_end, ["person", "place", "end"]]
            .rename(columns={"end": "time"})
            .assign(direction="out"),
        ]
    )
    keys = ["person", "place", "time", "direction"]
    joined = x[keys].merge(bounds, on=keys, how="outer", indicator=True)
    out = [
        f"{r.person} {r.direction} {r.place} at {r.time}: {r._5}"
        for r in joined[joined["_merge"] != "both"].itertuples()
    ]
    ins = x[x["direction"] == "in"][["person", "time", "place"]]
    outs = x[x["direction"] == "out"][["person", "time", "place"]]
    moves = ins.merge(outs, on=["person", "time"], suffixes=("_to", "_from"))
    bad = moves[~_door(tree, moves["place_from"], moves["place_to"])]
    out += [
        f"{r.person} at {r.time}: {r.place_from} -> {r.place_to} has no door"
        for r in bad.itertuples()
    ]
    return out


def where_at(scenario: Scenario, moment: int) -> pd.Series:
    """Each person's place at ``moment`` (people off the station are absent)."""
    p = scenario.presence
    here = p[(p["start"] <= moment) & (p["end"] > moment)]
    return here.set_index("person")["place"]


def occupancy_peak(scenario: Scenario, place: str) -> int:
    """The most people in ``place`` at one time."""
    p = scenario.presence[scenario.presence["place"] == place]
    events = np.concatenate(
        [np.stack([p["start"], np.ones(len(p))], 1), np.stack([p["end"], -np.ones(len(p))], 1)]
    )
    if not len(events):
        return 0
    order = np.lexsort((events[:, 1], events[:, 0]))
    return int(np.cumsum(events[order, 1]).max())
