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
    threshold, enabled = gc.get_threshold(), gc.isenabled()
    gc.set_threshold(5)  # collections are automatic here (whatever an earlier test left)
    errors = 0
    try:
        for _ in range(3):
            gc.disable()  # the garbage waits for the first collection inside ``parse`` (not one while making it)
            try:
                for _ in range(50):
                    _FormatsATracebackWhenCollected()
            finally:
                gc.enable()
            try:
                parse(SOURCE)
            except SystemError:
                errors += 1
    finally:
        gc.set_threshold(*threshold)
        gc.collect()
        if not enabled:
            gc.disable()
    return errors


@pytest.mark.skipif(sys.version_info >= (3, 13), reason="the guard is installed on Python < 3.13 only")
def test_ast_parse_survives_a_finaliser_formatting_a_traceback_during_a_collection():
    unguarded = ast.parse.unguarded  # installed once by tests/conftest.py
    assert unguarded.__module__ == "ast" and not hasattr(unguarded, "unguarded")  # the stdlib's, not a guard
    assert _parse_with_collections(ast.parse) == 0
    # the unguarded parser fails in exactly this situation on 3.11, so the guard is what holds
    assert _parse_with_collections(unguarded) > 0
