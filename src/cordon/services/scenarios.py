"""Forecast scenarios: the standard comparison and scenarios read from a JSON file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cordon.domain.pathogen import PathogenProfile
from cordon.domain.records import ROUTE_ALIASES, Route
from cordon.engine.simulate.interventions import (
    FOREVER,
    EgressHold,
    Intervention,
    Isolation,
    Moratorium,
    Quarantine,
)
from cordon.errors import InvalidValue
from cordon.formats import jsondoc
from cordon.store.arrays import ROUTE_CODES
from cordon.times import parse_duration, parse_time

__all__ = ["load_scenarios", "standard_scenarios"]

DAY = 86_400


def _routes(profile: PathogenProfile) -> tuple[int, ...]:
    return tuple(ROUTE_CODES[r] for r in profile.routes)


def standard_scenarios(profile: PathogenProfile, *, today: int) -> dict[str, list[Intervention]]:
    """No action, quarantine, a moratorium for today only, one until cured, and all of them.

    Isolation of confirmed cases is the baseline of every scenario; the moratoria suspend the
    routes the pathogen profile says transmit, from the start of ``today``."""
    routes = _routes(profile)
    iso = Isolation()
    quarantine = Quarantine(delay_s=DAY, duration_s=profile.rules.quarantine_s)
    return {
        "no action": [iso],
        "quarantine": [iso, quarantine],
        "moratorium one day": [iso, Moratorium.just_for_today(today, routes=routes)],
        "moratorium until cured": [iso, Moratorium(today, FOREVER, routes)],
        "all": [iso, quarantine, Moratorium(today, FOREVER, routes), EgressHold(today)],
    }


def _time(value: Any, default: float, zone: Any) -> float:
    if value is None:
        return default
    if value == "forever":
        return FOREVER
    return float(parse_time(value, zone))


def _intervention(item: dict[str, Any], zone: Any, today: int, where: str) -> Intervention:
    kind = str(item.get("kind", "")).replace("-", "_").replace(" ", "_")
    start = _time(item.get("start"), today, zone)
    end = _time(item.get("end"), FOREVER, zone)
    if kind == "isolation":
        return Isolation(
            float(item.get("probability", 0.9)), parse_duration(item.get("delay", DAY)), start, end
        )
    if kind == "quarantine":
        return Quarantine(
            float(item.get("probability", 0.8)),
            parse_duration(item.get("delay", DAY)),
            start,
            end,
            parse_duration(item.get("duration", 14 * DAY)),
        )
    if kind == "moratorium":
        if item.get("just_for_today"):
            end = start + DAY
        names = item.get("routes") or []
        try:
            codes = tuple(ROUTE_CODES[Route(ROUTE_ALIASES.get(n, n))] for n in names)
        except ValueError as exc:
            msg = f"{where}: unknown route in {names} (fluid, close, shared_air)"
            raise InvalidValue(msg) from exc
        return Moratorium(start, end, codes, bool(item.get("gatherings_only", False)))
    if kind == "egress_hold":
        return EgressHold(start, end)
    raise InvalidValue(
        f"{where}: unknown intervention kind {item.get('kind')!r} "
        "(isolation, quarantine, moratorium, egress_hold)"
    )


def load_scenarios(path: Path, *, zone: Any, today: int) -> dict[str, list[Intervention]]:
    """Scenarios from JSON: ``{"name": [{"kind": "moratorium", "routes": ["fluid"],
    "start": "2026-11-25T00:00", "just_for_today": true}, ...], ...}``."""
    try:
        data = jsondoc.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise InvalidValue(f"cannot read scenarios from {path}: {exc}") from exc
    if not isinstance(data, dict) or not data:
        raise InvalidValue(f"{path}: expected an object of scenario name -> interventions")
    out: dict[str, list[Intervention]] = {}
    for name, items in data.items():
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise InvalidValue(f"{path}: scenario {name!r} must be a list of objects")
        out[str(name)] = [
            _intervention(i, zone, today, f"{path}: {name}[{k}]") for k, i in enumerate(items)
        ]
    return out
