"""Fuzz (``make fuzz``): the vectorised CSV reader means exactly what the row-by-row reference means.

On arbitrary and mutated bytes and on CSV-like texts (quotes, delimiters, every kind of line break, Unicode
white space, formulas, control characters, three encodings): the same cells, rows, columns and findings, or
the same typed errors in the same order (tests/readers/reference.py compares everything a caller sees).
"""
from __future__ import annotations

from hypothesis import given, strategies as st

from tests.fuzz.test_fuzz_engine import GOOD_CSV, RUN, _count, any_bytes, mutated, run_for_budget
from tests.readers.reference import fast_read, reference_read, summary
from tests.readers.test_fast_reader import csv_like


def test_fuzz_fast_reader_equals_the_reference():
    @RUN
    @given(st.one_of(csv_like(), st.tuples(st.one_of(any_bytes, mutated(GOOD_CSV)), st.sampled_from([None, 1, 3]))))
    def prop(case):
        _count("reader_paths")
        data, header_row = case
        assert summary(fast_read(data, header_row=header_row)) == summary(reference_read(data, header_row=header_row))

    run_for_budget("reader_paths", prop)
