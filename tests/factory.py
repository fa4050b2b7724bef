"""Small canonical files for tests: a five-place station with a handful of people."""

from __future__ import annotations

from pathlib import Path

PLACES = """id,name,kind,capacity,parent,exit
ring-a,Ring A,corridor,,,
q-1,Quarters 1,quarters,4,ring-a,
hall,Grand Hall,hall,300,ring-a,
ward-1,Ward 1,ward,10,,
al-1,Airlock 1,airlock,4,ring-a,true
"""

PEOPLE = """id,name,role,affiliation,home
p1,Stephanie,performer,troupe,q-1
p2,John,staff,administration,q-1
p3,Dominic,security,police,
v1,Bahati,visiting crew,vessel,
m1,Dr Lee,medical,hospital,
"""

PRESENCE = """person,place,start,end
p1,hall,2026-11-20T18:00:00Z,2026-11-20T22:00:00Z
p2,hall,2026-11-20T19:00:00Z,2026-11-20T20:00:00Z
v1,hall,2026-11-20T18:30:00Z,2026-11-20T21:00:00Z
p1,q-1,2026-11-20T22:00:00Z,2026-11-21T08:00:00Z
m1,ward-1,1763683200,1763712000
"""


def write(folder: Path, name: str, text: str) -> Path:
    """Write ``text`` to ``folder/name`` and return the path."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def station(folder: Path) -> dict[str, Path]:
    """The places, people and presence files of the test station."""
    return {
        "places": write(folder, "places.csv", PLACES),
        "people": write(folder, "people.csv", PEOPLE),
        "presence": write(folder, "presence.csv", PRESENCE),
    }
