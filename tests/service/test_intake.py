"""Intake: German CSV/XLSX variants are read; broken files get a clear error naming file/row/column and
NOTHING is stored (no rows, no files, no audit rows)."""
from __future__ import annotations

import io

import pytest
from sqlalchemy import func, select

from publisher.demo import STATUSES, counts_long, german_csv, stadtteil_table, xlsx_bytes
from publisher.models import AuditEvent, Series, StoredFile, Submission, SubmissionVersion
from publisher.services import intake
from publisher.services.errors import Forbidden, InvalidInput

HEADER = ["baublock", "monat", "aufenthaltsstatus", "anzahl"]
MAPPING = {"geo_column": "baublock", "count_columns": ["anzahl"], "dimensions": ["monat", "aufenthaltsstatus"],
           "layout": "long"}
META = {"title": "Geflüchtete nach Aufenthaltsstatus", "reference_period": "2026-07", "contact": "statistik@stadt.example"}


def stored_state(c) -> dict:
    s = c.session
    return {
        "submissions": s.execute(select(func.count()).select_from(Submission)).scalar(),
        "versions": s.execute(select(func.count()).select_from(SubmissionVersion)).scalar(),
        "files": s.execute(select(func.count()).select_from(StoredFile)).scalar(),
        "audit": s.execute(select(func.count()).select_from(AuditEvent)).scalar(),
        "series": s.execute(select(func.count()).select_from(Series)).scalar(),
        "store": c.store.all_hashes(),
    }


@pytest.fixture
def rows(city):
    return counts_long(city, ["2026-07"], seed=21, small_cells=False)


def _upload(ctx, user, hierarchy, data, filename="t.csv", mapping=MAPPING, **kw):
    return intake.create_draft(ctx, user, data=data, filename=filename, metadata=dict(META), mapping=mapping,
                               hierarchy=hierarchy.id, **kw)


def _releasable_text(ctx, sub) -> str:
    return ctx.store.get(sub.current_version.artifact_sha256).decode("utf-8")


VARIANTS = {
    "utf8-semicolon": dict(encoding="utf-8", delimiter=";"),
    "utf8-bom": dict(encoding="utf-8", delimiter=";", bom=True),
    "cp1252": dict(encoding="cp1252", delimiter=";"),
    "latin-1-comma": dict(encoding="latin-1", delimiter=",", thousands=False),
    "tab": dict(encoding="utf-8", delimiter="\t"),
    "header-offset": dict(encoding="cp1252", delimiter=";", preamble=["Stadt Musterstadt – Referat Statistik",
                                                                      "Geflüchtete am 31.07.2026", ""]),
    "total-row": dict(encoding="utf-8", delimiter=";", total_row=True),
}


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_german_csv_variants_give_the_same_result(variant, ctx, users, hierarchy, rows):
    kw = dict(VARIANTS[variant])
    mapping = dict(MAPPING)
    if variant == "header-offset":
        mapping["header_row"] = 4
    reference = _upload(ctx, users["submitter"], hierarchy, german_csv(HEADER, rows), "ref.csv")
    sub = _upload(ctx, users["submitter"], hierarchy, german_csv(HEADER, rows, **kw), f"{variant}.csv",
                  mapping=mapping)
    v = sub.current_version
    assert v.outcome == "publishable"
    assert v.canonical_sha256 == reference.current_version.canonical_sha256
    assert v.artifact_sha256 == reference.current_version.artifact_sha256
    # umlauts in category values survive every encoding
    assert "Aufenthaltserlaubnis (humanitär)" in _releasable_text(ctx, sub)
    if variant == "total-row":
        codes = {f["code"] for f in v.findings}
        assert any("total" in code.lower() for code in codes), codes


def test_xlsx_first_and_named_sheet(ctx, users, hierarchy, rows):
    csv_sub = _upload(ctx, users["submitter"], hierarchy, german_csv(HEADER, rows), "ref.csv")
    first = _upload(ctx, users["submitter"], hierarchy, xlsx_bytes(HEADER, rows), "tabelle.xlsx")
    assert first.current_version.canonical_sha256 == csv_sub.current_version.canonical_sha256
    data = xlsx_bytes(["x", "y"], [(1, 2)], sheet="Deckblatt")
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data))
    ws = wb.create_sheet("Daten")
    ws.append(["Geflüchtete nach Aufenthaltsstatus"])
    ws.append(HEADER)
    for r in rows:
        ws.append(list(r))
    buf = io.BytesIO()
    wb.save(buf)
    named = _upload(ctx, users["submitter"], hierarchy, buf.getvalue(), "mappe.xlsx",
                    mapping=dict(MAPPING, sheet="Daten", header_row=2))
    assert named.current_version.canonical_sha256 == csv_sub.current_version.canonical_sha256


def test_check_result_is_there_at_once(ctx, users, hierarchy, city):
    rows = counts_long(city, ["2026-07"], seed=3, small_cells=True)
    rows[0] = (rows[0][0], rows[0][1], rows[0][2], 1)  # at least one failing block cell
    sub = _upload(ctx, users["submitter"], hierarchy, german_csv(HEADER, rows))
    v = sub.current_version
    assert v.outcome == "publishable" and v.level in ("stadtteil", "stadtbezirk", "stadt")
    assert v.level != "baublock"
    assert v.public_statement["de"] and v.public_statement["en"]
    assert v.report and v.public_report and v.artifact_sha256
    preview = intake.check_upload(ctx, german_csv(HEADER, rows), "t.csv", MAPPING, hierarchy.id)
    assert preview.artifact_sha256 == v.artifact_sha256 and preview.level == v.level


def _broken_cases(city):
    good = counts_long(city, ["2026-07"], seed=8, small_cells=False)
    block = good[0][0]
    return {
        "empty": (b"", "leer.csv", None),
        "no-extension-support": (b"a;b\n1;2\n", "tabelle.pdf", None),
        "binary-garbage": (bytes(range(256)) * 20, "kaputt.csv", None),
        "truncated-xlsx": (xlsx_bytes(HEADER, good)[:700], "abgeschnitten.xlsx", None),
        "non-numeric-count": (german_csv(HEADER, good[:5] + [(block, "2026-08", "Duldung", "viele")]),
                              "text.csv", ("anzahl", 7)),
        "negative-count": (german_csv(HEADER, good[:5] + [(block, "2026-08", "Duldung", -4)]), "neg.csv",
                           ("anzahl", 7)),
        "fractional-count": (german_csv(HEADER, good[:5] + [(block, "2026-08", "Duldung", "2,5")]), "frac.csv",
                             ("anzahl", 7)),
        "unknown-code": (german_csv(HEADER, good[:5] + [("9999999", "2026-07", "Duldung", 5)]), "code.csv",
                         ("baublock", 7)),
        "duplicate-key": (german_csv(HEADER, good[:5] + [good[0]]), "dup.csv", None),
        "missing-column": (german_csv(["baublock", "monat", "status", "anzahl"], good[:5]), "spalte.csv", None),
    }


@pytest.mark.parametrize("case", ["empty", "no-extension-support", "binary-garbage", "truncated-xlsx",
                                  "non-numeric-count", "negative-count", "fractional-count", "unknown-code",
                                  "duplicate-key", "missing-column"])
def test_broken_files_clear_error_nothing_stored(case, ctx, fresh, users, hierarchy, city):
    data, filename, where = _broken_cases(city)[case]
    before = stored_state(fresh())
    with pytest.raises(InvalidInput) as exc:
        _upload(ctx, users["submitter"], hierarchy, data, filename)
    err = exc.value
    assert err.http_status == 422 and err.findings
    assert all(f.severity.value == "error" for f in err.findings)
    msg = err.message("de")
    assert filename in msg or any(f.file == filename for f in err.findings), msg
    if where:
        column, row = where
        assert any(f.column == column and f.row == row for f in err.findings), [f.to_dict() for f in err.findings]
    assert err.message("en") != msg
    assert stored_state(fresh()) == before


def test_too_large_upload_refused(ctx, fresh, users, hierarchy, rows):
    ctx.settings["MAX_CONTENT_LENGTH"] = 100
    before = stored_state(fresh())
    with pytest.raises(InvalidInput) as exc:
        _upload(ctx, users["submitter"], hierarchy, german_csv(HEADER, rows), "gross.csv")
    assert exc.value.code == "publisher.upload_too_large"
    assert stored_state(fresh()) == before


def test_missing_metadata_refused_nothing_stored(ctx, fresh, users, hierarchy, rows):
    before = stored_state(fresh())
    with pytest.raises(InvalidInput) as exc:
        intake.create_draft(ctx, users["submitter"], data=german_csv(HEADER, rows), filename="t.csv",
                            metadata={"title": "", "audience": "restricted"}, mapping=MAPPING, hierarchy=hierarchy.id)
    cols = {f.column for f in exc.value.findings}
    assert {"title", "reference_period", "groups"} <= cols
    assert stored_state(fresh()) == before


def test_only_submitters_upload(ctx, fresh, users, hierarchy, rows):
    for who in ("approver", "admin", "reader"):
        with pytest.raises(Forbidden):
            _upload(ctx, users[who], hierarchy, german_csv(HEADER, rows))
    assert stored_state(fresh())["submissions"] == 0


def test_mapping_remembered_per_series(ctx, users, hierarchy, rows):
    mapping = dict(MAPPING)
    first = intake.create_draft(ctx, users["submitter"], data=german_csv(HEADER, rows), filename="a.csv",
                                metadata=dict(META), mapping=mapping, series="Geflüchtete monatlich",
                                hierarchy=hierarchy.id)
    assert intake.series_mapping(ctx, "Geflüchtete monatlich") == mapping
    second = intake.create_draft(ctx, users["submitter"], data=german_csv(HEADER, rows), filename="b.csv",
                                 metadata=dict(META, reference_period="2026-08"), mapping=None,
                                 series="Geflüchtete monatlich", hierarchy=hierarchy.id)
    assert second.current_version.mapping == mapping and second.series_id == first.series_id


def test_stadtteil_table_with_umlaut_names(ctx, users, hierarchy, city):
    """A Stadtteil-level table; codes with leading zeros survive (kept as strings)."""
    rows = stadtteil_table(city)
    sub = _upload(ctx, users["submitter"], hierarchy,
                  german_csv(["stadtteil", "aufenthaltsstatus", "anzahl"], rows, encoding="cp1252"), "st.csv",
                  mapping={"geo_column": "stadtteil", "count_columns": ["anzahl"], "dimensions": ["aufenthaltsstatus"],
                           "layout": "long"})
    assert sub.current_version.level == "stadtteil"
    text = _releasable_text(ctx, sub)
    assert "0101" in text and STATUSES[2] in text


def test_update_draft_new_version(ctx, users, hierarchy, rows, city):
    sub = _upload(ctx, users["submitter"], hierarchy, german_csv(HEADER, rows))
    sub = intake.update_draft(ctx, users["submitter"], sub.id, metadata={"title": "Neuer Titel"})
    assert sub.current_version.number == 2 and sub.current_version.meta["title"] == "Neuer Titel"
    assert sub.current_version.meta["reference_period"] == "2026-07"
    with pytest.raises(Forbidden):
        intake.update_draft(ctx, users["other_submitter"], sub.id, metadata={"title": "fremd"})
