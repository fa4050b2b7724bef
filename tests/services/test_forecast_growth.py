"""The forecast grows as the outbreak does: calibrated to the observed growth, within tolerance."""

from __future__ import annotations

import math
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from cordon.domain.cases import Clinical, Containment
from cordon.domain.pathogen import DAY, PathogenProfile
from cordon.domain.records import Route
from cordon.domain.roles import Actor, UserRole
from cordon.engine.simulate.common import NaturalHistory
from cordon.engine.simulate.interventions import Isolation
from cordon.formats.schemas import Kind
from cordon.services import analytics, cases
from cordon.services.imports import import_file
from cordon.services.outbreak_model import TOLERANCE, _offspring_r
from cordon.store import profiles
from cordon.store.db import Store
from cordon.times import parse_time
from tests.factory import write

UTC = ZoneInfo("UTC")
LEAD = Actor("lead", UserRole.COMMAND)
DAY1 = parse_time("2026-11-20T00:00:00Z")
PEOPLE = 20_000
DOUBLING = [1, 2, 4, 8, 16, 32]  # confirmed per day, days 1-6; the forecast starts on day 7


def _doubling_store(store: Store, folder: Path) -> None:
    people = "id,name,role,affiliation,home\n" + "".join(
        f"p{k},p{k},resident,,\n" for k in range(PEOPLE)
    )
    places = "id,name,kind,capacity,parent,exit\nward,Ward,ward,100,,\n"
    lab = ["person,collected_at,assay,result,quantity"]
    who: list[tuple[str, int]] = []
    for day, n in enumerate(DOUBLING):
        for _ in range(n):
            who.append((f"p{len(who)}", DAY1 + day * DAY + 10 * 3600))
    lab += [f"{p},{t},PCR,positive,1" for p, t in who]
    with store.session() as session:
        for kind, name, text in (
            ("places", "places.csv", places),
            ("people", "people.csv", people),
            ("lab", "lab.csv", "\n".join(lab) + "\n"),
        ):
            import_file(session, write(folder, name, text), kind=Kind(kind), actor=LEAD, zone=UTC)
        for p, t in who:
            cases.change_case(
                session,
                p,
                actor=LEAD,
                reason="positive",
                at=t + 3600,
                clinical=Clinical.CONFIRMED,
                containment=Containment.ISOLATED,
                assigned_place="ward",
            )
        profile = PathogenProfile(
            name="doubling",
            transmission={Route.FLUID: 0.5},
            latent_s=DAY // 2,
            infectious_s=4 * DAY,
            serial_interval_mean_days=1.5,
            serial_interval_sd_days=0.7,
        )
        profiles.save_profile(session, profile, actor="test", activate=True)
        session.commit()


def _daily_factor(report: analytics.ForecastReport) -> float:
    """Per-day growth of the no-action median new infections over the first three days."""
    cumulative = np.array(report.scenarios[0].bands["infections"].median)
    daily = np.diff(np.concatenate([[0.0], cumulative]))
    return float((daily[2] / daily[0]) ** 0.5)


def test_a_daily_doubling_outbreak_forecasts_daily_doubling(store: Store, tmp_path: Path) -> None:
    _doubling_store(store, tmp_path)
    now = DAY1 + 6 * DAY + 6 * 3600
    with store.session() as session:
        report = analytics.forecast(
            session,
            actor=LEAD,
            days=3,
            runs=300,
            scenarios={"no action": [Isolation()]},
            now=now,
            zone=UTC,
        )
    calibration = report.calibration
    assert calibration is not None and calibration.met, calibration
    assert calibration.growth_rate is not None
    assert abs(calibration.growth_rate - math.log(2)) < 0.02
    assert calibration.error is not None and abs(calibration.error) <= TOLERANCE
    factor = _daily_factor(report)
    assert abs(factor / 2 - 1) <= 0.2, factor


def test_the_offspring_mean_solves_euler_lotka_for_fixed_periods() -> None:
    # fixed latent L and infectious D, nobody isolated: 1 = R (e^{-rL} - e^{-r(L+D)}) / (r D)
    history = NaturalHistory(latent_s=DAY, infectious_s=3 * DAY, shape=0.0, egress_probability=0)
    r = 0.3
    laplace = (math.exp(-r * 1) - math.exp(-r * 4)) / (r * 3)
    # the baseline isolates 90% a day after they turn infectious: the rest transmit 3 days
    found = (math.exp(-r * 1) - math.exp(-r * 2)) / (r * 3)
    expected = 1 / (0.9 * found + 0.1 * laplace)
    assert abs(_offspring_r(history, r) - expected) / expected < 0.01
