"""The JSON nesting bound against a recursive count of the parsed document's depth."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cordon.formats import jsondoc


def depth(value: Any) -> int:
    """How many arrays and objects are open at the deepest point (0 for a scalar)."""
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    return 0


tricky = st.text(alphabet='[]{}"\\ab,:', max_size=8)
documents = st.recursive(
    st.one_of(st.none(), st.integers(), tricky),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(tricky, inner, max_size=3)
    ),
    max_leaves=30,
)


def nest(value: Any, times: int) -> Any:
    for k in range(times):
        value = [value] if k % 2 else {"[k": value}
    return value


@settings(max_examples=200, deadline=None)
@given(documents, st.integers(0, 12), st.integers(1, 12))
def test_the_bound_refuses_exactly_the_documents_deeper_than_the_limit(
    value: Any, extra: int, limit: int
) -> None:
    document = nest(value, extra)
    text = json.dumps(document, ensure_ascii=False)
    deep = depth(document) > limit
    if deep:
        with pytest.raises(jsondoc.TooDeep):
            jsondoc.check_depth(text, limit)
    else:
        jsondoc.check_depth(text, limit)
    assert depth(json.loads(text)) == depth(document)


def test_a_hundred_thousand_brackets_are_refused_without_recursion() -> None:
    with pytest.raises(jsondoc.TooDeep, match="more than 64 levels"):
        jsondoc.loads("[" * 100_000)
    assert jsondoc.loads(json.dumps(nest(1, 64))) == nest(1, 64)
