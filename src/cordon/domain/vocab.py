"""Reading the vocabulary's enumerated words as people write them (case, spaces, aliases)."""

from __future__ import annotations

import unicodedata
from enum import StrEnum
from typing import TypeVar

from cordon.errors import InvalidValue

__all__ = ["choice", "has_visible_text", "normalise_word", "require_text"]

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


_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp", "Mn", "Me"})
"""Unicode categories that show nothing on their own: controls, format characters (zero-width
spaces and joiners), surrogates, private use, unassigned, separators and combining marks."""


def has_visible_text(text: str) -> bool:
    """Whether ``text`` has at least one character a reader can see (a lone zero-width space,
    NULs or blanks are not a reason anyone can read)."""
    return any(unicodedata.category(ch) not in _INVISIBLE for ch in text)


def require_text(text: str, what: str) -> str:
    """``text`` stripped, or InvalidValue naming ``what`` when it shows nothing readable."""
    if not has_visible_text(text):
        raise InvalidValue(f"{what} must contain visible text")
    return text.strip()
