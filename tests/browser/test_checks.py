"""The background check endpoints (publisher/web/views_checks.py) over HTTP, without a browser."""
from __future__ import annotations

import io
import re
import time

from publisher.demo import counts_long, german_csv

HEADER = ["baublock", "monat", "aufenthaltsstatus", "anzahl"]


def _csrf(client) -> str:
    page = client.get("/submissions/new")
    assert page.status_code == 200
    return re.search(rb'name="csrf_token" value="([^"]+)"', page.data).group(1).decode()


def _start(client, data: bytes | None, filename="tabelle.csv"):
    form = {"csrf_token": _csrf(client), "geo_column": "baublock", "count_columns": "anzahl",
            "dimensions": "monat, aufenthaltsstatus", "layout": "long", "additive": "1"}
    if data is not None:
        form["file"] = (io.BytesIO(data), filename)
    return client.post("/submissions/check", data=form, content_type="multipart/form-data")


def _wait(client, url, timeout=20.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        r = client.get(url)
        assert r.status_code == 200, r.status_code
        if r.json["state"] != "running":
            return r.json
        time.sleep(0.05)
    raise AssertionError("check did not finish")


def test_background_check_runs_owner_only_and_is_removed_after_reading(app, client, auth, users, hierarchy, city,
                                                                         ctx):
    from publisher.models import Submission
    from publisher.services import reference

    reference.ensure_default_rule_set(ctx)
    data = german_csv(HEADER, counts_long(city, ["2026-07"], seed=4), encoding="cp1252", total_row=True)
    auth.login("sabine")
    r = _start(client, data)
    assert r.status_code == 202, r.data
    url = r.json["status_url"]
    # another submitter cannot see it
    other = app.test_client()
    from tests.conftest import AuthActions

    AuthActions(other, app).login("otto")
    assert other.get(url).status_code == 403
    result = _wait(client, url)
    from publisher.services import intake

    expected = intake.check_upload(ctx, data, "tabelle.csv", {"geo_column": "baublock", "count_columns": ["anzahl"],
                                                              "dimensions": ["monat", "aufenthaltsstatus"],
                                                              "layout": "long"})
    assert result["state"] == "done"
    assert (result["outcome"], result["level"]) == (expected.outcome, expected.level)
    assert 'class="check-result"' in result["html"] and (result["level"] or "keine") in result["html"]
    assert client.get(url).status_code == 403  # fetched once, then gone
    assert ctx.session.query(Submission).count() == 0  # a check stores nothing


def test_background_check_without_file_or_with_bad_file_answers_with_the_error(client, auth, users, hierarchy, ctx):
    from publisher.services import reference

    reference.ensure_default_rule_set(ctx)
    auth.login("sabine")
    r = _start(client, None)
    assert r.status_code == 422 and "Bitte eine Datei auswählen." in r.json["html"]
    r = _start(client, "baublock;monat;aufenthaltsstatus;anzahl\r\n0101001;2026-07;x;zwölf\r\n".encode("cp1252"),
               "zahlen.csv")
    assert r.status_code == 202
    result = _wait(client, r.json["status_url"])
    assert result["state"] == "error"
    assert "zahlen.csv" in result["html"] and "Es wurde nichts gespeichert." in result["html"]


def test_check_status_rejects_odd_tokens_and_non_submitters(client, auth, users):
    auth.login("sabine")
    assert client.get("/submissions/check/..%2F..%2Fetc").status_code in (403, 404)
    assert client.get("/submissions/check/" + "a" * 65).status_code == 403
    auth.logout()
    auth.login("rita")
    assert client.get("/submissions/check/abc").status_code in (403, 404)
