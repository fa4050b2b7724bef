"""Evidence links (``order:12``, ``passage:airlock-5@1795...:out:foreign``, ``lab:3``...) as
words a person reads, each with the page that shows the record, for the alerts and missing pages
and the CLI."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo
from urllib.parse import quote

from cordon.times import local_time

__all__ = ["Evidence", "describe"]


@dataclass(frozen=True, slots=True)
class Evidence:
    """One piece of evidence in words, and where to see it (None: no page shows it)."""

    text: str
    href: str | None = None


def describe(item: str, *, person: str | None = None, zone: tzinfo | None = None) -> Evidence:
    """``item`` in words; ``person`` is whom the alert or case concerns (their page holds their
    orders, exposures, results and passages)."""
    mine = f"/people/{quote(person, safe='')}" if person else None
    kind, _, rest = item.partition(":")
    if kind == "order" and rest.isdigit():
        return Evidence(f"order {rest}", mine or "/orders?status=")
    if kind == "exposure" and rest.isdigit():
        return Evidence(f"exposure record {rest}", mine)
    if kind == "lab" and rest.isdigit():
        return Evidence(f"lab result {rest}", mine)
    if kind == "emergency" and rest.isdigit():
        return Evidence(f"emergency {rest}")
    if kind == "door":
        return Evidence(f"at door {rest}")
    if kind == "credential":
        return Evidence(f"with a {rest} credential")
    if kind == "at" and rest.lstrip("-").isdigit():
        return Evidence(f"at {local_time(int(rest), zone)}")
    if kind == "passage":
        place, _, tail = rest.partition("@")
        parts = tail.split(":")
        if len(parts) == 3 and parts[0].isdigit():
            at, direction, credential = parts
            way = "out through" if direction == "out" else "in through"
            when = local_time(int(at), zone)
            return Evidence(f"passed {way} {place} at {when} with a {credential} credential", mine)
        if rest.isdigit():
            return Evidence(f"passage record {rest}", mine)
    return Evidence(item.replace("_", " "))
