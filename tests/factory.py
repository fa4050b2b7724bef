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


# A miniature Venus for the containment tests (issue 5): station women exposed to the visiting
# crew, two of them in the ward, four missing after leaving through the airlocks with a foreign
# credential, escorted by a crew member; shows tonight and a tourist session without crew planned.
# Day 6 is 2026-11-25 (UTC); the nanite spreads only through bodily fluid.

VENUS_PLACES = """id,name,kind,capacity,parent,exit
ring,Ring,corridor,,,
hall,Show hall,hall,300,ring,
suite-w,Westworld suite,suite,20,ring,
ward-1,Ward 1,ward,4,,
ward-1a,Ward 1 bay A,isolation,2,ward-1,
q-1,Quarters 1,quarters,4,ring,
q-2,Quarters 2,quarters,4,ring,
q-3,Quarters 3,quarters,4,ring,
al-1,Airlock 1,airlock,4,ring,true
al-2,Airlock 2,airlock,4,ring,true
dock,Visitor dock,dock,50,,true
"""

VENUS_PEOPLE = """id,name,role,affiliation,home
w1,Stephanie,performer,troupe,q-1
w2,Anna,performer,troupe,q-1
w3,Carla,performer,troupe,q-2
w4,Dora,performer,troupe,q-2
w5,Edna,performer,troupe,q-3
w6,Fay,performer,troupe,q-3
w7,Gina,performer,troupe,q-3
w8,Hana,resident,station,q-2
v1,Bahati,visiting crew,vessel,
v2,Warrior Two,visiting crew,vessel,
v3,Warrior Three,visiting crew,vessel,
v4,Warrior Four,visiting crew,vessel,
s1,Dominic,security,police,
d1,John,staff,administration,
m1,Dr Lee,medical,hospital,
g1,Tourist One,guest,shuttle,
g2,Tourist Two,guest,shuttle,
g3,Tourist Three,guest,shuttle,
"""

VENUS_EXPOSURES = """a,b,place,start,end,route,source
v1,w1,hall,2026-11-21T21:00:00Z,2026-11-21T22:00:00Z,fluid,interview
v1,w2,hall,2026-11-21T21:00:00Z,2026-11-21T22:00:00Z,fluid,interview
v2,w3,hall,2026-11-22T21:00:00Z,2026-11-22T22:00:00Z,fluid,interview
v2,w4,suite-w,2026-11-22T23:00:00Z,2026-11-23T00:00:00Z,fluid,interview
v3,w5,suite-w,2026-11-23T21:00:00Z,2026-11-23T22:00:00Z,fluid,interview
v3,w6,hall,2026-11-23T21:00:00Z,2026-11-23T22:00:00Z,fluid,interview
v1,w7,hall,2026-11-24T21:00:00Z,2026-11-24T22:00:00Z,fluid,interview
w8,d1,ring,2026-11-24T10:00:00Z,2026-11-24T10:30:00Z,shared_air,interview
v2,w7,q-3,2026-11-25T02:00:00Z,2026-11-25T03:00:00Z,fluid,interview
"""

VENUS_LAB = """person,collected_at,assay,result,quantity
w1,2026-11-24T08:00:00Z,nanite-count,positive,120
w2,2026-11-24T08:00:00Z,nanite-count,positive,80
w3,2026-11-24T09:00:00Z,nanite-count,positive,60
w4,2026-11-24T09:00:00Z,nanite-count,positive,55
w5,2026-11-24T09:00:00Z,nanite-count,positive,40
w6,2026-11-24T09:00:00Z,nanite-count,positive,30
"""

VENUS_PRESENCE = """person,place,start,end
w1,ward-1a,2026-11-24T10:00:00Z,2026-11-26T10:00:00Z
w2,ward-1,2026-11-24T10:00:00Z,2026-11-26T10:00:00Z
w3,q-2,2026-11-24T10:00:00Z,2026-11-25T01:00:00Z
w4,q-2,2026-11-24T10:00:00Z,2026-11-25T01:00:00Z
w8,q-2,2026-11-24T10:00:00Z,2026-11-25T01:00:00Z
w5,q-3,2026-11-24T10:00:00Z,2026-11-25T02:00:00Z
w6,q-3,2026-11-24T10:00:00Z,2026-11-25T02:00:00Z
w7,q-3,2026-11-24T10:00:00Z,2026-11-26T10:00:00Z
m1,ward-1,2026-11-24T08:00:00Z,2026-11-24T20:00:00Z
"""

VENUS_PASSAGES = """person,place,time,direction,credential,companions,camera
w3,al-1,2026-11-25T01:10:00Z,out,foreign,v2,cam-al-1
v2,al-1,2026-11-25T01:10:05Z,out,foreign,w3,cam-al-1
w4,al-1,2026-11-25T01:20:00Z,out,foreign,v2,cam-al-1
v2,al-1,2026-11-25T01:20:04Z,out,foreign,w4,cam-al-1
w5,al-2,2026-11-25T02:10:00Z,out,foreign,v3,cam-al-2
v3,al-2,2026-11-25T02:10:03Z,out,foreign,w5,cam-al-2
w6,al-2,2026-11-25T02:20:00Z,out,foreign,v3,cam-al-2
v3,al-2,2026-11-25T02:20:02Z,out,foreign,w6,cam-al-2
s1,al-1,2026-11-25T03:00:00Z,out,badge,,cam-al-1
s1,al-1,2026-11-25T03:20:00Z,in,badge,,cam-al-1
"""

VENUS_GATHERINGS = """id,name,place,start,end,participants,kind
show-1,Evening show 1,hall,2026-11-25T19:00:00Z,2026-11-25T20:00:00Z,v1 w7 w8,show
show-2,Evening show 2,hall,2026-11-25T21:00:00Z,2026-11-25T22:00:00Z,v1 v3 w7 w8 d1 g1,show
show-3,Late show,hall,2026-11-25T23:00:00Z,2026-11-26T00:30:00Z,v3 w8,show
ww-0,Westworld session,suite-w,2026-11-24T22:00:00Z,2026-11-24T23:00:00Z,v4 g1 g2 g3 w8,session
ww-1,Westworld session,suite-w,2026-11-25T22:00:00Z,2026-11-25T23:30:00Z,g1 g2 g3,session
brief-1,Staff briefing,hall,2026-11-25T08:00:00Z,2026-11-25T09:00:00Z,d1 s1 m1,meeting
show-7,Day 7 show,hall,2026-11-26T19:00:00Z,2026-11-26T20:00:00Z,v1 w8,show
"""

VENUS_KINDS = ("places", "people", "presence", "passages", "exposures", "lab", "gatherings")


def venus_mini(folder: Path) -> dict[str, Path]:
    """The miniature Venus files, by import kind, in the order they must be imported."""
    texts = {
        "places": VENUS_PLACES,
        "people": VENUS_PEOPLE,
        "presence": VENUS_PRESENCE,
        "passages": VENUS_PASSAGES,
        "exposures": VENUS_EXPOSURES,
        "lab": VENUS_LAB,
        "gatherings": VENUS_GATHERINGS,
    }
    return {kind: write(folder, f"venus_{kind}.csv", texts[kind]) for kind in VENUS_KINDS}
