"""Turning the store's record into a simulation set-up: who is infected, who met whom."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from sqlalchemy.orm import Session

from cordon.domain.cases import Clinical, Containment
from cordon.domain.pathogen import PathogenProfile
from cordon.engine.forecast import Model
from cordon.engine.growth import fit_growth
from cordon.engine.simulate.branching import BranchingModel
from cordon.engine.simulate.common import NaturalHistory, Seeds
from cordon.engine.simulate.interventions import Intervention, compile_controls
from cordon.engine.simulate.temporal import TemporalContacts, TemporalModel
from cordon.errors import EngineError
from cordon.store import arrays, epidemic

__all__ = ["Setup", "build_setup"]

DAY = 86_400


@dataclass(frozen=True)
class Setup:
    """Everything but the interventions: ``make(interventions)`` gives a model to run."""

    kind: str
    make: Callable[[list[Intervention]], Model]
    known_cases: int


def _history(profile: PathogenProfile, egress: float) -> NaturalHistory:
    transmission = np.zeros(len(arrays.ROUTE_CODES))
    for route, code in arrays.ROUTE_CODES.items():
        transmission[code] = profile.transmission.get(route, 0.0)
    return NaturalHistory(
        latent_s=profile.latent_s,
        infectious_s=profile.infectious_s,
        transmission=transmission,
        egress_probability=egress,
        clearance_s=profile.rules.clear_after_negatives * profile.rules.negatives_apart_s,
    )


def build_setup(
    session: Session, profile: PathogenProfile, *, t0: int, days: int, now: int
) -> Setup:
    """The temporal-network model when exposures are recorded, else a branching process with R
    from the growth of confirmed cases."""
    cases = epidemic.case_times(session)
    keys = epidemic.person_keys(session)
    infected = np.array(
        [c in (Clinical.CONFIRMED.value, Clinical.SUSPECTED.value) for c in cases.clinical],
        dtype=bool,
    )
    gone = np.array(
        [k in (Containment.MISSING.value, Containment.DEPARTED.value) for k in cases.containment],
        dtype=bool,
    )
    n_inf = int(infected.sum())
    if n_inf == 0:
        raise EngineError("no confirmed or suspected cases in the store: nothing to forecast")
    egress = float((infected & gone).sum()) / n_inf
    history = _history(profile, egress)
    guess = cases.confirmed - profile.latent_s - DAY
    infected_at = np.where(np.isnan(cases.exposed), guess, cases.exposed)
    infected_at = np.where(np.isnan(infected_at), float(now - profile.latent_s), infected_at)
    isolated = np.array([k == Containment.ISOLATED.value for k in cases.containment])
    found = np.where(
        isolated,
        np.where(np.isnan(cases.confirmed), cases.since, cases.confirmed),
        np.where(gone, np.inf, np.nan),
    )
    left = np.where(gone, cases.since, np.nan)
    node = np.searchsorted(keys, cases.person)
    seeds = Seeds(node[infected], infected_at[infected], found[infected], left[infected])
    exposures = arrays.exposure_arrays(session, until=now)
    if len(exposures) > 0:
        flag = _at_gatherings(exposures, epidemic.gathering_windows(session))
        a, b = np.searchsorted(keys, exposures.a), np.searchsorted(keys, exposures.b)
        exposed = _exposed_seeds(a, b, exposures, node[infected], history.transmission)
        a, b, pool, pools = _partner_pools(a, b, epidemic.person_roles(session))
        contacts = TemporalContacts.build(
            a,
            b,
            exposures.start,
            exposures.end,
            route=exposures.route.astype(np.int64),
            gathering=flag,
            n_nodes=len(keys),
            pool=pool,
            pools=pools,
        )
        everyone = _with_exposed(seeds, *exposed)

        def temporal(items: list[Intervention]) -> Model:
            return TemporalModel(contacts, history, compile_controls(items), everyone, t0, days)

        return Setup(
            "temporal network (recorded exposures; days resampled, partners redrawn by role; "
            "exposed contacts of cases infected by chance)",
            temporal,
            n_inf,
        )
    r = _reproduction_number(cases.confirmed, profile, now)
    share = history.transmission / max(float(history.transmission.sum()), 1e-12)

    def branching(items: list[Intervention]) -> Model:
        return BranchingModel(
            r,
            history,
            compile_controls(items),
            seeds,
            len(keys),
            t0,
            days,
            k=0.5,
            route_share=share,
        )

    return Setup(f"branching process (R = {r:.2f} from the growth rate)", branching, n_inf)


def _partner_pools(
    a: np.ndarray, b: np.ndarray, roles: list[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
    """Orient each contact so that ``a`` is the side of the smaller role group (the visiting
    crew rather than the performers they meet) and give ``b`` the pool of its role: replayed
    days then keep who mixes with which group while meeting new partners, as a crew does."""
    names, role = np.unique(np.array(roles, dtype=object), return_inverse=True)
    size = np.bincount(role, minlength=len(names))
    swap = size[role[b]] < size[role[a]]
    a, b = np.where(swap, b, a), np.where(swap, a, b)
    members = [np.flatnonzero(role == r) for r in range(len(names))]
    return a, b, role[b].astype(np.int64), members


def _exposed_seeds(
    a: np.ndarray,
    b: np.ndarray,
    exposures: arrays.ExposureArrays,
    cases: np.ndarray,
    transmission: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Persons with a recorded exposure to a known case who are not known cases themselves:
    node, earliest such exposure, and the chance that one of those exposures infected them
    (1 - prod(1 - p_route)), since nobody has tested them."""
    known = np.isin(a, cases), np.isin(b, cases)
    p = transmission[exposures.route.astype(np.int64)]
    other = np.concatenate([b[known[0]], a[known[1]]])
    when = np.concatenate([exposures.start[known[0]], exposures.start[known[1]]])
    escape = np.concatenate([1 - p[known[0]], 1 - p[known[1]]])
    keep = ~np.isin(other, cases) & (escape < 1)
    other, when, escape = other[keep], when[keep], escape[keep]
    nodes, first = np.unique(other, return_inverse=True)
    earliest = np.full(len(nodes), np.inf)
    np.minimum.at(earliest, first, when)
    survive = np.ones(len(nodes))
    np.multiply.at(survive, first, escape)
    return nodes, earliest, 1 - survive


def _with_exposed(seeds: Seeds, nodes: np.ndarray, at: np.ndarray, chance: np.ndarray) -> Seeds:
    """The known cases plus the exposed, each exposed one infected with its chance."""
    node, infected_at, found, left = seeds.arrays()
    nan = np.full(len(nodes), np.nan)
    return Seeds(
        np.concatenate([node, nodes]),
        np.concatenate([infected_at, at]),
        np.concatenate([found, nan]),
        np.concatenate([left, nan]),
        np.concatenate([np.ones(len(node)), chance]),
    )


def _at_gatherings(exposures: arrays.ExposureArrays, gatherings: np.ndarray) -> np.ndarray:
    flag = np.zeros(len(exposures), dtype=bool)
    for place, start, end in gatherings:
        flag |= (exposures.place == place) & (exposures.start >= start) & (exposures.start < end)
    return flag


def _reproduction_number(confirmed: np.ndarray, profile: PathogenProfile, now: int) -> float:
    """R from the growth rate and a gamma serial interval (Wallinga and Lipsitch 2007)."""
    times = confirmed[~np.isnan(confirmed)]
    times = times[times < now - now % DAY]
    if len(times) == 0:
        raise EngineError("no cases confirmed before today: too few to forecast without contacts")
    day = ((times - times.min()) // DAY).astype(np.int64)
    counts = np.bincount(day)
    try:
        rate = fit_growth(counts).rate
    except EngineError as exc:
        raise EngineError(f"no exposures recorded and no growth rate: {exc}") from exc
    mean, sd = profile.serial_interval_mean_days, profile.serial_interval_sd_days
    shape, scale = (mean / sd) ** 2, sd**2 / mean
    return float(max(0.0, 1 + rate * scale) ** shape) if rate > -1 / scale else 0.0
