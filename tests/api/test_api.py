"""JSON API: bearer tokens, the one error envelope, 401/403/409/422 with the stored state unchanged,
four-eyes, the full workflow, and OpenAPI ↔ route map."""
from __future__ import annotations

import io
import json

import pytest

from publisher.api.openapi import UndocumentedRoute, build_openapi, paths_of, routes_of
from publisher.models import AuditEvent, Decision, StoredFile, Submission

API = "/api/v1"
LONG_MAPPING = {"geo_column": "baublock", "count_columns": ["anzahl"], "dimensions": ["monat", "aufenthaltsstatus"],
                "layout": "long"}


@pytest.fixture
def tokens(ctx, users):
    from publisher.services import accounts

    return {who: {"Authorization": f"Bearer {accounts.create_token(ctx, None, u.username)[1]}"}
            for who, u in users.items()}


def assert_envelope(resp, status: int, code: str | None = None) -> dict:
    """The one error format: RFC 9457 problem details (+ the v1 ``error`` member); returns ``error``."""
    assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True)[:1000])
    assert resp.mimetype == "application/problem+json", resp.get_data(as_text=True)[:500]
    body = json.loads(resp.get_data(as_text=True))
    assert set(body) == {"type", "title", "status", "detail", "instance", "code", "details", "error"}, body
    assert body["status"] == status and body["instance"].startswith("/api/")
    assert body["type"].endswith("/api/v1/problems/" + body["code"]) and body["title"]
    err = body["error"]
    assert set(err) == {"code", "message", "details"}
    assert isinstance(err["code"], str) and err["code"] and isinstance(err["message"], str) and err["message"]
    assert isinstance(err["details"], list)
    assert (err["code"], err["message"], err["details"]) == (body["code"], body["detail"], body["details"])
    if code:
        assert err["code"] == code, err
    return err


def snapshot(fresh, sub_id) -> tuple:
    s = fresh().session
    sub = s.get(Submission, sub_id)
    return (sub.state, sub.lock_version, sub.current_version_id,
            s.query(Decision).filter_by(submission_id=sub_id).count(), s.query(AuditEvent).count())


def upload(client, headers, data: bytes, metadata: dict | None, mapping=LONG_MAPPING, filename="tabelle.csv",
           **extra):
    form = {"file": (io.BytesIO(data), filename)}
    if metadata is not None:
        form["metadata"] = json.dumps(metadata)
    if mapping is not None:
        form["mapping"] = json.dumps(mapping)
    form.update(extra)
    return client.post(f"{API}/submissions", data=form, headers=headers, content_type="multipart/form-data")


def meta(**kw):
    m = {"title": "Geflüchtete nach Aufenthaltsstatus", "reference_period": "2026-08", "keywords": ["Migration"],
         "contact": "statistik@stadt.example"}
    m.update(kw)
    return m


# --- OpenAPI ------------------------------------------------------------------------------------------------

def test_openapi_document_matches_the_route_map(app, client):
    resp = client.get(f"{API}/openapi.json")
    assert resp.status_code == 200
    doc = resp.get_json()
    assert doc["openapi"].startswith("3.")
    assert paths_of(doc) == routes_of(app)
    assert len(routes_of(app)) >= 10
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            assert op["summary"] and op["operationId"], (path, method)
            assert {"400", "404", "405", "429", "500", "503"} <= set(op["responses"]), (path, method)
            for code, r in op["responses"].items():
                if int(code) >= 400:
                    assert r["content"]["application/problem+json"]["schema"] == {
                        "$ref": "#/components/schemas/Problem"}
            params = {p["name"] for p in op["parameters"] if p.get("in") == "path"}
            assert params == set(__import__("re").findall(r"{(\w+)}", path)), path
    ids = [op["operationId"] for ops in doc["paths"].values() for op in ops.values()]
    assert len(ids) == len(set(ids))


def test_a_route_without_description_breaks_the_document(app_config):
    from publisher import create_app

    app = create_app(app_config)
    app.add_url_rule(f"{API}/undocumented", "api.undocumented", lambda: "x")
    with pytest.raises(UndocumentedRoute):
        build_openapi(app)
    with app.test_request_context():
        doc = {"paths": {"/api/v1/ghost": {"get": {}}}}
        assert paths_of(doc) != routes_of(app)


# --- the error envelope everywhere -------------------------------------------------------------------

def concrete(path: str, sub_id: int) -> str:
    return (path.replace("{submission_id}", str(sub_id)).replace("{code}", "publisher.not_found")
            .replace("{job_id}", "1").replace("{report_id}", "987654"))  # issue 17: no such report


def test_error_envelope_on_every_endpoint(app, client, tokens, make_submission, fresh):
    sub = make_submission("submitted")
    before = snapshot(fresh, sub.id)
    routes = routes_of(app)
    doc = build_openapi(app)
    public = {(p, m) for p, ops in doc["paths"].items() for m, op in ops.items() if not op["security"]}
    assert {("/api/v1/releases", "get"), ("/api/v1/openapi.json", "get")} <= public
    for path, method in sorted(routes):
        url = concrete(path, sub.id)
        call = getattr(client, method)
        if (path, method) not in public:
            # 401 without a token and with a wrong token
            assert_envelope(call(url), 401, "publisher.token_invalid")
            assert_envelope(call(url, headers={"Authorization": "Bearer fgb_wrong"}), 401)
            assert_envelope(call(url, headers={"Authorization": "Basic Zm9vOmJhcg=="}), 401)
        # 405 with a method the route does not have
        assert_envelope(client.delete(url, headers=tokens["admin"]), 405, "method_not_allowed")
        if "{submission_id}" in path:
            # 404 for an unknown submission, with a valid token
            resp = call(concrete(path, 999999), headers=tokens["approver"], json={"comment": "x",
                                                                                  "artifact_sha256": "a" * 64})
            assert_envelope(resp, 404, "publisher.not_found")
    assert_envelope(client.get(f"{API}/no-such-thing"), 404, "not_found")
    assert_envelope(client.get(f"{API}/submissions/abc", headers=tokens["approver"]), 404)
    assert snapshot(fresh, sub.id) == before


def test_413_too_large_is_an_envelope_and_nothing_is_stored(app, client, tokens, fresh):
    limit = app.config["MAX_CONTENT_LENGTH"]
    resp = upload(client, tokens["submitter"], b"baublock;anzahl\n" + b"0101001;5\n" * (limit // 10 + 10), meta())
    err = assert_envelope(resp, 413, "payload_too_large")
    assert str(limit) in err["message"]
    assert fresh().session.query(Submission).count() == 0


def test_500_is_an_envelope(client, monkeypatch):
    from publisher.services import queries

    def boom(*a, **k):
        raise RuntimeError("database on fire")

    monkeypatch.setattr(queries, "list_releases", boom)
    err = assert_envelope(client.get(f"{API}/releases"), 500, "internal_error")
    assert "fire" not in err["message"]  # no internals leak


def test_envelope_message_follows_the_language(client):
    assert "does not exist" in assert_envelope(client.get(f"{API}/x?lang=en"), 404)["message"]
    assert "gibt es nicht" in assert_envelope(client.get(f"{API}/x?lang=de"), 404)["message"]


# --- workflow through the API ---------------------------------------------------------------------------

def test_weekly_upload_submit_approve(client, tokens, users, hierarchy, table_bytes, fresh, ctx):
    from publisher.services import reference

    reference.ensure_default_rule_set(ctx)
    resp = upload(client, tokens["submitter"], table_bytes(seed=3), meta(), series="wochenreihe",
                  hierarchy=str(hierarchy.id))
    assert resp.status_code == 201, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["state"] == "draft" and body["version"] == 1
    assert resp.headers["Location"].endswith(f"/submissions/{body['id']}")
    check = body["check"]
    assert check["outcome"] in ("publishable", "withheld") and "de" in check["public_statement"]
    sid = body["id"]
    assert client.post(f"{API}/submissions/{sid}/submit", headers=tokens["submitter"]).get_json()["state"] \
        == "submitted"
    got = client.get(f"{API}/submissions/{sid}", headers=tokens["approver"]).get_json()
    assert got["state"] == "submitted" and got["waiting_for"] == "approver"
    sha = got["manifest"]["sha256"]
    assert got["manifest"]["document"]["table"]["artifact_sha256"] == got["check"]["artifact_sha256"]
    # approval needs the hash of the reviewed release manifest (issue 14)
    assert_envelope(client.post(f"{API}/submissions/{sid}/approve", headers=tokens["approver"], json={}), 422,
                    "publisher.manifest_required")
    before = snapshot(fresh, sid)
    assert_envelope(client.post(f"{API}/submissions/{sid}/approve", headers=tokens["approver"],
                                json={"manifest_sha256": "f" * 64}), 409, "publisher.manifest_changed")
    assert snapshot(fresh, sid) == before
    resp = client.post(f"{API}/submissions/{sid}/approve", headers=tokens["approver"],
                       json={"manifest_sha256": sha, "comment": "passt"})
    assert resp.status_code == 200 and resp.get_json()["state"] == "approved"
    assert fresh().session.get(Submission, sid).state == "approved"


def test_self_approval_is_refused_via_api_and_state_unchanged(client, tokens, make_submission, fresh):
    sub = make_submission("submitted")
    before = snapshot(fresh, sub.id)
    resp = client.post(f"{API}/submissions/{sub.id}/approve", headers=tokens["submitter"],
                       json={"artifact_sha256": sub.current_version.artifact_sha256})
    assert_envelope(resp, 403)
    assert snapshot(fresh, sub.id) == before


@pytest.mark.parametrize("who,action,body,status", [
    ("reader", "approve", None, 403),
    ("other_submitter", "submit", None, 403),
    ("admin", "approve", None, 403),
    ("submitter", "return", {"comment": "selbst"}, 403),
])
def test_forbidden_actors_get_403_and_nothing_changes(client, tokens, make_submission, fresh, who, action, body,
                                                      status):
    sub = make_submission("submitted" if action != "submit" else "draft")
    before = snapshot(fresh, sub.id)
    payload = body or {"artifact_sha256": sub.current_version.artifact_sha256}
    assert_envelope(client.post(f"{API}/submissions/{sub.id}/{action}", headers=tokens[who], json=payload), status)
    assert snapshot(fresh, sub.id) == before


def test_readers_and_other_submitters_cannot_read_a_submission(client, tokens, make_submission):
    sub = make_submission("submitted")
    for who in ("reader", "outsider", "other_submitter"):
        assert_envelope(client.get(f"{API}/submissions/{sub.id}", headers=tokens[who]), 403)
    assert client.get(f"{API}/submissions/{sub.id}", headers=tokens["submitter"]).status_code == 200


@pytest.mark.parametrize("state,action", [("draft", "approve"), ("approved", "submit"), ("returned", "approve"),
                                          ("rejected", "return")])
def test_wrong_state_is_409_and_nothing_changes(client, tokens, make_submission, fresh, state, action):
    sub = make_submission(state)
    before = snapshot(fresh, sub.id)
    who = "submitter" if action == "submit" else "approver"
    resp = client.post(f"{API}/submissions/{sub.id}/{action}", headers=tokens[who],
                       json={"artifact_sha256": sub.current_version.artifact_sha256, "comment": "x"})
    assert_envelope(resp, 409, "publisher.wrong_state")
    assert snapshot(fresh, sub.id) == before


def test_return_and_reject_need_a_comment(client, tokens, make_submission, fresh):
    sub = make_submission("submitted")
    before = snapshot(fresh, sub.id)
    for action in ("return", "reject"):
        assert_envelope(client.post(f"{API}/submissions/{sub.id}/{action}", headers=tokens["approver"],
                                    json={"comment": "  "}), 422, "publisher.comment_required")
    assert_envelope(client.post(f"{API}/submissions/{sub.id}/return", headers=tokens["approver"],
                                data="not json", content_type="application/json"), 422)
    assert snapshot(fresh, sub.id) == before
    resp = client.post(f"{API}/submissions/{sub.id}/return", headers=tokens["approver"], json={"comment": "Bitte"})
    assert resp.get_json()["state"] == "returned"


def test_declared_level_is_used_and_remembered_for_the_series(client, tokens, hierarchy, city, ctx, fresh):
    from publisher.models import Series
    from publisher.services import reference

    reference.ensure_default_rule_set(ctx)
    rows = "\n".join(f"{code};Asyl;{40 + i}" for i, code in enumerate(sorted(city.stadtteile)))
    data = ("stadtteil;status;anzahl\n" + rows + "\n").encode()
    mapping = {"geo_column": "stadtteil", "count_columns": ["anzahl"], "dimensions": ["status"], "layout": "long",
               "geo_level": " stadtteil "}
    resp = upload(client, tokens["submitter"], data, meta(), mapping=mapping, series="stadtteilreihe",
                  hierarchy=str(hierarchy.id))
    assert resp.status_code == 201, resp.get_data(as_text=True)
    assert resp.get_json()["check"]["level"] == "stadtteil"
    series = fresh().session.query(Series).filter_by(slug="stadtteilreihe").one()
    assert series.mapping["geo_level"] == "stadtteil"


@pytest.mark.parametrize("case", ["no_metadata", "bad_json", "metadata_list", "no_title", "bad_ext", "empty",
                                  "no_file", "bad_mapping", "level_too_coarse", "level_unknown"])
def test_bad_uploads_get_422_with_details_and_nothing_is_stored(client, tokens, hierarchy, table_bytes, fresh,
                                                                case):
    data, md, mp, name = table_bytes(seed=5), meta(), LONG_MAPPING, "t.csv"
    extra = {}
    if case == "no_metadata":
        md = None
    elif case == "no_title":
        md = meta(title="")
    elif case == "bad_ext":
        name = "t.exe"
    elif case == "empty":
        data = b""
    elif case == "bad_mapping":
        mp = {"geo_column": "gibt_es_nicht", "layout": "long"}
    elif case == "level_too_coarse":  # block codes declared as Stadtteile
        mp = {**LONG_MAPPING, "geo_level": "stadtteil"}
    elif case == "level_unknown":
        mp = {**LONG_MAPPING, "geo_level": "ortsteil"}
    if case == "bad_json":
        resp = client.post(f"{API}/submissions", headers=tokens["submitter"], content_type="multipart/form-data",
                           data={"file": (io.BytesIO(data), name), "metadata": "{title: kaputt"})
    elif case == "metadata_list":
        resp = client.post(f"{API}/submissions", headers=tokens["submitter"], content_type="multipart/form-data",
                           data={"file": (io.BytesIO(data), name), "metadata": "[1, 2]"})
    elif case == "no_file":
        resp = client.post(f"{API}/submissions", headers=tokens["submitter"], content_type="multipart/form-data",
                           data={"metadata": json.dumps(md)})
    else:
        resp = upload(client, tokens["submitter"], data, md, mapping=mp, filename=name, **extra)
    err = assert_envelope(resp, 422)
    assert err["details"], err
    assert all({"code", "message_de", "message_en"} <= set(d) for d in err["details"])
    if case.startswith("level_"):
        code = {"level_too_coarse": "FG-TABLE-FINER-THAN-LEVEL", "level_unknown": "FG-TABLE-LEVEL-UNKNOWN"}[case]
        assert [d["code"] for d in err["details"]] == [code], err
    s = fresh().session
    assert s.query(Submission).count() == 0
    assert s.query(StoredFile).filter(StoredFile.kind == "raw").count() == 0


def test_reader_cannot_upload(client, tokens, hierarchy, table_bytes, fresh):
    assert_envelope(upload(client, tokens["reader"], table_bytes(seed=1), meta()), 403)
    assert fresh().session.query(Submission).count() == 0


def test_public_releases_list(client, tokens, make_submission):
    pub = make_submission("published", title="Öffentlich")
    restricted = make_submission("published", title="Nur Sozialplanung", audience="restricted",
                                 groups=["sozialplanung"])
    make_submission("submitted", title="Noch nicht")
    ids = {r["id"] for r in client.get(f"{API}/releases").get_json()["releases"]}
    assert ids == {pub.id}
    ids = {r["id"] for r in client.get(f"{API}/releases", headers=tokens["reader"]).get_json()["releases"]}
    assert ids == {pub.id, restricted.id}
    ids = {r["id"] for r in client.get(f"{API}/releases", headers=tokens["outsider"]).get_json()["releases"]}
    assert ids == {pub.id}
    body = client.get(f"{API}/releases").get_json()["releases"][0]
    assert "report" not in body and body["artifact_sha256"]


def test_api_does_not_accept_the_session_cookie(auth, client, users):
    auth.login("sabine")
    assert_envelope(client.get(f"{API}/submissions"), 401)


def test_returned_submission_is_resubmitted_with_a_new_file(client, tokens, make_submission, table_bytes, fresh):
    sub = make_submission("returned")
    v1 = sub.current_version
    before = snapshot(fresh, sub.id)
    assert_envelope(client.post(f"{API}/submissions/{sub.id}/resubmit", headers=tokens["other_submitter"],
                                data={"comment": "fremd"}, content_type="multipart/form-data"), 403)
    assert snapshot(fresh, sub.id) == before
    resp = client.post(f"{API}/submissions/{sub.id}/resubmit", headers=tokens["submitter"],
                       content_type="multipart/form-data",
                       data={"file": (io.BytesIO(table_bytes(seed=77)), "korrigiert.csv"),
                             "metadata": json.dumps({"title": "Korrigiert"}), "comment": "neue Lieferung"})
    assert resp.status_code == 200, resp.get_data(as_text=True)
    body = resp.get_json()
    assert body["state"] == "submitted" and body["version"] == v1.number + 1
    assert body["metadata"]["title"] == "Korrigiert" and body["file"]["name"] == "korrigiert.csv"
    assert_envelope(client.post(f"{API}/submissions/{sub.id}/resubmit", headers=tokens["submitter"],
                                data={}, content_type="multipart/form-data"), 409, "publisher.wrong_state")


def test_api_responses_never_set_a_session_cookie(client, tokens, make_submission):
    sub = make_submission("submitted")
    for resp in (client.get(f"{API}/submissions/{sub.id}", headers=tokens["approver"]),
                 client.get(f"{API}/releases"), client.get(f"{API}/nothing"),
                 client.post(f"{API}/submissions/{sub.id}/return", headers=tokens["approver"], json={"comment": ""})):
        assert not [c for c in resp.headers.getlist("Set-Cookie") if c.startswith("freigabe_session=")]
