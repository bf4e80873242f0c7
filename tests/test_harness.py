"""The test harness itself: guards in ``tests/conftest.py`` that keep the suite's results about Freigabe."""
from __future__ import annotations

import ast
import gc
import sys
import traceback

import pytest

SOURCE = "\n".join(f"def f{i}(a, b):\n    return [a + b * {i} for _ in range(3)] if a else {{'k': (a, b)}}"
                   for i in range(600))


class _FormatsATracebackWhenCollected:
    """Like a pooled connection whose rollback fails when the collector finalises it: logs a traceback."""

    def __init__(self):
        self.cycle = self

    def __del__(self):
        try:
            values = {"a": 1}
            values["b"] + values["a"]
        except KeyError:
            traceback.format_exc()


def _parse_with_collections(parse) -> int:
    threshold = gc.get_threshold()
    gc.set_threshold(5)
    errors = 0
    try:
        for _ in range(3):
            for _ in range(50):
                _FormatsATracebackWhenCollected()
            try:
                parse(SOURCE)
            except SystemError:
                errors += 1
    finally:
        gc.set_threshold(*threshold)
        gc.collect()
    return errors


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="the guard is installed on Python < 3.13 only")
def test_ast_parse_survives_a_finaliser_formatting_a_traceback_during_a_collection():
    assert hasattr(ast.parse, "__wrapped__")  # installed by tests/conftest.py
    assert _parse_with_collections(ast.parse) == 0
    # the unguarded parser fails in exactly this situation on 3.11, so the guard is what holds
    assert _parse_with_collections(ast.parse.__wrapped__) > 0
