"""Reading the vocabulary's enumerated words as people write them (case, spaces, aliases)."""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from cordon.errors import InvalidValue

__all__ = ["choice", "normalise_word"]

E = TypeVar("E", bound=StrEnum)


def normalise_word(text: str) -> str:
    """Lower case with spaces and hyphens as underscores: ``Visiting crew`` -> ``visiting_crew``."""
    return "_".join(text.strip().lower().replace("-", " ").split())


def choice(enum: type[E], text: str, aliases: dict[str, str] | None = None) -> E:
    """The member of ``enum`` that ``text`` names, or InvalidValue listing the allowed words."""
    word = normalise_word(text)
    if aliases:
        word = aliases.get(word, word)
    try:
        return enum(word)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        raise InvalidValue(f"{text!r} is not one of: {allowed}") from None
