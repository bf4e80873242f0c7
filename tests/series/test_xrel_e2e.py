"""Cross-release scenarios end to end through the services (issue 13 acceptance): tables are uploaded, checked,
approved and published as a user would; the next one is refused at approval (HTTP 409) with findings that
name the releases involved, and nothing changes.  Whether the releases disclose a small count is decided by
the independent attacker (tests/xrel_attack) reading the published files (the approved artifacts) and the
hierarchy files - never by the audit's own functions."""
from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from disclosure_rules.crossrelease import (XREL_CATEGORIES_UNDECLARED, XREL_DERIVED, XREL_INCONSISTENT,
                                           XREL_RECOMPUTABLE, XREL_SHIFTED, XREL_TEMPORAL_GAP)
from publisher.models import PublicationJob, Submission
from publisher.manifest import current_sha
from publisher.services import errors as E
from publisher.services import intake, populations, reference, review
from publisher.workflow import State
from tests.xrel_attack.attacker import Attack, Knowledge, Published, exposed_in_some_world, small_changes

K = 3
BLOCK_MAPPING = {"geo_column": "baublock", "count_columns": ["anzahl"], "dimensions": [], "layout": "long"}
STATUS_MAPPING = {"geo_column": "gebiet", "count_columns": ["anzahl"], "dimensions": ["aufenthaltsstatus"],
                  "layout": "long"}


@pytest.fixture
def world(ctx, users, city, hierarchy):
    reference.ensure_default_rule_set(ctx)
    populations.create_population(ctx, users["admin"], "Geflüchtete")
    populations.create_population(ctx, users["admin"], "Geflüchtete ohne Ukraine", parent="gefluechtete")
    cells = reference.create_rule_set(ctx, users["admin"], "zellsperrung", overrides={"scope": "cells"})
    teil = {b[0]: b[2] for b in city.blocks}
    three = sorted({t for t in teil.values() if sum(v == t for v in teil.values()) == 3})
    return {"cells": cells, "teil": teil, "T": three[0], "U": three[1],
            "blocks_of": lambda t: sorted(b for b, x in teil.items() if x == t)}


def csv_bytes(header, rows) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=";", lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    return buf.getvalue().encode()


def upload(ctx, users, data, *, series, period, hier, mapping=BLOCK_MAPPING, rule_set=None, **meta):
    m = {"title": f"Tabelle {series}", "reference_period": period, "description": "Test", "keywords": ["Test"],
         "source": "Statistikstelle", "contact": "x@example.org", **meta}
    return intake.create_draft(ctx, users["submitter"], data=data, filename=f"{series}-{period}.csv", metadata=m,
                               mapping=mapping, series=series, hierarchy=hier.id,
                               rule_set=rule_set.id if rule_set is not None else None)


def publish(ctx, users, sub) -> Submission:
    sub = review.submit(ctx, users["submitter"], sub.id)
    sub = review.approve(ctx, users["approver"], sub.id, current_sha(ctx, sub))
    review.start_publishing(ctx, sub.id)
    return review.complete_publication(ctx, sub.id, {"download": {"version": "1.0.0"}})


def refused(ctx, users, sub) -> E.WrongState:
    """Submit, then approval is refused with 409; the submission stays SUBMITTED and nothing is queued."""
    sub = review.submit(ctx, users["submitter"], sub.id)
    with pytest.raises(E.WrongState) as err:
        review.approve(ctx, users["approver"], sub.id, current_sha(ctx, sub))
    assert err.value.http_status == 409
    ctx.session.expire_all()
    assert ctx.session.get(Submission, sub.id).state == State.SUBMITTED.value
    assert not ctx.session.execute(select(PublicationJob).where(PublicationJob.submission_id == sub.id)).all()
    return err.value


def published(ctx, sub, hier_csv: bytes, population: str) -> Published:
    v = sub.current_version
    return Published(f"sub{sub.id}", ctx.store.get(v.artifact_sha256), hier_csv, population,
                     v.meta["reference_period"])


def labels_of(err) -> set[str]:
    return {lab for f in err.findings for lab in f.params.get("release_labels", [])}


def block_values(city, base: int = 20, **override) -> dict[str, int]:
    return {b: override.get(b, base + i % 7) for i, b in enumerate(city.block_codes)}


def truth_of(period, segment, values: dict[str, int]) -> dict[tuple, int]:
    return {(period, segment, b, ()): v for b, v in values.items()}


# --- overlapping area systems, and an inconsistent ledger -----------------------------------------------------

def wahlbezirke(ctx, users, city, world):
    """A second hierarchy over the same Baublöcke: W1 = two blocks of T, W2 = T's third block + one of U,
    W3 = U's other blocks; every other Stadtteil is a Wahlbezirk of its own."""
    t, u = world["blocks_of"](world["T"]), world["blocks_of"](world["U"])
    parts = {"W1": t[:2], "W2": [t[2], u[0]], "W3": u[1:]}
    for other in sorted(set(world["teil"].values()) - {world["T"], world["U"]}):
        parts[f"W{other}"] = world["blocks_of"](other)
    rows = [(b, f"Block {b}", w, f"Wahlbezirk {w}") for w, bs in parts.items() for b in bs]
    data = csv_bytes(["baublock", "baublock_name", "wahlbezirk", "wahlbezirk_name"], rows).replace(b";", b",")
    return reference.import_hierarchy(ctx, users["admin"], data, "wahlbezirke.csv", "wahlbezirke"), data, u[0]


def test_wahlbezirk_table_next_to_a_stadtteil_table_is_refused(ctx, users, city, hierarchy, world):
    wb_hier, wb_csv, lonely = wahlbezirke(ctx, users, city, world)
    values = block_values(city, **{lonely: 2})  # the block of U in W2: 2 people
    data = csv_bytes(["baublock", "anzahl"], sorted(values.items()))
    st = publish(ctx, users, upload(ctx, users, data, series="stadtteile", period="2026-10", hier=hierarchy,
                                    population="gefluechtete"))
    assert st.current_version.level == "stadtteil"  # block level fails the rule: coarsened
    wb = upload(ctx, users, data, series="wahlbezirke", period="2026-10", hier=wb_hier, population="gefluechtete")
    assert wb.current_version.level == "wahlbezirk"
    attack = Attack(Knowledge([published(ctx, st, city.hierarchy_csv(), "gefluechtete"),
                               published(ctx, wb, wb_csv, "gefluechtete")]))
    exposed = attack.exposed(truth_of("2026-10", "gefluechtete", values), K)
    assert {e[0][2] for e in exposed} == {lonely}  # B = W2 − (T − W1): 2 people in a block no table shows
    err = refused(ctx, users, wb)
    (f,) = err.findings
    assert f.code == XREL_DERIVED and lonely in f.params["region"]
    assert {f"Einreichung {st.id}", f"Einreichung {wb.id}"} <= _subs(f.params["release_labels"])
    # the same Wahlbezirk table without the small block is approved
    safe = dict(values)
    safe[lonely] = 8
    ok = upload(ctx, users, csv_bytes(["baublock", "anzahl"], sorted(safe.items())), series="wahlbezirke-2",
                period="2026-11", hier=wb_hier, population="gefluechtete")
    ok = review.submit(ctx, users["submitter"], ok.id)
    assert review.approve(ctx, users["approver"], ok.id, current_sha(ctx, ok)).state == \
        State.APPROVED.value


def _subs(labels) -> set[str]:
    return {"Einreichung " + lab.rstrip(")").rsplit("Einreichung ", 1)[-1] for lab in labels if "Einreichung" in lab}


def test_contradicting_releases_fail_closed(ctx, users, city, hierarchy, world):
    from publisher.services import ledger

    wb_hier, wb_csv, lonely = wahlbezirke(ctx, users, city, world)
    values = block_values(city, **{lonely: 2})
    st = publish(ctx, users, upload(ctx, users, csv_bytes(["baublock", "anzahl"], sorted(values.items())),
                                    series="stadtteile", period="2026-10", hier=hierarchy, population="gefluechtete"))
    other = dict(values)
    far = world["blocks_of"](sorted(set(world["teil"].values()))[-1])[0]
    other[far] += 1  # one unrelated Stadtteil differs by one person
    st2 = upload(ctx, users, csv_bytes(["baublock", "anzahl"], sorted(other.items())), series="stadtteile-b",
                 period="2026-10", hier=hierarchy, population="gefluechtete")
    # a release that contradicts the ledger is refused itself, naming both
    err = refused(ctx, users, st2)
    (inc,) = err.findings
    assert inc.code == XREL_INCONSISTENT and _subs(inc.params["release_labels"]) == {
        f"Einreichung {st.id}", f"Einreichung {st2.id}"}
    # a ledger that contradicts itself already (rows written before this check existed, emulated with the
    # ledger's own writer): the next release is refused for the contradiction AND for what it discloses in the
    # world without the contradicting release - nothing disappears
    ledger.append(ctx, st2, st2.current_version, "1.0.0")
    ctx.session.commit()
    wb = upload(ctx, users, csv_bytes(["baublock", "anzahl"], sorted(values.items())), series="wahlbezirke",
                period="2026-10", hier=wb_hier, population="gefluechtete")
    files = [published(ctx, st, city.hierarchy_csv(), "gefluechtete"),
             published(ctx, st2, city.hierarchy_csv(), "gefluechtete"), published(ctx, wb, wb_csv, "gefluechtete")]
    exposed = exposed_in_some_world(Attack(Knowledge(files)), truth_of("2026-10", "gefluechtete", values), K)
    assert {e[0][2] for e in exposed} == {lonely}
    err = refused(ctx, users, wb)
    codes = {f.code for f in err.findings}
    assert codes == {XREL_INCONSISTENT, XREL_DERIVED}
    (inc,) = [f for f in err.findings if f.code == XREL_INCONSISTENT]
    assert f"Einreichung {st2.id}" in inc.message("de")
    (d,) = [f for f in err.findings if f.code == XREL_DERIVED]
    assert lonely in d.params["region"] and f"Einreichung {wb.id}" in d.message("en")


# --- grouped categories ---------------------------------------------------------------------------------------

def test_grouped_category_table_next_to_the_detailed_table_is_refused(ctx, users, city, hierarchy, world):
    teile = sorted(set(world["teil"].values()))
    t = teile[0]
    detail_rows, grouped_rows, truth = [], [], {}
    for i, st in enumerate(teile):
        v = {"Asyl": 50 + i, "Duldung": 30 + i, "Sonstige": 20 + i}
        if st == t:  # Sonstige 2: primary; Asyl 50 its partner (suppression prefers large partners), Duldung 4 stays
            v = {"Asyl": 50, "Duldung": 4, "Sonstige": 2}
        detail_rows += [(st, k, n) for k, n in v.items()]
        grouped_rows += [(st, "Asyl", v["Asyl"]), (st, "Duldung oder Sonstige", v["Duldung"] + v["Sonstige"])]
        for blk in world["blocks_of"](st):  # the attacker's unknowns are blocks: put a Stadtteil on its first
            for k, n in v.items():
                truth[("2026-10", "gefluechtete", blk, (("aufenthaltsstatus", k),))] = \
                    n if blk == world["blocks_of"](st)[0] else 0
    detail = publish(ctx, users, upload(ctx, users, csv_bytes(["gebiet", "aufenthaltsstatus", "anzahl"], detail_rows),
                                        series="status", period="2026-10", hier=hierarchy, mapping=STATUS_MAPPING,
                                        rule_set=world["cells"], population="gefluechtete", audience="restricted",
                                        groups=["sozialplanung"]))
    hidden = [r for r in ctx.store.get(detail.current_version.artifact_sha256).decode().splitlines() if r.endswith(",.")]
    assert f"stadtteil,{t},Sonstige,." in hidden and f"stadtteil,{t},Duldung,." not in hidden
    grouped = upload(ctx, users, csv_bytes(["gebiet", "aufenthaltsstatus", "anzahl"], grouped_rows), series="grob",
                     period="2026-10", hier=hierarchy, mapping=STATUS_MAPPING, population="gefluechtete")
    tables = [published(ctx, detail, city.hierarchy_csv(), "gefluechtete"),
              published(ctx, grouped, city.hierarchy_csv(), "gefluechtete")]
    group = {"aufenthaltsstatus": {"Duldung oder Sonstige": ["Duldung", "Sonstige"]}}
    exposed = Attack(Knowledge(tables, groupings=group)).exposed(truth, K)
    assert {(e[0][2], e[0][3]) for e in exposed} == {(world["blocks_of"](t)[0], ("Sonstige",))}
    # not declared: refused until an admin declares the grouping
    err = refused(ctx, users, grouped)
    (u,) = [f for f in err.findings if f.code == XREL_CATEGORIES_UNDECLARED]
    assert "Duldung oder Sonstige" in u.params["undeclared"]
    assert f"Einreichung {detail.id}" in u.message("de") and f"Einreichung {grouped.id}" in u.message("de")
    # declared: the grouping enters the audit, and Sonstige = (Duldung oder Sonstige) − Duldung is found
    populations.create_grouping(ctx, users["admin"], "aufenthaltsstatus", "Duldung oder Sonstige",
                                ["Duldung", "Sonstige"])
    with pytest.raises(E.WrongState) as again:
        review.approve(ctx, users["approver"], grouped.id, current_sha(ctx, grouped))
    (f,) = [f for f in again.value.findings if f.code == XREL_RECOMPUTABLE]
    assert f.params["area"] == t and f.params["where_en"] == " (aufenthaltsstatus=Sonstige)"
    assert f"Einreichung {detail.id}" in f.params["releases"] and f"Einreichung {grouped.id}" in f.params["releases"]


# --- nested populations ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("ukraine", [2, 9])
def test_subpopulation_table_next_to_the_whole_population(ctx, users, city, hierarchy, world, ukraine):
    t = world["blocks_of"](world["T"])
    rest = block_values(city)  # Geflüchtete ohne Ukraine
    ukr = {b: 0 for b in city.block_codes}
    ukr[t[0]] = ukraine  # people from Ukraine: only in one block of T
    alle = {b: rest[b] + ukr[b] for b in city.block_codes}
    whole = publish(ctx, users, upload(ctx, users, csv_bytes(["baublock", "anzahl"], sorted(alle.items())),
                                       series="alle", period="2026-10", hier=hierarchy, population="gefluechtete"))
    sub = upload(ctx, users, csv_bytes(["baublock", "anzahl"], sorted(rest.items())), series="ohne-ukraine",
                 period="2026-10", hier=hierarchy, population="gefluechtete-ohne-ukraine")
    assert whole.current_version.level == sub.current_version.level == "baublock"
    truth = {**truth_of("2026-10", "gefluechtete-ohne-ukraine", rest), **truth_of("2026-10", "gefluechtete", ukr)}
    attack = Attack(Knowledge([published(ctx, whole, city.hierarchy_csv(), "gefluechtete"),
                               published(ctx, sub, city.hierarchy_csv(), "gefluechtete-ohne-ukraine")],
                              nesting={"gefluechtete-ohne-ukraine": "gefluechtete"}))
    exposed = attack.exposed(truth, K)
    if ukraine == 2:  # the difference of the two block tables is a table too: 2 people from Ukraine in one block
        assert [(e[0][1], e[0][2]) for e in exposed] == [("gefluechtete", t[0])]
        err = refused(ctx, users, sub)
        (f,) = [f for f in err.findings if f.code == XREL_DERIVED]
        assert "Geflüchtete − Geflüchtete ohne Ukraine" in f.params["population"] and t[0] in f.params["region"]
        assert _subs(f.params["release_labels"]) == {f"Einreichung {whole.id}", f"Einreichung {sub.id}"}
    else:
        assert not exposed
        sub = review.submit(ctx, users["submitter"], sub.id)
        assert review.approve(ctx, users["approver"], sub.id, current_sha(ctx, sub)).state == \
            State.APPROVED.value


# --- over time ------------------------------------------------------------------------------------------------

def cells_week(ctx, users, hierarchy, world, period, values, **kw):
    return upload(ctx, users, csv_bytes(["baublock", "anzahl"], sorted(values.items())), series="woche",
                  period=period, hier=hierarchy, rule_set=world["cells"], population="gefluechtete", **kw)


def test_change_across_a_suppressed_week_is_refused(ctx, users, city, hierarchy, world):
    t = world["blocks_of"](world["T"])
    # week 2 hides B2 (2) with its cheapest partner B3; B1 and B3 change by 3 (no small change, nothing links
    # the weeks); week 3 publishes B2 again: 6 against the last published 5
    weeks = {"2026-W01": {t[0]: 10, t[1]: 5, t[2]: 9}, "2026-W02": {t[0]: 13, t[1]: 2, t[2]: 12},
             "2026-W03": {t[0]: 13, t[1]: 6, t[2]: 9}}
    subs = []
    for per, over in list(weeks.items())[:2]:
        subs.append(publish(ctx, users, cells_week(ctx, users, hierarchy, world, per, block_values(city, **over))))
    w3 = cells_week(ctx, users, hierarchy, world, "2026-W03", block_values(city, **weeks["2026-W03"]))
    files = [published(ctx, s, city.hierarchy_csv(), "gefluechtete") for s in subs + [w3]]
    changes = small_changes(files, K, levels={"baublock"})  # the default rule set: the table's own level
    assert [(c[0][2], c[1], c[2], c[3]) for c in changes] == [(t[1], "2026-W01", "2026-W03", 1)]
    err = refused(ctx, users, w3)
    (f,) = [f for f in err.findings if f.code == XREL_TEMPORAL_GAP]
    assert f.params["area"] == t[1] and f.params["change"] == "+1" and f.params["gap"] == "2026-W02"
    assert f"Einreichung {subs[0].id}" in f.params["previous"] and f"Einreichung {w3.id}" in f.params["releases"]


@pytest.mark.parametrize("correction", [False, True])
def test_shifted_suppression_pattern_is_refused(ctx, users, city, hierarchy, world, correction):
    """Week 1: B2 (2) is hidden with its cheapest partner B3 (7); week 2 (or the correction of week 1): B3 is
    12, so B1 (10, unchanged) becomes the partner: B1's published week-1 value recomputes B2."""
    t = world["blocks_of"](world["T"])
    first_vals = block_values(city, **{t[0]: 10, t[1]: 2, t[2]: 7})
    second_vals = block_values(city, **{t[0]: 10, t[1]: 2, t[2]: 12})
    first = publish(ctx, users, cells_week(ctx, users, hierarchy, world, "2026-W01", first_vals))
    period2 = "2026-W01" if correction else "2026-W02"
    extra = {"correction_reason": "B3 war falsch erfasst"} if correction else {}
    second = cells_week(ctx, users, hierarchy, world, period2, second_vals, **extra)
    a = published(ctx, first, city.hierarchy_csv(), "gefluechtete")
    b = published(ctx, second, city.hierarchy_csv(), "gefluechtete")
    b.period = "2026-W01-neu" if correction else b.period  # the attacker keeps both versions apart
    unchanged = [(a.label, b.label, "baublock", blk, ()) for blk in city.block_codes
                 if first_vals[blk] == second_vals[blk]]
    truth = {**truth_of(a.period, "gefluechtete", first_vals), **truth_of(b.period, "gefluechtete", second_vals)}
    assert not Attack(Knowledge([a])).exposed(truth, K) and not Attack(Knowledge([b])).exposed(truth, K)
    exposed = Attack(Knowledge([a, b], links=unchanged)).exposed(truth, K)
    assert {(e[0][0], e[0][2]) for e in exposed} == {(a.period, t[1]), (b.period, t[1])}
    if not correction:  # a standing approval of the weekly series never publishes such a week without a human
        from publisher.models_ledger import Notification
        from publisher.services import series

        series.grant_standing_approval(ctx, users["approver"], first.series_id, first.id, "wöchentlich")
        err = refused(ctx, users, second)
        note = ctx.session.execute(select(Notification).where(Notification.submission_id == second.id)).scalar_one()
        assert note.kind == "review_needed" and "cross_release_findings" in note.details["reasons"]
        assert XREL_SHIFTED in {f["code"] for f in note.details["findings"]}
    else:
        err = refused(ctx, users, second)
    shifted = [f for f in err.findings if f.code == XREL_SHIFTED]
    assert shifted and any(t[1] in f.params["cell_de"] for f in shifted)
    assert all(f"Einreichung {first.id}" in f.params["releases"] and f"Einreichung {second.id}" in f.params["releases"]
               for f in shifted)
    assert ("korrigierte" if correction else "Vorperiode") in shifted[0].message("de")
