"""The one rule for writing a person's or a place's id, shared by importers and doors.

An id read from a file, a command line or a door controller is trimmed, put in Unicode NFKC
form (full-width and compatibility letters become plain ones), stripped of invisible format
characters (zero-width spaces and joiners, the byte-order mark, bidi marks) and case-folded:
the directory's case rule is that ids are case-insensitive and kept in lower case, so
``" PERF-004\u200b"`` and ``perf-004`` name the same person.
"""

from __future__ import annotations

import sys
import unicodedata
from functools import lru_cache

__all__ = ["INVISIBLE", "normalise_id"]

INVISIBLE = frozenset(
    chr(c) for c in range(sys.maxunicode + 1) if unicodedata.category(chr(c)) == "Cf"
) | {"\u180e", "\u3164", "\u115f", "\u1160", "\uffa0"}
"""Format characters (zero-width space, joiners, BOM, bidi marks, ...) and blank fillers that
render as nothing."""
_DROP = {ord(c): None for c in INVISIBLE}


@lru_cache(maxsize=65_536)
def normalise_id(raw: str) -> str:
    """``raw`` as the directory writes ids: trimmed, NFKC, no invisible characters, lower case."""
    if raw.isascii():
        return raw.strip().lower()
    text = unicodedata.normalize("NFKC", raw).translate(_DROP)
    # Case folding can un-normalise (e.g. U+0345); a second NFKC makes it stable.
    return unicodedata.normalize("NFKC", text.casefold()).translate(_DROP).strip()
