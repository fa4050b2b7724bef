"""Synthetic presence logs for the contact benchmarks: a facility of 20,000 people and 2,000
places (five crowded halls), or a skewed one where one canteen holds 30% of all intervals."""

from __future__ import annotations

import numpy as np

PEOPLE = 20_000
PLACES = 2_000
HALLS = 5
DAY = 86_400


def presence_log(
    n: int, *, seed: int = 1, skewed: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``n`` presence intervals (person, place, start, end) in random order.

    About a dozen badge intervals per person and day (so 10^7 rows are about six weeks),
    durations log-normal around 20 minutes (1 minute to 4 hours), 4% of the intervals in five
    halls where people stay longer. ``skewed``: 30% of the intervals in one canteen (place 0),
    spread over 30 days whatever ``n``.
    """
    rng = np.random.default_rng(seed)
    days = 30 if skewed else max(1, round(n / (PEOPLE * 12)))
    person = rng.integers(0, PEOPLE, n)
    place = rng.integers(HALLS, PLACES, n)
    start = rng.integers(0, days * DAY, n)
    duration = np.clip(rng.lognormal(np.log(1_200), 0.9, n), 60, 4 * 3_600).astype(np.int64)
    hall = rng.random(n) < 0.04
    place[hall] = rng.integers(0, HALLS, int(hall.sum()))
    duration[hall] = rng.integers(1_800, 3 * 3_600, int(hall.sum()))
    if skewed:
        canteen = rng.random(n) < 0.30
        place[canteen] = 0
        duration[canteen] = rng.integers(300, 1_800, int(canteen.sum()))
    return person, place, start, start + duration
