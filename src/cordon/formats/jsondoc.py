"""Reading JSON from files and requests with a bound on nesting, so that a hostile document
(``[`` x 100,000) is refused with a clear reason instead of exhausting the parser's stack."""

from __future__ import annotations

import json
import re
from typing import Any

import numpy as np

__all__ = ["MAX_DEPTH", "TooDeep", "check_depth", "loads"]

MAX_DEPTH = 64
"""The deepest nesting of arrays and objects any cordon input may have."""

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


class TooDeep(ValueError):
    """A JSON document nests arrays or objects deeper than ``MAX_DEPTH``."""


def check_depth(data: str | bytes, limit: int = MAX_DEPTH) -> None:
    """Raise TooDeep when ``data`` opens more than ``limit`` arrays or objects at once.

    Brackets inside strings do not count; the scan is linear and vectorised, and skipped when
    the document has too few brackets to be that deep.
    """
    raw = data.encode("utf-8", errors="surrogatepass") if isinstance(data, str) else data
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return
    codes = np.frombuffer(_STRING.sub(b'""', raw), dtype=np.uint8)
    steps = np.zeros(len(codes), dtype=np.int32)
    steps[(codes == ord("[")) | (codes == ord("{"))] = 1
    steps[(codes == ord("]")) | (codes == ord("}"))] = -1
    depth = np.cumsum(steps)
    if len(depth) and int(depth.max()) > limit:
        raise TooDeep(f"nests arrays or objects more than {limit} levels deep")


def loads(data: str | bytes, **options: Any) -> Any:
    """``json.loads`` after ``check_depth``: a ValueError (JSONDecodeError or TooDeep) for
    anything that is not a sanely nested JSON document."""
    check_depth(data)
    return json.loads(data, **options)
