"""One owner of the release-table format: the same table through the web upload and through
``freigabe check`` gives the identical file (bytes and sha256), and the data package's data file is it too."""
from __future__ import annotations

import hashlib
import subprocess
import sys
from io import BytesIO
from pathlib import Path

from publisher.models import Submission

FREIGABE = str(Path(sys.executable).parent / "freigabe")


def test_same_table_through_cli_and_web_gives_identical_bytes(browser, auth, users, hierarchy, city, table_bytes,
                                                                fresh, tmp_path):
    from publisher.services import reference

    reference.ensure_default_rule_set(fresh())
    data = table_bytes(seed=11)
    auth.login("sabine")
    form = {"geo_column": "baublock", "count_columns": "anzahl", "dimensions": "monat, aufenthaltsstatus",
            "layout": "long", "additive": "1", "hierarchy": str(hierarchy.id), "title": "Geflüchtete Juli",
            "reference_period": "2026-07", "licence": "dl-de/by-2-0", "audience": "public", "action": "save",
            "contact": "statistik@stadt.example", "file": (BytesIO(data), "juli.csv")}
    resp = browser.post("/submissions/new", "/submissions/new", form, content_type="multipart/form-data")
    assert resp.status_code == 303, resp.get_data(as_text=True)[:2000]
    sub_id = int(resp.headers["Location"].rsplit("/", 1)[1])
    c = fresh()
    version = c.session.get(Submission, sub_id).current_version
    assert version.outcome == "publishable"
    web_bytes = c.store.get(version.artifact_sha256)

    (tmp_path / "juli.csv").write_bytes(data)
    (tmp_path / "stadt.csv").write_bytes(city.hierarchy_csv())
    out = tmp_path / "out"
    p = subprocess.run([FREIGABE, "check", str(tmp_path / "juli.csv"), "--hierarchy", str(tmp_path / "stadt.csv"),
                        "--out", str(out), "--geo-column", "baublock", "--count-column", "anzahl",
                        "--dimension", "monat", "--dimension", "aufenthaltsstatus"],
                       capture_output=True, text=True, timeout=180)
    assert p.returncode == 0, p.stderr
    cli_bytes = (out / "releasable.csv").read_bytes()
    assert cli_bytes == web_bytes
    assert hashlib.sha256(cli_bytes).hexdigest() == version.artifact_sha256
    assert cli_bytes.split(b"\r\n", 1)[0] == b"level,area,monat,aufenthaltsstatus,count"


def test_a_category_labelled_like_a_symbol_is_refused_at_upload(browser, auth, users, hierarchy, fresh):
    """'-' and '.' are read as null in every column of the package: refused with a typed finding at upload
    (naming file, row and column), not at publication; nothing is stored."""
    from publisher.services import reference

    reference.ensure_default_rule_set(fresh())
    auth.login("sabine")
    rows = "baublock;status;anzahl\n" + "".join(f"{b};{s};{n}\n" for b, s, n in (
        ("0101001", "Asyl", 12), ("0101001", "-", 14), ("0101002", "Asyl", 9), ("0101002", "-", 8)))
    form = {"geo_column": "baublock", "count_columns": "anzahl", "dimensions": "status", "layout": "long",
            "additive": "1", "hierarchy": str(hierarchy.id), "title": "Symbole", "reference_period": "2026-07",
            "contact": "statistik@stadt.example",
            "licence": "dl-de/by-2-0", "audience": "public", "action": "save",
            "file": (BytesIO(rows.encode()), "symbole.csv")}
    resp = browser.post("/submissions/new", "/submissions/new", form, content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422, html[:2000]
    assert "DIN 55301" in html and "Zeile 3" in html
    assert "symbole.csv" in html and "status" in html
    assert fresh().session.query(Submission).count() == 0


def test_an_unknown_licence_is_refused_at_upload_never_replaced(browser, auth, users, hierarchy, table_bytes, fresh):
    """cc-by-nc is no licence Freigabe knows: 422 naming the field, nothing stored (it used to be published
    silently as DL-DE-BY-2.0)."""
    from publisher.services import reference

    reference.ensure_default_rule_set(fresh())
    auth.login("sabine")
    form = {"geo_column": "baublock", "count_columns": "anzahl", "dimensions": "monat, aufenthaltsstatus",
            "layout": "long", "additive": "1", "hierarchy": str(hierarchy.id), "title": "Lizenz",
            "reference_period": "2026-07", "licence": "cc-by-nc", "audience": "public", "action": "save",
            "file": (BytesIO(table_bytes(seed=3)), "juli.csv")}
    resp = browser.post("/submissions/new", "/submissions/new", form, content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and 'id="e-licence"' in html and "dl-de/by-2-0" in html
    assert fresh().session.query(Submission).count() == 0
