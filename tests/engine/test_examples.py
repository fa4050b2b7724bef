"""The runnable examples in the kernels' docstrings still run."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["cordon.engine.colocation", "cordon.engine.sorting", "cordon.engine.trace"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
    assert result.attempted > 0
