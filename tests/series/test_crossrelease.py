"""Cross-release checks on short generated histories (pure engine, no database)."""
from __future__ import annotations

import numpy as np
import pytest

from disclosure_rules.crossrelease import (
    XREL_CATEGORIES_UNDECLARED, XREL_DERIVED, XREL_INCONSISTENT, XREL_NARROWED, XREL_NESTED, XREL_OK,
    XREL_RECOMPUTABLE, XREL_TEMPORAL, Cell, CheckParams, Reference, Release, check,
)
from disclosure_rules.findings import CATALOGUE

# generated geography: 6 blocks, two Stadtteile (v1); in v2 block B3 moved from T1 to T2
BLOCKS = [f"B{i}" for i in range(1, 7)]
V1 = {"T1": ("B1", "B2", "B3"), "T2": ("B4", "B5", "B6")}
V2 = {"T1": ("B1", "B2"), "T2": ("B3", "B4", "B5", "B6")}


def rel(label, period, level, values, *, series="s", audience="public", membership=None, hierarchy="h v1",
        dims=None):
    """values: area -> count (None = suppressed), or (area, category) -> count when dims given."""
    cells = []
    for key, v in values.items():
        area, cat = (key if dims else (key, None))
        cells.append(Cell(area, ((dims, cat),) if dims else (), v, "ok" if v is not None else "primary"))
    if membership is None:
        membership = {} if level == "baublock" else V1
    return Release(label=label, series=series, period=period, audience=audience, level=level,
                   finest_level="baublock", hierarchy=hierarchy, membership=membership, cells=tuple(cells),
                   dimensions=(dims,) if dims else ())


def codes(result):
    return [f.code for f in result.findings]


def test_weekly_block_change_of_one_is_caught_with_both_releases_named():
    w1 = rel("wochenzahl 1.0.0", "2026-W01", "baublock", {b: 10 + i for i, b in enumerate(BLOCKS)})
    w2_vals = {b: 10 + i for i, b in enumerate(BLOCKS)}
    w2_vals["B4"] += 1  # one person moved in
    w2 = rel("wochenzahl 1.1.0", "2026-W02", "baublock", w2_vals)
    res = check(w2, [w1])
    assert not res.ok
    (f,) = res.blocking
    assert f.code == XREL_TEMPORAL and f.params["area"] == "B4" and f.params["change"] == "+1"
    assert f.params["release_labels"] == ["wochenzahl 1.0.0", "wochenzahl 1.1.0"]
    assert "wochenzahl 1.0.0" in f.message("de") and "wochenzahl 1.0.0" in f.message("en")


def test_temporal_compares_with_the_previous_period_only_and_respects_the_switch():
    base = {b: 20 for b in BLOCKS}
    w1 = rel("r1", "2026-W01", "baublock", base)
    w2 = rel("r2", "2026-W02", "baublock", {**base, "B1": 30})
    w3 = rel("r3", "2026-W03", "baublock", {**base, "B1": 32})  # -2 vs W02 (flag), +12 vs W01 (irrelevant)
    res = check(w3, [w1, w2])
    assert [f.params["previous"] for f in res.blocking] == ["r2"]
    assert check(w3, [w1, w2], CheckParams(differencing=False)).ok
    # a table at a coarser level is compared at its own (finest published) level by default
    t = rel("t2", "2026-W02", "stadtteil", {"T1": 40, "T2": 41})
    t1 = rel("t1", "2026-W01", "stadtteil", {"T1": 39, "T2": 41})
    (f,) = check(t, [t1]).blocking
    assert f.code == XREL_TEMPORAL and f.params["area"] == "T1"
    # unless the rule set names other levels
    assert check(t, [t1], CheckParams(differencing_levels=("baublock",))).ok


def test_clean_weekly_history_has_no_false_alarm():
    rng = np.random.default_rng(8)
    ledger = []
    values = {b: int(v) for b, v in zip(BLOCKS, rng.integers(10, 50, len(BLOCKS)))}
    for week in range(1, 7):
        values = {b: v + int(rng.choice([0, 3, 4, -3, 5])) for b, v in values.items()}
        r = rel(f"w {week}", f"2026-W{week:02d}", "baublock", values)
        res = check(r, ledger)
        assert res.ok, [f.message("en") for f in res.findings]
        assert codes(res) == [XREL_OK]
        ledger.append(r)
    assert len(res.compared) == 5


def test_public_stadtteil_and_restricted_block_table_recompute_a_suppressed_block():
    # restricted block table suppresses B2 (=1) alone; the public Stadtteil table gives T1 = 10
    public = rel("stadtteile 1.0.0 (public)", "2026-10", "stadtteil", {"T1": 10, "T2": 30}, series="st")
    restricted = rel("bloecke 1.0.0 (restricted)", "2026-10", "baublock",
                     {"B1": 5, "B2": None, "B3": 4, "B4": 10, "B5": 10, "B6": 10}, series="bl",
                     audience="restricted")
    # both series count the same population: declared through population
    public = Release(**{**public.__dict__, "population": "gefluechtete"})
    restricted = Release(**{**restricted.__dict__, "population": "gefluechtete"})
    res = check(restricted, [public])
    (f,) = res.blocking
    assert f.code == XREL_RECOMPUTABLE and f.params["area"] == "B2"
    assert f.params["release_labels"] == ["bloecke 1.0.0 (restricted)", "stadtteile 1.0.0 (public)"]
    # the other order (public after restricted) is caught too
    assert [g.code for g in check(public, [restricted]).blocking] == [XREL_RECOMPUTABLE]
    # different populations are not combined
    other = Release(**{**public.__dict__, "population": "einwohner"})
    assert check(restricted, [other]).ok
    # a different period is not combined
    later = Release(**{**public.__dict__, "period": "2026-11"})
    assert check(restricted, [later]).ok


def test_two_suppressed_blocks_stay_protected_unless_their_sum_is_small():
    # blocks B2, B3 suppressed by sex; the Stadtteil table by sex pins their sum per sex
    blocks = rel("b", "2026-10", "baublock", {("B1", "m"): 6, ("B2", "m"): None, ("B3", "m"): None,
                                              ("B1", "w"): 6, ("B2", "w"): None, ("B3", "w"): None},
                 dims="geschlecht", series="b")
    tot = rel("t", "2026-10", "stadtteil", {("T1", "m"): 10, ("T1", "w"): 12}, dims="geschlecht", series="t",
              membership={"T1": ("B1", "B2", "B3")})
    b = Release(**{**blocks.__dict__, "population": "p"})
    t = Release(**{**tot.__dict__, "population": "p"})
    res = check(t, [b])
    # m: B2 + B3 = 4 -> each in [0, 4]: protected (may be 0 and may reach 4 >= 3) -> no finding
    assert res.ok
    t2 = Release(**{**t.__dict__, "cells": (Cell("T1", (("geschlecht", "m"),), 8),
                                             Cell("T1", (("geschlecht", "w"),), 12))})
    res = check(t2, [b])  # m: T1 - B1 = 2 people in the suppressed blocks B2+B3 together: a small group
    # each of B2, B3 is then at most 2: the attacker learns both are below the minimum count
    assert sorted((f.code, f.params["area"], f.params["hi"]) for f in res.blocking) == [
        (XREL_NARROWED, "B2", 2), (XREL_NARROWED, "B3", 2)]
    assert all(f.params["where_en"] == " (geschlecht=m)" and f.params["lo"] == 0 for f in res.blocking)


def test_hierarchy_version_difference_isolates_a_small_group():
    old = rel("st 1.0.0 (Gebiete v1)", "2026-10", "stadtteil", {"T1": 12, "T2": 40}, membership=V1, hierarchy="h v1")
    new = rel("st 1.0.1 (Gebiete v2)", "2026-10", "stadtteil", {"T1": 10, "T2": 42}, membership=V2,
              hierarchy="h v2")
    res = check(new, [old])
    # the moved block B3 is the difference T1(v1) - T1(v2) = T2(v2) - T2(v1) = 2: no table shows it alone
    (f,) = res.blocking
    assert f.code == XREL_DERIVED and "B3" in f.params["region"] and (f.params["lo"], f.params["hi"]) == (2, 2)
    assert f.params["release_labels"] == ["st 1.0.0 (Gebiete v1)", "st 1.0.1 (Gebiete v2)"]
    # the same boundary change with a large moved group is fine
    new_ok = Release(**{**new.__dict__, "cells": (Cell("T1", (), 5), Cell("T2", (), 47))})
    assert check(new_ok, [old]).ok


def test_every_code_has_both_languages():
    from disclosure_rules import crossrelease

    for name in crossrelease.__all__:
        if name.startswith("XREL_"):
            code = getattr(crossrelease, name)
            assert CATALOGUE[code].de and CATALOGUE[code].en, code


@pytest.mark.parametrize("moved", [1, 2])
def test_public_and_restricted_same_area_two_geographies(moved):
    """A naive pair: restricted by block with B1 suppressed, public by Stadtteil; old-minus-new style sums."""
    restricted = rel("r", "2026-W05", "baublock", {"B1": None, "B2": 7, "B3": 8, "B4": 9, "B5": 9, "B6": 9},
                     audience="restricted", series="x")
    public = rel("p", "2026-W05", "stadtteil", {"T1": 15 + moved, "T2": 27}, series="x")
    res = check(public, [restricted])
    codes_ = [f.code for f in res.blocking]
    assert codes_ == [XREL_RECOMPUTABLE]
    assert XREL_NESTED not in codes_  # the old pairwise code is no longer raised: the union audit covers it
    f = next(f for f in res.blocking if f.code == XREL_RECOMPUTABLE)
    assert f.params["release"] == "r" and f.params["release_labels"] == ["p", "r"]


def test_a_period_column_does_not_hide_the_temporal_change():
    """Tables carry the period as a dimension (e.g. 'monat'); the change is still compared cell by cell."""
    def monthly(label, month, values):
        cells = tuple(Cell(b, (("monat", month), ("status", "A")), v) for b, v in values.items())
        return Release(label=label, series="m", period=month, audience="public", level="baublock",
                       finest_level="baublock", hierarchy="h v1", membership={}, cells=cells)
    jul = monthly("jul", "2026-07", {b: 10 for b in BLOCKS})
    aug = monthly("aug", "2026-08", {**{b: 10 for b in BLOCKS}, "B5": 8})
    (f,) = check(aug, [jul]).blocking
    assert f.code == XREL_TEMPORAL and f.params["area"] == "B5" and f.params["change"] == "-2"
    assert "monat" not in f.message("en") and "status=A" in f.message("en")


def test_the_rule_set_switches_temporal_differencing():
    from disclosure_rules import load_rules

    assert CheckParams.from_rules(load_rules()).differencing is True
    off = CheckParams.from_rules(load_rules(None, differencing=False, min_count=5))
    assert off.differencing is False and off.min_count == 5
    w1 = rel("a", "2026-W01", "baublock", {b: 10 for b in BLOCKS})
    w2 = rel("b", "2026-W02", "baublock", {**{b: 10 for b in BLOCKS}, "B1": 14})
    assert check(w2, [w1], off).ok  # switched off
    assert not check(w2, [w1], CheckParams.from_rules(load_rules(None, min_count=5))).ok  # 4 < 5 flagged


def test_suppressing_a_cell_that_is_already_public_is_no_new_disclosure():
    first = rel("v1", "2026-10", "baublock", {b: 10 for b in BLOCKS})
    correction = rel("v1.0.1", "2026-10", "baublock", {**{b: 10 for b in BLOCKS}, "B3": None})
    assert check(correction, [first]).ok


def test_margin_insgesamt_is_the_sum_of_its_categories_across_releases():
    # table A (cells scope, with margins): block B1 has Asyl 2 and Duldung 1, both suppressed, total 3 published
    a_vals = {("B1", "Asyl"): None, ("B1", "Duldung"): None, ("B1", "Insgesamt"): 3,
              ("B2", "Asyl"): 7, ("B2", "Duldung"): 5, ("B2", "Insgesamt"): 12}
    a = rel("status 1.0.0 (public)", "2026-10", "baublock", a_vals, dims="aufenthaltsstatus", series="a")
    # table B (another series, same population, restricted): publishes Duldung for B1
    b = rel("duldung 1.0.0 (restricted)", "2026-10", "baublock",
            {("B1", "Duldung"): 1, ("B2", "Duldung"): 5}, dims="aufenthaltsstatus", series="b",
            audience="restricted")
    a, b = (Release(**{**r.__dict__, "population": "gefluechtete"}) for r in (a, b))
    res = check(b, [a])
    found = sorted((f.code, f.params["area"], f.params["where_en"]) for f in res.blocking)
    # Asyl B1 = Insgesamt 3 - Duldung 1 = 2: recomputable; Duldung B1 itself is published by B
    assert found == [(XREL_RECOMPUTABLE, "B1", " (aufenthaltsstatus=Asyl)")], found
    # without table B, the margin alone pins nothing across releases
    other = rel("anderes 1.0.0", "2026-10", "baublock", {("B2", "Asyl"): 7}, dims="aufenthaltsstatus", series="c")
    other = Release(**{**other.__dict__, "population": "gefluechtete"})
    assert check(other, [a]).ok


def test_a_correction_supersedes_the_release_it_corrects_in_the_union_audit():
    """Two versions of one table are not two tables of one population and period: fed together, the LP is
    infeasible and a real finding is lost.  The correction stands for the corrected release; what the pair
    still tells (a cell changing by 1 .. min_count-1) is a warning."""
    from disclosure_rules.crossrelease import XREL_CORRECTION_SMALL

    def pop(r):
        return Release(**{**r.__dict__, "population": "gefluechtete"})

    blocks = pop(rel("bloecke 1.0.0 (restricted)", "2026-10", "baublock",
                     {"B1": 5, "B2": None, "B3": 4, "B4": 10, "B5": 10, "B6": 10}, series="bl", audience="restricted"))
    old = pop(rel("st 1.0.0", "2026-10", "stadtteil", {"T1": 14, "T2": 31}, series="st"))
    fix = pop(rel("st 1.0.1", "2026-10", "stadtteil", {"T1": 10, "T2": 30}, series="st"))
    # fed as two tables of the same period, T1 = 14 and T1 = 10 contradict: that blocks by itself (fail closed,
    # naming both), and the audit goes on without the contradicting release, so B2 = 1 is still found
    inc = check(fix, [blocks, old])
    assert {f.code for f in inc.blocking} == {XREL_INCONSISTENT, XREL_RECOMPUTABLE}
    (i,) = [f for f in inc.blocking if f.code == XREL_INCONSISTENT]
    assert "st 1.0.0" in i.params["release_labels"] and len(i.params["release_labels"]) == 2
    res = check(fix, [blocks], corrected=old)
    (f,) = res.blocking
    assert f.code == XREL_RECOMPUTABLE and f.params["area"] == "B2"
    (w,) = [g for g in res.findings if g.code == XREL_CORRECTION_SMALL]
    assert w.params["changed"] == 1 and w.params["example"] == "T2 -1" and w not in res.blocking
    assert "st 1.0.0" in res.compared
    # a correction alone: only the warning, approval is not blocked
    alone = check(fix, [], corrected=old)
    assert alone.ok and codes(alone) == [XREL_CORRECTION_SMALL]
    assert CATALOGUE[XREL_CORRECTION_SMALL].de and CATALOGUE[XREL_CORRECTION_SMALL].en


def test_differently_grouped_categories_block_until_declared_and_subsets_do_not():
    def pop(r):
        return Release(**{**r.__dict__, "population": "gefluechtete"})

    a = pop(rel("status 1.0.0", "2026-10", "stadtteil",
                {("T1", "Asyl"): 20, ("T1", "Duldung"): 7, ("T1", "Sonstige"): 5, ("T2", "Asyl"): 30,
                 ("T2", "Duldung"): 8, ("T2", "Sonstige"): 6}, dims="aufenthaltsstatus", series="a"))
    grouped = pop(rel("grob 1.0.0", "2026-10", "stadtteil",
                      {("T1", "Asyl"): 20, ("T1", "Duldung oder Sonstige"): 12, ("T2", "Asyl"): 30,
                       ("T2", "Duldung oder Sonstige"): 14}, dims="aufenthaltsstatus", series="b"))
    res = check(grouped, [a])
    (f,) = res.blocking
    assert f.code == XREL_CATEGORIES_UNDECLARED and f.params["dimension"] == "aufenthaltsstatus"
    assert f.params["release_labels"] == ["grob 1.0.0", "status 1.0.0"]
    assert f.params["undeclared"] == "Duldung, Duldung oder Sonstige, Sonstige"
    # declared by an admin: the grouping enters the union audit; nothing is disclosed here
    ref = Reference(groupings={"aufenthaltsstatus": {"Duldung oder Sonstige": ("Duldung", "Sonstige")}})
    assert check(grouped, [a], reference=ref).ok
    # the declared grouping must add up: 12 against 7 + 5 is consistent, 13 is not
    wrong = Release(**{**grouped.__dict__, "cells": tuple(
        Cell(c.area, c.dims, 13 if c.count == 12 else c.count) for c in grouped.cells)})
    assert XREL_INCONSISTENT in [g.code for g in check(wrong, [a], reference=ref).blocking]
    # categories declared as categories of their own are no grouping
    own = Reference(groupings={"aufenthaltsstatus": {"Duldung oder Sonstige": (), "Duldung": (), "Sonstige": ()}})
    assert XREL_CATEGORIES_UNDECLARED not in [g.code for g in check(grouped, [a], reference=own).findings]
    # a table showing only some of the categories is no different breakdown; other periods are not compared
    only_asyl = pop(rel("asyl 1.0.0", "2026-10", "stadtteil", {("T1", "Asyl"): 20, ("T2", "Asyl"): 30},
                        dims="aufenthaltsstatus", series="c"))
    assert check(only_asyl, [a]).ok
    later = pop(rel("grob 1.1.0", "2026-11", "stadtteil", {("T1", "Duldung oder Sonstige"): 12},
                    dims="aufenthaltsstatus", series="b"))
    assert not [g for g in check(later, [a]).findings if g.code == XREL_CATEGORIES_UNDECLARED]
