"""People aboard and their roles."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = ["ROLE_ALIASES", "Person", "Role"]


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


@dataclass(frozen=True, slots=True)
class Person:
    """Anyone aboard, named by the facility's own id."""

    id: str
    name: str
    role: Role
    affiliation: str | None = None
    home: str | None = None
