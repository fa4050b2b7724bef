"""docs/venus.md names ids and times of the default seed: they must be what the generator makes."""

from __future__ import annotations

import re
from pathlib import Path

from cordon.scenarios import venus
from cordon.times import format_time

DOC = Path(__file__).resolve().parents[2] / "docs" / "venus.md"


def test_the_walkthrough_tells_the_default_story() -> None:
    text = DOC.read_text(encoding="utf-8")
    truth = venus.generate().truth
    rows = re.findall(
        r"^\| (\S+) \| (airlock-\d) \| ([\d-]+ [\d:]+) \| (\S+) \| (cam-airlock-\d) \|$",
        text,
        re.MULTILINE,
    )
    shown = [(p, a, t, e, c) for p, a, t, e, c in rows]
    wanted = [
        (e.person, e.airlock, format_time(e.time)[:19].replace("T", " "), e.escort, e.camera)
        for e in truth.egress
    ]
    assert shown == wanted
    for person in (*truth.infected, *truth.exposed_only, *truth.shows_tonight):
        assert f"`{person}`" in text or person in text, person
    assert f"exposed on day 1 by `{truth.infector['stephanie']}`" in text
    for woman, crew in truth.bridges:
        assert f"`{woman}`" in text and f"`{crew}`" in text
