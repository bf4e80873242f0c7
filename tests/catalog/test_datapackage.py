"""Frictionless data packages: structure, determinism, validation, refusal of broken packages."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile

import frictionless
import pandas as pd
import pytest

from catalog.datapackage import (
    DataPackage,
    build_package,
    sha256,
    validate_package,
)
from catalog.errors import CATALOGUE, MetadataError, PackageInvalid, placeholders


def test_valid_package_passes_frictionless_and_has_all_properties(make):
    table, codes, meta = make.table(), make.codelist(), make.meta()
    pkg = build_package(table, codes, meta)
    assert pkg.report is not None and pkg.report.valid, pkg.report
    assert pkg.report.stats["rows"] == len(table) + len(codes)
    d = json.loads(pkg.files["datapackage.json"])
    assert d["name"] == "schutzsuchende-aufenthaltsstatus"
    assert d["version"] == "1.0.0" and d["created"] == "2026-03-01T09:30:00Z"
    assert d["licenses"] == [
        {
            "name": "DL-DE-BY-2.0",
            "title": "Datenlizenz Deutschland – Namensnennung – Version 2.0",
            "path": "https://www.govdata.de/dl-de/by-2-0",
        }
    ]
    assert meta.public_statement_de in d["description"]
    assert {c["role"] for c in d["contributors"]} == {"publisher", "contact"}
    assert d["keywords"] == ["Migration", "Schutzsuchende"] and d["sources"][0]["title"]
    dcat = d["dcat"]
    assert dcat["temporal"] == {"start": "2025-01-01", "end": "2025-12-31"}
    assert dcat["theme"] == ["http://publications.europa.eu/resource/authority/data-theme/SOCI"]
    # the current vocabulary of geocoding levels (not the outdated .../politicalGeocodingLevel/)
    assert dcat["politicalGeocodingLevelURI"] == "http://dcat-ap.de/def/politicalGeocoding/Level/municipality"
    assert dcat["accessRights"].endswith("/access-right/PUBLIC") and dcat["conformsTo"]
    assert dcat["politicalGeocodingURI"].endswith("/05315000") and dcat["geocodingText"] == "Musterstadt"
    assert dcat["contributorID"] == "http://dcat-ap.de/def/contributors/stadtNuernberg"
    assert dcat["accrualPeriodicity"].endswith("/frequency/ANNUAL") and dcat["language"].endswith("/DEU")
    data, gebiete = d["resources"]
    schema = data["schema"]
    assert schema["missingValues"] == [".", "-"]
    assert schema["primaryKey"] == ["ebene", "gebietsschluessel", "aufenthaltsstatus"]
    assert schema["foreignKeys"][0] == {"fields": ["ebene", "gebietsschluessel"], "reference": {
        "resource": "gebiete", "fields": ["ebene", "gebietsschluessel"]}}
    titles = [f["title"] for f in schema["fields"]]
    assert titles[:3] == ["Gebietsebene", "Gebietsschlüssel", "Gebietsname"] and titles[-1] == "Anzahl"
    count = next(f for f in schema["fields"] if f["name"] == "anzahl")
    assert count["type"] == "integer" and count["constraints"] == {"minimum": 0}
    assert "geheim" in count["description"] and "nichts vorhanden" in count["description"]
    assert data["hash"] == "sha256:" + hashlib.sha256(pkg.files[data["path"]]).hexdigest()
    assert gebiete["schema"]["primaryKey"] == ["ebene", "gebietsschluessel"]
    # German machine-readable header, the area name next to its code (from the code list); the status
    # column (primary vs secondary) is never published
    rows = list(csv.reader(io.StringIO(pkg.data_bytes.decode())))
    assert rows[0] == ["ebene", "gebietsschluessel", "gebietsname", "aufenthaltsstatus", "anzahl"]
    names = {(r["level"], r["code"]): r["name"] for _, r in codes.iterrows()}
    assert [r[2] for r in rows[1:]] == [names[(r[0], r[1])] for r in rows[1:]] and all(r[2] for r in rows[1:])
    assert pkg.files[gebiete["path"]].decode().splitlines()[0] == "ebene,gebietsschluessel,gebietsname,uebergeordnet"


def test_suppressed_cells_are_dots_and_read_as_null(make, tmp_path):
    table = make.table(seed=3)
    pkg = build_package(table, make.codelist(), make.meta())
    lines = pkg.data_bytes.decode().splitlines()[1:]
    for line, (_, row) in zip(lines, table.iterrows()):
        cell = line.rsplit(",", 1)[1]
        if row["status"] in ("primary", "secondary"):
            assert cell == "."
        elif row["status"] == "zero":
            assert cell == "0"
        else:
            assert cell == str(row["count"])
    # a real frictionless reader sees the suppressed cells as null, numbers as int
    path = pkg.write_to(tmp_path)
    with frictionless.Package(str(path)).get_resource("daten") as res:
        counts = [r["anzahl"] for r in res.read_rows()]
    expected = [
        None if s in ("primary", "secondary") else int(c) for c, s in zip(table["count"], table["status"])
    ]
    assert counts == expected


def test_zero_symbol_dash_and_suppression_wins_over_a_leaked_value(make):
    table = make.table(seed=5)
    # a frame that (wrongly) still holds a value for a suppressed cell must not publish it
    i = table.index[table["status"] == "ok"][0]
    table.loc[i, "status"] = "secondary"
    pkg = build_package(table, make.codelist(), make.meta(zero_symbol="-"))
    lines = pkg.data_bytes.decode().splitlines()
    assert lines[table.index.get_loc(i) + 1].endswith(",.")
    zero_rows = [k for k, s in enumerate(table["status"]) if s == "zero"]
    assert zero_rows, "test data should contain true zeros"
    assert all(lines[k + 1].endswith(",-") for k in zero_rows)
    assert pkg.report.valid


def test_same_input_same_bytes_and_zip(make):
    a = build_package(make.table(seed=7), make.codelist(), make.meta())
    b = build_package(make.table(seed=7), make.codelist(), make.meta())
    assert a.files == b.files and a.digest() == b.digest()
    assert sha256(a.to_zip()) == sha256(b.to_zip())
    c = build_package(make.table(seed=7), make.codelist(), make.meta(version="1.1.0"))
    assert c.digest() != a.digest()
    with zipfile.ZipFile(io.BytesIO(a.to_zip())) as zf:
        names = zf.namelist()
        assert names[0] == "datapackage.json"
        assert zf.read(names[0]) == a.descriptor_bytes
        assert set(names) == set(a.files)


def test_rebuilt_from_stored_bytes_is_identical(make):
    pkg = build_package(make.table(), make.codelist(), make.meta())
    again = DataPackage.from_zip(pkg.to_zip())
    assert again.files == pkg.files and again.digest() == pkg.digest() and again.descriptor == pkg.descriptor
    assert validate_package(again).valid
    with pytest.raises(MetadataError) as exc:
        DataPackage.from_files({"datapackage.json": pkg.descriptor_bytes})
    assert exc.value.params["field"] == "resources" and pkg.data_path in exc.value.message("en")
    with pytest.raises(MetadataError):
        DataPackage.from_files({"daten.csv": b"x"})


def test_zip_validates_with_frictionless(make, tmp_path):
    pkg = build_package(make.table(), make.codelist(), make.meta())
    path = tmp_path / "paket.zip"
    path.write_bytes(pkg.to_zip())
    assert frictionless.Package(str(path)).validate().valid


def test_area_missing_from_code_list_is_refused_with_report(make):
    table = make.table()
    table.loc[0, "area"] = "9999"
    with pytest.raises(PackageInvalid) as exc:
        build_package(table, make.codelist(), make.meta())
    report = exc.value.report
    assert not report.valid
    assert any(e.type == "foreign-key" and e.resource == "daten" and e.row == 2 for e in report.errors), (
        report
    )
    assert exc.value.code == "catalog.package.invalid"
    assert "nicht veröffentlicht" in exc.value.message("de") and "must not be published" in exc.value.message(
        "en"
    )
    assert exc.value.to_dict()["report"]["errors"]


def test_duplicate_key_is_refused(make):
    table = make.table()
    table = pd.concat([table, table.iloc[[0]]], ignore_index=True)
    with pytest.raises(PackageInvalid) as exc:
        build_package(table, make.codelist(), make.meta())
    assert any(e.type == "primary-key" for e in exc.value.report.errors)


def test_tampered_bytes_fail_validation(make):
    pkg = build_package(make.table(), make.codelist(), make.meta())
    files = dict(pkg.files)
    files[pkg.data_path] = files[pkg.data_path].replace(b",.\r\n", b",2\r\n", 1)
    report = validate_package(DataPackage(pkg.name, pkg.version, pkg.descriptor, files))
    assert not report.valid
    assert any(e.type == "hash-count" for e in report.errors), report


def test_broken_descriptor_is_reported_not_raised(make):
    pkg = build_package(make.table(), make.codelist(), make.meta())
    files = dict(pkg.files)
    files["datapackage.json"] = b"{not json"
    report = validate_package(files, name="kaputt")
    assert not report.valid and report.errors


@pytest.mark.parametrize(
    "override, field",
    [
        ({"name": "Schutzsuchende 2025"}, "name"),
        ({"name": "schutzsuchende-2025"}, "name"),
        ({"version": "1.0"}, "version"),
        ({"temporal_end": "2024-01-01"}, "temporal_end"),
        ({"frequency": "SOMETIMES"}, "frequency"),
        ({"zero_symbol": "x"}, "zero_symbol"),
        ({"public_statement_de": " "}, "public_statement_de"),
    ],
)
def test_bad_metadata_is_a_typed_error(make, override, field):
    with pytest.raises(MetadataError) as exc:
        build_package(make.table(), make.codelist(), make.meta(**override))
    fields = [p.params.get("field") for p in exc.value.problems]
    assert field in fields
    assert exc.value.code == "catalog.meta.invalid"
    assert "Metadaten" in exc.value.message("de") and "metadata" in exc.value.message("en")


def test_bad_table_values_name_row_and_column(make):
    table = make.table()
    table["count"] = table["count"].astype("Float64")
    i = table.index[table["status"] == "ok"][1]
    table.loc[i, "count"] = 2.5
    table = table.drop(columns=[]).copy()
    with pytest.raises(MetadataError) as exc:
        build_package(table, make.codelist(), make.meta())
    p = exc.value.problems[0]
    assert p.code == "catalog.table.value_invalid"
    assert p.params["row"] == table.index.get_loc(i) + 2 and p.params["column"] == "count"
    assert "Zeile" in p.message("de") and "row" in p.message("en")


def test_missing_columns_are_named(make):
    with pytest.raises(MetadataError) as exc:
        build_package(
            make.table().drop(columns=["area"]), make.codelist().drop(columns=["code"]), make.meta()
        )
    got = {(p.params["table"], p.params["column"]) for p in exc.value.problems}
    assert got == {("data", "area"), ("codelist", "code")}


def test_every_error_code_has_both_messages_with_same_placeholders():
    for code, msg in CATALOGUE.items():
        assert msg.de and msg.en, code
        assert placeholders(msg.de) == placeholders(msg.en), code


def test_correction_marks_revised_cells_r_and_carries_changelog_while_first_releases_keep_their_bytes(make):
    from catalog.datapackage import revision_key

    table, codes = make.table(seed=7), make.codelist()
    plain = build_package(table, codes, make.meta())
    # None = not a correction: exactly today's data file, schema and symbols (no revision column)
    assert build_package(table, codes, make.meta(revised=None)).data_bytes == plain.data_bytes
    assert b"revision" not in plain.data_bytes and "changelog" not in plain.descriptor
    assert set(plain.descriptor["symbols"]) == {".", "-"}

    first, second = table.iloc[0], table.iloc[4]
    revised = frozenset({revision_key(r["level"], r["area"], {"aufenthaltsstatus": r["aufenthaltsstatus"]})
                         for r in (first, second)})
    log = ({"version": "1.0.0", "date": "2026-03-01", "period": "2025", "notes": "Neuer Berichtszeitraum 2025"},
           {"version": "1.0.1", "date": "2026-03-09", "period": "2025", "notes": "Korrektur von Version 1.0.0: x"})
    pkg = build_package(table, codes, make.meta(version="1.0.1", revised=revised, changelog=log,
                                                version_notes="Korrektur von Version 1.0.0: x"))
    assert pkg.report.valid, pkg.report
    rows = list(csv.reader(io.StringIO(pkg.data_bytes.decode())))
    assert rows[0] == ["ebene", "gebietsschluessel", "gebietsname", "aufenthaltsstatus", "anzahl", "revision"]
    assert [i for i, r in enumerate(rows[1:]) if r[-1] == "r"] == [0, 4]
    assert all(r[-1] in ("", "r") for r in rows[1:])
    # without the revision column the data file is the first release's file of the same table
    assert b"\r\n".join(line.rsplit(b",", 1)[0] for line in pkg.data_bytes.split(b"\r\n") if line) + b"\r\n" \
        == plain.data_bytes
    d = pkg.descriptor
    assert d["dcat"]["versionNotes"] == "Korrektur von Version 1.0.0: x"
    assert d["changelog"] == [dict(e) for e in log]
    assert d["symbols"]["r"]["de"].startswith("berichtigte Zahl")
    field = d["resources"][0]["schema"]["fields"][-1]
    assert field["name"] == "revision" and field["title"] == "Revisionskennzeichen"
    assert d["resources"][0]["schema"]["primaryKey"] == ["ebene", "gebietsschluessel", "aufenthaltsstatus"]
    # a mark other than r does not validate
    bad = dict(pkg.files)
    bad[pkg.data_path] = pkg.data_bytes.replace(b",r\r\n", b",x\r\n", 1)
    descriptor = json.loads(bad["datapackage.json"])
    descriptor["resources"][0]["hash"] = "sha256:" + sha256(bad[pkg.data_path])
    bad["datapackage.json"] = json.dumps(descriptor).encode()
    report = validate_package(bad)
    assert not report.valid and any(e.type == "constraint-error" for e in report.errors), report


def test_a_dimension_named_revision_is_refused_for_a_correction(make):
    table = make.table().rename(columns={"aufenthaltsstatus": "revision"})
    build_package(table, make.codelist(), make.meta())  # fine for a first release
    with pytest.raises(MetadataError):
        build_package(table, make.codelist(), make.meta(revised=frozenset()))
