"""Turning the store's record into a simulation set-up: who is infected, who met whom."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Any

import numpy as np
from sqlalchemy.orm import Session

from cordon.domain.cases import Clinical, Containment
from cordon.domain.pathogen import PathogenProfile
from cordon.engine.forecast import Model
from cordon.engine.simulate.branching import BranchingModel
from cordon.engine.simulate.common import NaturalHistory, Seeds, run_seeds
from cordon.engine.simulate.interventions import Intervention, Isolation, compile_controls
from cordon.engine.simulate.temporal import TemporalContacts, TemporalModel
from cordon.errors import EngineError
from cordon.services.series import observed_growth, station_series
from cordon.store import arrays, epidemic

__all__ = ["Calibration", "Setup", "build_setup"]

DAY = 86_400


@dataclass(frozen=True)
class Setup:
    """Everything but the interventions: ``make(interventions)`` gives a model to run."""

    kind: str
    make: Callable[[list[Intervention]], Model]
    known_cases: int
    calibration: Calibration


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
    session: Session,
    profile: PathogenProfile,
    *,
    t0: int,
    days: int,
    now: int,
    zone: tzinfo = UTC,
) -> Setup:
    """The temporal-network model when exposures are recorded, else (or when the recorded
    contacts cannot reach the observed growth) a branching process; either calibrated so that
    with no action its first days' infections follow the observed growth of confirmations."""
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
    confirmed = cases.confirmed[~np.isnan(cases.confirmed)]
    trend = _trend(
        confirmed, profile, t0=t0, now=now, zone=zone, susceptible=float(len(keys) - n_inf)
    )
    exposures = arrays.exposure_arrays(session, until=now)
    fallback = ""
    if len(exposures) > 0:
        flag = _at_gatherings(exposures, epidemic.gathering_windows(session))
        a, b = np.searchsorted(keys, exposures.a), np.searchsorted(keys, exposures.b)
        exposed = _exposed_seeds(a, b, exposures, node[infected], history.transmission)
        roles = epidemic.person_roles(session)
        hidden = _hidden_seeds(trend, a, b, node[infected], exposed, roles)
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
        everyone = _join(_with_exposed(seeds, *exposed), hidden)

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

        calibration = _calibrate_replays(
            lambda k: model([Isolation()], k, CALIBRATION_DAYS),
            trend,
            _why_none(confirmed, now, zone),
        )
        if calibration.met or trend is None:
            replays = int(calibration.value)

            def temporal(items: list[Intervention]) -> Model:
                return model(items, replays, days)

            return Setup(
                "temporal network (recorded exposures; days resampled, partners redrawn by role; "
                "exposed contacts of cases infected by chance; infections not yet confirmed "
                "seeded from the observed growth; scheduled gatherings at their rate; "
                f"{replays} observed day(s) per day to match the observed growth)",
                temporal,
                n_inf,
                calibration,
            )
        fallback = f"; the recorded contacts cannot: {calibration.note}"
    if trend is None:
        raise EngineError(
            "no exposures recorded and no growth rate of confirmed cases to calibrate a "
            f"branching process on: {_why_none(confirmed, now, zone)}"
        )
    share = history.transmission / max(float(history.transmission.sum()), 1e-12)
    population = len(keys)
    start = _join(seeds, _hidden_branching(trend))

    def branching_at(r: float, items: list[Intervention], horizon: int) -> BranchingModel:
        return BranchingModel(
            r,
            history,
            compile_controls(items),
            start,
            population,
            t0,
            horizon,
            k=0.5,
            route_share=share,
        )

    calibration = _calibrate_r(
        lambda r: branching_at(r, [Isolation()], CALIBRATION_DAYS), history, trend
    )
    r = calibration.value

    def branching(items: list[Intervention]) -> Model:
        return branching_at(r, items, days)

    return Setup(
        f"branching process (R = {r:.2f}, calibrated to the observed growth{fallback})",
        branching,
        n_inf,
        calibration,
    )


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


CALIBRATION_DAYS = 3
"""The no-action forecast is calibrated on its first three days' new infections."""
CALIBRATION_RUNS = 64
TOLERANCE = 0.2
"""Calibrated when the no-action mean is within 20% of the target (or within one infection)."""
MAX_REPLAYS = 64
MAX_R = 64.0


@dataclass(frozen=True)
class Trend:
    """The observed growth of confirmations as a rate in time, shifted back by the delay from
    infection to confirmation (latent period plus the baseline's day to isolation)."""

    rate: float
    level: float
    """Fitted confirmations on the last complete day."""
    last_day: int
    """Start of the last complete day."""
    delay: float
    t0: int
    now: int
    found: float = 1.0
    """The share of infections ever confirmed (the rest are never found)."""
    infectious: float = 0.0
    """The mean infectious period: how far back unfound infections still count."""
    susceptible: float = np.inf
    """People who are not known cases: the growth cannot infect more."""

    def _x(self, t: float) -> float:
        return (t + self.delay - self.last_day) / DAY

    def infections(self, a: float, b: float) -> float:
        """Infections between ``a`` and ``b`` that the growth implies: the found ones are
        confirmed ``delay`` later at a rate whose day totals are the fitted counts."""
        r, xa, xb = self.rate, self._x(a), self._x(b)
        if abs(r) < 1e-9:
            return self.level * (xb - xa) / self.found
        return float(self.level * (np.exp(r * xb) - np.exp(r * xa)) / np.expm1(r) / self.found)

    def _saturated(self, wanted: float, room: float) -> float:
        """``wanted`` infections among ``room`` susceptible people: room (1 - exp(-wanted/room))."""
        if not np.isfinite(room):
            return wanted
        return float(max(room, 0.0) * -np.expm1(-wanted / max(room, 1e-9)))

    @property
    def _scale(self) -> float:
        older = self.t0 - self.delay
        recent = self.infections(older, self.t0)
        never = (1 - self.found) * self.infections(older - self.infectious, older)
        both = recent + never
        return self._saturated(both, self.susceptible) / both if both > 0 else 1.0

    @property
    def hidden(self) -> float:
        """Infected before the forecast starts (today's midnight) and confirmed only after:
        from then on the model simulates every infection itself."""
        return self._scale * self.infections(self.t0 - self.delay, self.t0)

    @property
    def unfound(self) -> float:
        """Infected earlier, never to be found, and maybe still infectious."""
        older = self.t0 - self.delay
        return self._scale * (1 - self.found) * self.infections(older - self.infectious, older)

    @property
    def target(self) -> float:
        """New infections over the first ``CALIBRATION_DAYS`` days of the forecast, saturating
        as the growth uses up the susceptible people left."""
        wanted = self.infections(self.t0, self.t0 + CALIBRATION_DAYS * DAY)
        return self._saturated(wanted, self.susceptible - self.hidden - self.unfound)

    def hidden_times(self, m: int, *, older: bool = False) -> np.ndarray:
        """``m`` infection times spread as the growth has them over the ``delay`` before the
        forecast starts, or over the infectious period before that when ``older``."""
        u = (np.arange(m) + 0.5) / max(m, 1)
        end = self.t0 - (self.delay if older else 0.0)
        begin = end - (self.infectious if older else self.delay)
        r, xa, xb = self.rate, self._x(begin), self._x(end)
        if abs(r) < 1e-9:
            x = xa + u * (xb - xa)
        else:
            x = np.log(np.exp(r * xa) + u * (np.exp(r * xb) - np.exp(r * xa))) / r
        out: np.ndarray = x * DAY + self.last_day - self.delay
        return out


@dataclass(frozen=True)
class Calibration:
    """How the no-action forecast was fitted to the observed growth, and how well."""

    parameter: str
    value: float
    target: float | None
    """New infections over the first ``days`` days that the observed growth implies."""
    achieved: float | None
    """The calibrated no-action mean of the same."""
    error: float | None
    """achieved / target - 1."""
    met: bool
    note: str
    growth_rate: float | None = None
    hidden: float | None = None
    """Infections seeded as not yet confirmed."""
    tolerance: float = TOLERANCE
    days: int = CALIBRATION_DAYS

    def to_dict(self) -> dict[str, Any]:
        """Plain values."""
        return dict(self.__dict__)


def _trend(
    confirmed: np.ndarray,
    profile: PathogenProfile,
    *,
    t0: int,
    now: int,
    zone: tzinfo,
    susceptible: float,
) -> Trend | None:
    """The observed growth of confirmations per station day (the series ``cordon estimate``
    fits), or None when there is none to fit."""
    try:
        series = station_series(confirmed, now=now, zone=zone)
        growth, level = observed_growth(series)
    except EngineError:
        return None
    last = int(series.day_start[series.complete_days - 1])
    iso = Isolation()
    delay = float(profile.latent_s + iso.delay_s)
    return Trend(
        growth.rate,
        level,
        last,
        delay,
        t0,
        now,
        iso.probability,
        profile.infectious_s,
        susceptible,
    )


def _why_none(confirmed: np.ndarray, now: int, zone: tzinfo) -> str:
    try:
        observed_growth(station_series(confirmed, now=now, zone=zone))
    except EngineError as exc:
        return str(exc)
    return ""


def _hidden_branching(trend: Trend | None) -> Seeds:
    """The infections not yet confirmed (the recent ones, found or not as the kernel draws, and
    the earlier never found), as seeds of the branching process."""
    if trend is None:
        return Seeds(np.zeros(0, np.int64), np.zeros(0))
    m, k = round(trend.hidden), round(trend.unfound)
    times = np.concatenate([trend.hidden_times(m), trend.hidden_times(k, older=True)])
    found = np.concatenate([np.full(m, np.nan), np.full(k, np.inf)])
    return Seeds(np.zeros(m + k, np.int64), times, found)


def _hidden_seeds(
    trend: Trend | None,
    a: np.ndarray,
    b: np.ndarray,
    cases: np.ndarray,
    exposed: tuple[np.ndarray, np.ndarray, np.ndarray],
    roles: list[str],
) -> Seeds:
    """The infections not yet confirmed, spread by chance over the people in the recorded
    contacts who share a role with a known case (and are neither a case nor a known exposed)."""
    if trend is None or trend.hidden < 0.5:
        return Seeds(np.zeros(0, np.int64), np.zeros(0))
    role = np.array(roles, dtype=object)
    active = np.unique(np.concatenate([a, b]))
    candidates = active[~np.isin(active, cases) & ~np.isin(active, exposed[0])]
    alike = candidates[np.isin(role[candidates], role[cases])]
    pool = alike if len(alike) else candidates
    if len(pool) == 0:
        return Seeds(np.zeros(0, np.int64), np.zeros(0))
    pool = np.random.default_rng(0).permutation(pool)
    total = trend.hidden + trend.unfound
    m = round(len(pool) * trend.hidden / total)
    times = np.concatenate([trend.hidden_times(m), trend.hidden_times(len(pool) - m, older=True)])
    found = np.where(np.arange(len(pool)) < m, np.nan, np.inf)
    chance = np.full(len(pool), min(1.0, total / len(pool)))
    return Seeds(pool, times, found, chance=chance)


def _join(first: Seeds, second: Seeds) -> Seeds:
    """Both sets of seeds."""
    (n1, t1, f1, l1), (n2, t2, f2, l2) = first.arrays(), second.arrays()
    return Seeds(
        np.concatenate([n1, n2]),
        np.concatenate([t1, t2]),
        np.concatenate([f1, f2]),
        np.concatenate([l1, l2]),
        np.concatenate([first.chances(), second.chances()]),
    )


def _first_days(model: Model, seeds: np.ndarray) -> float:
    """Mean new infections over the simulated days, across runs."""
    return float(model.simulate(seeds)[:, 0, :].sum(axis=1).mean())


def _close(achieved: float, target: float) -> bool:
    return abs(achieved - target) <= max(TOLERANCE * target, 1.0)


def _outcome(
    parameter: str, value: float, achieved: float, trend: Trend, at_limit: str
) -> Calibration:
    target = trend.target
    met = _close(achieved, target)
    error = achieved / target - 1 if target > 0 else 0.0
    said = (
        f"no-action new infections over the first {CALIBRATION_DAYS} days {achieved:.1f} "
        f"against {target:.1f} from the observed growth ({error:+.0%}; tolerance "
        f"{TOLERANCE:.0%} or one infection)"
    )
    return Calibration(
        parameter,
        value,
        target,
        achieved,
        error,
        met,
        said if met else f"{said}: {at_limit}",
        trend.rate,
        trend.hidden,
    )


def _calibrate_replays(
    model: Callable[[int], TemporalModel], trend: Trend | None, why: str
) -> Calibration:
    """Observed days replayed per simulated day (a record holds only the exposures someone
    reported, fewer than happened) so that the no-action first days reach the target: the
    smallest count that does, or the nearer of it and the one below."""
    if trend is None:
        return Calibration("replays", 1, None, None, None, False, f"not calibrated: {why}")
    seeds = run_seeds(1, CALIBRATION_RUNS)
    target = trend.target
    tried: dict[int, float] = {}

    def at(k: int) -> float:
        if k not in tried:
            tried[k] = _first_days(model(k), seeds)
        return tried[k]

    low, high = 0, 1
    while at(high) < target and high < MAX_REPLAYS:
        low, high = high, min(2 * high, MAX_REPLAYS)
    while low and high - low > 1:
        mid = (low + high) // 2
        low, high = (mid, high) if at(mid) < target else (low, mid)
    best = min((k for k in tried if k in (low, high)), key=lambda k: abs(at(k) - target))
    limit = (
        f"even {MAX_REPLAYS} replayed days a day reach only {at(high):.1f}"
        if at(high) < target
        else f"already {at(1):.1f} with the recorded contacts once a day"
    )
    return _outcome("replays", best, at(best), trend, limit)


def _offspring_r(history: NaturalHistory, rate: float, draws: int = 200_000) -> float:
    """The offspring mean R at which the branching process, with isolation of confirmed cases
    only, grows at ``rate`` per day: 1 / the Laplace transform at ``rate`` of its infectiousness
    (the Euler-Lotka equation), averaged over people's latent and infectious periods, isolation
    and departure as the kernel draws them."""
    rng = np.random.default_rng(0)
    shape, iso = history.shape, Isolation()
    lat, inf = history.latent_s / DAY, history.infectious_s / DAY
    d_lat = rng.gamma(shape, lat / shape, draws) if shape > 0 and lat > 0 else np.full(draws, lat)
    d_inf = rng.gamma(shape, inf / shape, draws) if shape > 0 else np.full(draws, inf)
    end = d_lat + d_inf
    found = np.where(rng.random(draws) < iso.probability, d_lat + iso.delay_s / DAY, np.inf)
    stop = np.where(found < end, found, end)
    leave = np.where(
        rng.random(draws) < history.egress_probability, rng.random(draws) * end, np.inf
    )
    stop = np.maximum(np.minimum(stop, np.where(leave < found, leave, np.inf)), d_lat)
    if abs(rate) < 1e-9:
        weight = (stop - d_lat) / d_inf
    else:
        weight = (np.exp(-rate * d_lat) - np.exp(-rate * stop)) / (rate * d_inf)
    transform = float(weight.mean())
    return min(MAX_R, 1 / transform) if transform > 0 else MAX_R


def _calibrate_r(
    model: Callable[[float], BranchingModel], history: NaturalHistory, trend: Trend
) -> Calibration:
    """R from the observed growth rate by the Euler-Lotka equation of the model's own course of
    infection (the baseline isolating cases a day after they turn infectious), then checked: the
    no-action mean of the first days against what the growth implies."""
    r = _offspring_r(history, trend.rate)
    achieved = _first_days(model(r), run_seeds(1, CALIBRATION_RUNS))
    room = trend.susceptible - trend.hidden - trend.unfound
    why = (
        f"only {room:.0f} people are left to infect after {trend.hidden + trend.unfound:.0f} "
        "infections not yet confirmed, and the model uses them up faster"
        if achieved < trend.target
        else "the infections not yet confirmed start it faster than the growth goes on"
    )
    return _outcome("R", r, achieved, trend, why)
