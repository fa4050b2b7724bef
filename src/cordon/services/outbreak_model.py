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
from cordon.engine.simulate.common import NaturalHistory, Seeds, run_seeds
from cordon.engine.simulate.interventions import Intervention, Isolation, compile_controls
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
        roles = epidemic.person_roles(session)
        a, b, pool, pools = _partner_pools(a, b, roles)
        planned = _scheduled(
            epidemic.gathering_people(session), exposures, keys, roles, start=now, n_nodes=len(keys)
        )
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

        def model(items: list[Intervention], replays: int, horizon: int) -> TemporalModel:
            return TemporalModel(
                contacts,
                history,
                compile_controls(items),
                everyone,
                t0,
                horizon,
                replays=replays,
                scheduled=planned,
            )

        replays = _calibrate(lambda k: model([Isolation()], k, 2), cases.confirmed, n_inf, now)

        def temporal(items: list[Intervention]) -> Model:
            return model(items, replays, days)

        return Setup(
            "temporal network (recorded exposures; days resampled, partners redrawn by role; "
            "exposed contacts of cases infected by chance; scheduled gatherings at their rate; "
            f"{replays} observed day(s) per day to match the observed growth)",
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


Gathering = tuple[str, int, int, int, np.ndarray]


def _scheduled(
    gatherings: list[Gathering],
    exposures: arrays.ExposureArrays,
    keys: np.ndarray,
    roles: list[str],
    *,
    start: int,
    n_nodes: int,
) -> TemporalContacts:
    """Contacts of the gatherings still to come: every pair of participants of different roles,
    weighted by the exposures recorded per such pair at past gatherings of the same kind (of any
    kind when that kind has none yet), on the route most recorded there."""
    role = np.unique(np.array(roles, dtype=object), return_inverse=True)[1]

    def pairs(people: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        nodes = np.searchsorted(keys, people)
        i, j = np.triu_indices(len(nodes), k=1)
        cross = role[nodes[i]] != role[nodes[j]]
        return nodes[i][cross], nodes[j][cross]

    seen: dict[str, list[float]] = {}
    routes: dict[str, list[int]] = {}
    for kind, place, begin, end, people in gatherings:
        if end > start:
            continue
        at = (exposures.place == place) & (exposures.start >= begin) & (exposures.start < end)
        tally = seen.setdefault(kind, [0.0, 0.0])
        tally[0] += float(at.sum())
        tally[1] += float(len(pairs(people)[0]))
        routes.setdefault(kind, []).extend(exposures.route[at].astype(int).tolist())
    overall = [sum(t[0] for t in seen.values()), sum(t[1] for t in seen.values())]
    every_route = [r for rs in routes.values() for r in rs]
    parts: list[tuple[np.ndarray, ...]] = []
    for kind, _, begin, end, people in gatherings:
        if begin < start:
            continue
        found, total = seen.get(kind, overall) if seen.get(kind, [0, 0])[1] else overall
        kind_routes = routes.get(kind) or every_route
        if not total or not found or not kind_routes:
            continue
        a, b = pairs(people)
        route = np.bincount(kind_routes).argmax()
        n = len(a)
        parts.append(
            (a, b, np.full(n, begin, float), np.full(n, end, float), np.full(n, found / total),
             np.full(n, route, np.int64))
        )  # fmt: skip
    if not parts:
        none = np.zeros(0)
        return TemporalContacts.build(none, none, none, none, n_nodes=n_nodes)
    a, b, s, e, w, r = (np.concatenate(x) for x in zip(*parts, strict=True))
    return TemporalContacts.build(
        a, b, s, e, weight=w, route=r, gathering=np.ones(len(a), bool), n_nodes=n_nodes
    )


def _at_gatherings(exposures: arrays.ExposureArrays, gatherings: np.ndarray) -> np.ndarray:
    flag = np.zeros(len(exposures), dtype=bool)
    for place, start, end in gatherings:
        flag |= (exposures.place == place) & (exposures.start >= start) & (exposures.start < end)
    return flag


MAX_REPLAYS = 64
CALIBRATION_RUNS = 64


def _calibrate(
    model: Callable[[int], TemporalModel], confirmed: np.ndarray, known: int, now: int
) -> int:
    """Observed days replayed per simulated day so that, with no action (isolation of confirmed
    cases only, every scenario's baseline), the first day's new
    infections reach what the observed growth rate implies (known * (e^r - 1)): a record holds
    only the exposures someone reported, fewer than happened. 1 when there is no growth."""
    try:
        rate = _growth_rate(confirmed, now)
    except EngineError:
        return 1
    target = known * np.expm1(rate)
    if rate <= 0 or target < 1:
        return 1
    seeds = run_seeds(1, CALIBRATION_RUNS)
    replays = 1
    while replays < MAX_REPLAYS:
        first_day = model(replays).simulate(seeds)[:, 0, 0]
        if float(first_day.mean()) >= target:
            break
        replays *= 2
    return replays


def _growth_rate(confirmed: np.ndarray, now: int) -> float:
    """Daily growth rate of confirmations on the days before today."""
    times = confirmed[~np.isnan(confirmed)]
    times = times[times < now - now % DAY]
    if len(times) == 0:
        raise EngineError("no cases confirmed before today")
    day = ((times - times.min()) // DAY).astype(np.int64)
    return fit_growth(np.bincount(day)).rate


def _reproduction_number(confirmed: np.ndarray, profile: PathogenProfile, now: int) -> float:
    """R from the growth rate and a gamma serial interval (Wallinga and Lipsitch 2007)."""
    try:
        rate = _growth_rate(confirmed, now)
    except EngineError as exc:
        raise EngineError(f"no exposures recorded and no growth rate: {exc}") from exc
    mean, sd = profile.serial_interval_mean_days, profile.serial_interval_sd_days
    shape, scale = (mean / sd) ** 2, sd**2 / mean
    return float(max(0.0, 1 + rate * scale) ** shape) if rate > -1 / scale else 0.0
