"""The DPO's comparison of both scopes (whole table + coarsening vs cell suppression) on one upload: what each
option costs in information.  Advice only: it never blocks an upload.  (Split from :mod:`publisher.services.intake`.)"""
from __future__ import annotations

import logging


SCOPE_COMPARISON_MAX_ROWS = 20_000  # above this the cells scope is too slow for an upload request


def scope_comparison(prepared, hierarchy, rules, chosen=None) -> dict | None:
    """Information loss of both scopes (whole table + coarsening vs cell suppression) on this submission, so
    the DPO sees what each option costs; None for non-additive or very large tables, or if it fails.
    ``chosen``: the assessment already made with the rule set's own scope - it is reused, only the other
    scope runs (issue 16: each scope once per upload)."""
    if not getattr(prepared, "additive", True) or len(prepared.data) > SCOPE_COMPARISON_MAX_ROWS:
        return None
    try:
        from disclosure_rules.cells import compare_scopes

        if chosen is None:
            return compare_scopes(prepared, hierarchy, rules)
        return _compare_reusing(prepared, hierarchy, rules, chosen)
    except Exception:  # the comparison is advice for the DPO; it never blocks an upload
        logging.getLogger(__name__).exception("scope comparison failed")
        return None


def _compare_reusing(prepared, hierarchy, rules, chosen) -> dict:
    """``compare_scopes`` with the chosen scope's assessment reused (same dict; a test holds the two equal)."""
    import dataclasses

    from disclosure_rules.assess import assess_whole_table
    from disclosure_rules.cells import assess_cells
    from disclosure_rules.report import level_title

    scope = getattr(rules, "scope", "whole_table")
    whole = chosen if scope == "whole_table" else assess_whole_table(
        prepared, hierarchy, dataclasses.replace(rules, scope="whole_table"))
    cells = chosen if scope == "cells" else assess_cells(prepared, hierarchy,
                                                         dataclasses.replace(rules, scope="cells"))
    return {
        "whole_table": {"outcome": whole.outcome, "level": whole.level,
                        "level_title": level_title(whole.level), **whole.report.information_loss},
        "cells": {"outcome": cells.outcome, "level": cells.level, **cells.report.information_loss,
                  "audit": cells.report.extra_public.get("audit")},
    }
