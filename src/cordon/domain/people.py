"""People aboard and their roles."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["ROLE_ALIASES", "SUPERVISOR_WORDS", "Person", "Role", "is_supervisor"]


class Role(StrEnum):
    """What a person is aboard for; decides defaults such as who counts as station people."""

    RESIDENT = "resident"
    STAFF = "staff"
    PERFORMER = "performer"
    SECURITY = "security"
    MEDICAL = "medical"
    SCIENTIST = "scientist"
    DIPLOMAT = "diplomat"
    GUEST = "guest"
    VISITING_CREW = "visiting_crew"
    PATIENT = "patient"
    STUDENT = "student"
    TEACHER = "teacher"
    UNKNOWN = "unknown"


ROLE_ALIASES = {
    "crew": "visiting_crew",
    "visitor": "visiting_crew",
    "police": "security",
    "doctor": "medical",
    "nurse": "medical",
    "tourist": "guest",
}


SUPERVISOR_WORDS = ("chief", "head", "supervisor", "commander", "captain", "director", "lead")
"""Words of an affiliation that make its holder a supervisor (kept off guard posts unless
asked): "police chief", "head of security"."""

_SUPERVISOR = re.compile(r"\b(?:" + "|".join(SUPERVISOR_WORDS) + r")\b", re.IGNORECASE)


def is_supervisor(affiliation: str | None) -> bool:
    """Whether an affiliation names a supervising post (a word of ``SUPERVISOR_WORDS``)."""
    return bool(affiliation and _SUPERVISOR.search(affiliation))


@dataclass(frozen=True, slots=True)
class Person:
    """Anyone aboard, named by the facility's own id."""

    id: str
    name: str
    role: Role
    affiliation: str | None = None
    home: str | None = None
