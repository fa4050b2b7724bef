"""The Venus station's places and people: the fixed layout and a seeded population.

Doors join each place to its parent only, so a walk between two places follows the tree through
the corridors (rings, decks, the hub). Airlocks, the shuttle bay and the vessel berth are exits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = [
    "AIRLOCKS",
    "GROUPS",
    "ISOLATION_BEDS",
    "ISOLATION_WARD",
    "MIN_POPULATION",
    "Member",
    "PlaceSpec",
    "build_people",
    "build_places",
    "group_sizes",
]

ISOLATION_WARD = "ward-iso"
ISOLATION_BEDS = 12
RINGS = ("ring-a", "ring-b", "ring-c", "ring-d")
QUARTERS_PER_RING = 50
QUARTERS_BEDS = 8
"""Residents per quarters (which hold 10 at a time, with visitors)."""
AIRLOCKS = tuple(f"airlock-{k}" for k in range(1, 9))
AIRLOCK_PARENTS = dict(
    zip(AIRLOCKS, (*RINGS, "promenade", "med-deck", "ops-deck", "dock-deck"), strict=True)
)


@dataclass(frozen=True, slots=True)
class PlaceSpec:
    """One row of the places file."""

    id: str
    name: str
    kind: str
    capacity: int | None
    parent: str | None
    exit: bool = False


def build_places() -> list[PlaceSpec]:
    """Every place of the station, parents before children."""
    p = PlaceSpec
    places = [p("hub", "Central hub", "corridor", None, None)]
    for ring in RINGS:
        letter = ring[-1].upper()
        label = "Performers' ring D" if letter == "D" else f"Quarters ring {letter}"
        places.append(p(ring, label, "corridor", None, "hub"))
        places += [
            p(f"q-{letter.lower()}-{k:02d}", f"Quarters {letter}-{k:02d}", "quarters", 10, ring)
            for k in range(1, QUARTERS_PER_RING + 1)
        ]
    places += [
        p("promenade", "Promenade", "corridor", None, "hub"),
        p("theatre-1", "Theatre Aphrodite", "hall", 320, "promenade"),
        p("theatre-2", "Theatre Selene", "hall", 280, "promenade"),
        p("theatre-3", "Theatre Nyx", "hall", 240, "promenade"),
        p("theatre-4", "Theatre Eos", "hall", 200, "promenade"),
        p("auditorium", "Main auditorium (convertible)", "hall", 800, "promenade"),
        p("suite-westworld", "Westworld suite", "suite", 60, "promenade"),
        p("suite-versailles", "Versailles suite", "suite", 30, "promenade"),
        p("suite-atlantis", "Atlantis suite", "suite", 30, "promenade"),
        p("suite-orient", "Orient Express suite", "suite", 24, "promenade"),
        p("backstage", "Backstage and rehearsal rooms", "other", 200, "promenade"),
        p("food-court", "Food court", "hall", 1000, "promenade"),
        p("med-deck", "Medical deck", "corridor", None, "hub"),
        p("hospital", "Hospital reception", "other", 40, "med-deck"),
        p("ward-1", "General ward", "ward", 30, "hospital"),
        p(ISOLATION_WARD, "Isolation ward", "isolation_room", ISOLATION_BEDS, "hospital"),
        p("lab-med", "Hospital laboratory", "lab", 30, "hospital"),
        p("ops-deck", "Operations deck", "corridor", None, "hub"),
        p("police", "Police office", "office", 60, "ops-deck"),
        p("admin", "Administration and director's office", "office", 60, "ops-deck"),
        p("control", "Station control", "office", 120, "ops-deck"),
        p("science-lab", "Research laboratory", "lab", 40, "ops-deck"),
        p("engineering", "Engineering", "other", 200, "ops-deck"),
        p("hydroponics", "Hydroponic gardens", "other", 300, "ops-deck"),
        p("dock-deck", "Docking ring", "corridor", None, "hub"),
        p("shuttle-bay", "Shuttle bay", "dock", 120, "dock-deck", True),
        p("berth", "Visiting vessel berth", "dock", 60, "dock-deck", True),
    ]
    places += [p(a, f"Airlock {a[-1]}", "airlock", 12, AIRLOCK_PARENTS[a], True) for a in AIRLOCKS]
    return places


def _words(text: str) -> list[str]:
    return text.split()


FEMALE = _words(
    """
Amara Aiko Alba Alice Anja Ayla Beatriz Camille Carmen Chiara Clara Daria Elena Elif Emma
Esther Eva Fatima Freya Greta Hana Ines Ingrid Irene Isabel Jade Julia Kaia Laila Lena
Leonie Lucia Maja Mara Marta Maya Mei Mila Nadia Naomi Nina Noor Olga Paula Priya Rosa
Sara Selma Sofia Tara Thea Valeria Vera Yara Yuki Zara Zoe
"""
)
MALE = _words(
    """
Aaron Adam Ahmed Alex Andrei Arjun Ben Carlos Daniel David Diego Elias Emil Erik Felix
Finn Hugo Ibrahim Ivan Jakob Jonas Kai Karl Kenji Leo Liam Luca Lukas Marco Mateo Max
Nikolai Noah Omar Oscar Pablo Paul Pedro Rafael Ravi Samuel Sven Tariq Theo Tomas Victor
Viktor Yusuf Ziad
"""
)
SURNAMES = _words(
    """
Abe Adler Alvarez Bauer Berg Costa Cruz Dahl Diaz Dubois Eriksen Fischer Fontaine Garcia
Haddad Hansen Hoffmann Ibsen Ito Jensen Kaur Kim Kowalski Lang Larsen Leclerc Lindqvist
Lopez Marin Meyer Moreau Mori Nakamura Novak Okafor Olsen Park Petrov Quinn Rossi Sato
Schmidt Silva Singh Sorensen Tanaka Torres Varga Weber Wolf Yilmaz Zhou
"""
)
CREW = _words(
    """
Jabari Zuberi Kito Baraka Tendai Jelani Kamau Zawadi Imara Chiumbo Jengo Kibwe Shujaa
Tumaini Haji Simba Mosi Rashidi Sefu Uhuru Tau Kondo Faraji Juma Dumisani Nuru Obi Amani
Chane Jasiri
"""
)
COUNTRIES = (
    "UN Secretariat",
    "Brazil",
    "India",
    "Japan",
    "Kenya",
    "Norway",
    "Canada",
    "Nigeria",
    "France",
    "Indonesia",
)

GROUPS: dict[str, tuple[str, str, int, float]] = {
    # group: (role, affiliation, how many, share of women)
    "admin": ("staff", "administration", 29, 0.5),
    "security": ("security", "police", 47, 0.3),
    "medical": ("medical", "hospital", 40, 0.6),
    "scientist": ("scientist", "research laboratory", 12, 0.5),
    "performer": ("performer", "troupe", 159, 0.75),
    "hospitality": ("staff", "hospitality", 350, 0.55),
    "engineering": ("staff", "engineering", 250, 0.3),
    "patient": ("patient", "hospital", 6, 0.5),
}
"""The station's groups besides the named persons; residents fill up to the population."""


SCALED = ("hospitality", "engineering")
"""Groups whose size follows the population (the others are what the story needs)."""
MIN_POPULATION = 500


def group_sizes(population: int) -> dict[str, int]:
    """How many people of each group a station of ``population`` has (named persons aside)."""
    sizes = {
        g: round(n * population / 1500) if g in SCALED else n
        for g, (_r, _a, n, _w) in GROUPS.items()
    }
    sizes["resident"] = population - 3 - sum(sizes.values())
    return sizes


@dataclass
class Member:
    """One person as the generator sees them: the file's columns and what drives their days."""

    id: str
    name: str
    role: str
    affiliation: str
    group: str
    female: bool
    home: str | None = None
    facts: dict[str, str] = field(default_factory=dict)


def _name(rng: np.random.Generator, female: bool) -> str:
    first = FEMALE if female else MALE
    return f"{first[rng.integers(len(first))]} {SURNAMES[rng.integers(len(SURNAMES))]}"


def build_people(rng: np.random.Generator, population: int) -> list[Member]:
    """Station people (``population`` of them, homes in quarters), the visiting crew and the
    day-6 arrivals."""
    sizes = group_sizes(population)
    beds = len(RINGS) * QUARTERS_PER_RING * QUARTERS_BEDS
    if not MIN_POPULATION <= population <= beds:
        raise ValueError(f"population must be between {MIN_POPULATION} and {beds}")
    people = [
        Member("john", "John Mercer", "staff", "administration", "director", False),
        Member("dominic", "Dominic Reyes", "security", "police chief", "security", False),
        Member("stephanie", "Stephanie Laurent", "performer", "troupe", "performer", True),
    ]
    prefixes = {"admin": "adm", "security": "sec", "medical": "med", "scientist": "sci"}
    prefixes |= {"performer": "perf", "hospitality": "hos", "engineering": "eng", "patient": "pat"}
    groups = {**GROUPS, "resident": ("resident", "residents", 0, 0.5)}
    prefixes["resident"] = "res"
    for group, (role, affiliation, _n, women) in groups.items():
        count = sizes[group]
        for k in range(1, count + 1):
            female = bool(rng.random() < women)
            people.append(
                Member(
                    f"{prefixes[group]}-{k:03d}",
                    _name(rng, female),
                    role,
                    affiliation,
                    group,
                    female,
                )
            )
    _assign_homes(rng, people)
    people.append(Member("bahati", "Bahati", "visiting_crew", "vessel: commander", "crew", True))
    names = list(CREW)
    rng.shuffle(names)
    for k in range(1, 7):
        people.append(
            Member(
                f"cmd-{k:02d}",
                names[k - 1],
                "visiting_crew",
                "vessel: command staff",
                "crew",
                k % 2 == 0,
            )
        )
    for k in range(1, 41):
        people.append(
            Member(
                f"war-{k:02d}",
                f"{names[(k + 5) % len(names)]} {k}",
                "visiting_crew",
                "vessel: warriors",
                "crew",
                False,
            )
        )
    for member in people[-47:]:
        member.home = "berth"
    for k in range(1, 21):
        female = bool(rng.random() < 0.5)
        country = COUNTRIES[(k - 1) % len(COUNTRIES)]
        people.append(
            Member(f"dip-{k:02d}", _name(rng, female), "diplomat", country, "diplomat", female)
        )
    for k in range(1, 16):
        female = bool(rng.random() < 0.5)
        people.append(
            Member(
                f"vsci-{k:02d}",
                _name(rng, female),
                "scientist",
                "diplomatic shuttle",
                "vsci",
                female,
            )
        )
    for k in range(1, 31):
        people.append(
            Member(f"tour-{k:02d}", _name(rng, True), "guest", "tourist shuttle", "tourist", True)
        )
    return people


def _assign_homes(rng: np.random.Generator, people: list[Member]) -> None:
    """Performers in ring D first, everyone else spread over the other rings; 8 to a quarters."""
    beds = [
        f"q-{ring[-1]}-{k:02d}"
        for ring in RINGS
        for k in range(1, QUARTERS_PER_RING + 1)
        for _ in range(QUARTERS_BEDS)
    ]
    ring_d = [b for b in beds if b.startswith("q-d-")]
    others = [b for b in beds if not b.startswith("q-d-")]
    performers = [m for m in people if m.group == "performer"]
    rest = [m for m in people if m.group != "performer"]
    order = rng.permutation(len(others))
    pool = ring_d[: len(performers)] + [others[i] for i in order] + ring_d[len(performers) :]
    performer_beds = pool[: len(performers)]
    rng.shuffle(performer_beds)
    for member, bed in zip(performers, performer_beds, strict=True):
        member.home = bed
    for member, bed in zip(rest, pool[len(performers) :], strict=False):
        member.home = bed
