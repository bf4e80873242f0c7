"""Turning report dicts into readable rows; reading German counts on the review page."""
from __future__ import annotations

import pytest

from publisher.web.presenters import report_levels, report_lines
from publisher.web.tables import parse_count


@pytest.fixture
def db_url(sqlite_db_url):
    return sqlite_db_url


def test_report_levels_from_list_and_dict_shapes():
    rows = report_levels({"levels": [{"level": "baublock", "cells": 180, "failing": 24, "cells_list": [1, 2]},
                                     {"level": "stadtteil", "cells": 72, "failing": 0}]})
    assert rows == [{"level": "baublock", "cells": 180, "failing": 24}, {"level": "stadtteil", "cells": 72,
                                                                       "failing": 0}]
    rows = report_levels({"per_level": {"baublock": {"failing": 3}, "stadt": {"failing": 0}}})
    assert rows == [{"level": "baublock", "failing": 3}, {"level": "stadt", "failing": 0}]
    assert report_levels({"levels": "x"}) == [] and report_levels(None) == []


def test_report_lines_are_german_by_default_and_english_on_request(app):
    report = {"text_de": "Die Tabelle wird auf Ebene Stadtteil veröffentlicht.",
              "text_en": "The table is released at Stadtteil level.",
              "min_count": 3, "zeros_are_disclosive": False, "total": 12345, "levels": [{"level": "x"}]}
    with app.test_request_context("/"):
        lines = report_lines(report)
        assert ("", "Die Tabelle wird auf Ebene Stadtteil veröffentlicht.") in lines
        assert ("Mindestfallzahl", "3") in lines and ("Nullen gelten als offenlegend", "nein") in lines
        assert ("Summe", "12.345") in lines
        assert not any(k == "levels" for k, _ in lines)
    with app.test_request_context("/?lang=en"):
        lines = report_lines(report)
        assert ("", "The table is released at Stadtteil level.") in lines
        assert ("Minimum count", "3") in lines and ("Total", "12,345") in lines


@pytest.mark.parametrize("text,value", [("12", 12), ("1.234", 1234), (" 7 ", 7), ("-3", -3), ("0", 0),
                                        ("1,5", None), ("x", None), ("", None), ("1.23", None), (None, None)])
def test_parse_count_reads_german_whole_numbers(text, value):
    assert parse_count(text) == value


def test_engine_level_rows_in_the_ui_language(app):
    from publisher.web.presenters import failing_cells

    report = {"submitted_level": "baublock", "levels": [
        {"level": "baublock", "cells": 4, "failing_cells": 1, "decision": "withheld", "reason": "cells_below_threshold",
         "reason_de": "1 Zelle verletzt die Mindestfallzahl.", "reason_en": "1 cell fails the minimum count.",
         "failing": [{"area": "0101", "monat": "2026-07", "count": 2}], "failing_truncated": False}]}
    with app.test_request_context("/"):
        assert report_levels(report) == [{"level": "baublock", "cells": 4, "failing_cells": 1,
                                          "decision": "zurückgehalten",
                                          "reason": "1 Zelle verletzt die Mindestfallzahl."}]
    with app.test_request_context("/?lang=en"):
        row = report_levels(report)[0]
        assert row["decision"] == "withheld" and row["reason"] == "1 cell fails the minimum count."
    assert failing_cells(report) == [{"area": "0101", "monat": "2026-07", "count": 2}]
    report["levels"][0]["failing_truncated"] = True
    assert failing_cells(report) is None and failing_cells({}) is None


def test_failing_index_for_long_and_wide_tables():
    from publisher.web.tables import _failing_index

    report = {"submitted_level": "stadtteil", "levels": [{"level": "stadtteil", "failing": [
        {"area": "0101", "aufenthaltsstatus": "Duldung", "count": 1}]}]}
    assert _failing_index(report, ["stadtteil", "aufenthaltsstatus", "anzahl"]) == (
        ["aufenthaltsstatus"], {(("0101", "Duldung"), None)})
    assert _failing_index(report, ["stadtteil", "Duldung", "Gestattung"]) == ([], {(("0101",), "Duldung")})
    assert _failing_index({"levels": "?"}, ["a"]) is None
