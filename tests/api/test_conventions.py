"""API conventions (issue 15 item 6): response schemas checked against real answers, problem details for every
error, Idempotency-Key, pagination with Link headers, ETag/If-None-Match, the OpenAPI document."""
from __future__ import annotations

import io
import json
import re
import threading

import jsonschema
import pytest
from sqlalchemy import select, update

from publisher import worker
from publisher.api.openapi import UndocumentedRoute, build_openapi, openapi_path, routes_of
from publisher.models import AuditEvent, StoredFile, Submission
from publisher.models_idempotency import IdempotencyKey

API = "/api/v1"
MAPPING = {"geo_column": "baublock", "count_columns": ["anzahl"], "dimensions": ["monat", "aufenthaltsstatus"],
           "layout": "long"}
LINK = re.compile(r'<([^>]+)>;\s*rel="([^"]+)"')


@pytest.fixture
def tokens(ctx, users):
    from publisher.services import accounts

    return {who: {"Authorization": f"Bearer {accounts.create_token(ctx, None, u.username)[1]}"}
            for who, u in users.items()}


def meta(**kw):
    m = {"title": "Geflüchtete nach Aufenthaltsstatus", "reference_period": "2026-08", "keywords": ["Migration"],
         "contact": "statistik@example.org"}
    m.update(kw)
    return m


def upload(client, headers, data: bytes, metadata: dict, key: str | None = None, filename="tabelle.csv",
           boundary: str | None = None, series="wochenreihe", hierarchy=None):
    """A multipart upload; ``boundary`` fixes the multipart boundary (curl picks a new one every time)."""
    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    md = MultiDict({"metadata": json.dumps(metadata), "mapping": json.dumps(MAPPING), "series": series})
    md.add("file", FileStorage(io.BytesIO(data), filename=filename))
    if hierarchy is not None:
        md.add("hierarchy", str(hierarchy))
    boundary_, body = encode_multipart(md, boundary=boundary)
    h = dict(headers, **({"Idempotency-Key": key} if key is not None else {}))
    return client.post(f"{API}/submissions", data=body, headers=h,
                       content_type=f"multipart/form-data; boundary={boundary_}")


def problem(resp, status: int, code: str | None = None) -> dict:
    assert resp.status_code == status, (resp.status_code, resp.get_data(as_text=True)[:800])
    assert resp.mimetype == "application/problem+json"
    body = json.loads(resp.get_data(as_text=True))
    assert body["status"] == status and body["code"] == body["error"]["code"]
    if code:
        assert body["code"] == code, body
    return body


def links(resp) -> dict[str, str]:
    return {rel: url for url, rel in LINK.findall(resp.headers.get("Link", ""))}


# --- every answer of every route against its documented schema ------------------------------------------------

class SchemaJudge:
    """Installed as an ``after_request`` of the app: every API answer's status must be documented for its
    operation, and its JSON body must validate against the documented schema (problem details for errors)."""

    def __init__(self, app):
        with app.test_request_context():
            self.doc = build_openapi(app)
        self.app = app
        self.failures: list[str] = []
        self.seen: set[tuple[str, str, int]] = set()
        app.after_request(self)

    def __call__(self, response):
        from flask import request

        if not (request.endpoint or "").startswith("api."):
            return response
        rule = openapi_path(request.url_rule.rule)
        method, status = request.method.lower(), response.status_code
        self.seen.add((rule, method, status))
        op = self.doc["paths"].get(rule, {}).get(method)
        where = f"{method.upper()} {request.path} -> {status}"
        if op is None or str(status) not in op["responses"]:
            self.failures.append(f"{where}: status not documented")
            return response
        if status == 304:
            return response
        content = op["responses"][str(status)]["content"]
        if response.mimetype not in content:
            self.failures.append(f"{where}: {response.mimetype} not documented ({list(content)})")
            return response
        schema = {**content[response.mimetype]["schema"], "components": self.doc["components"]}
        try:
            jsonschema.Draft202012Validator(schema).validate(json.loads(response.get_data(as_text=True)))
        except jsonschema.ValidationError as exc:
            self.failures.append(f"{where}: {exc.message} at {list(exc.absolute_path)}")
        if method == "get" and status == 200 and not response.headers.get("ETag"):
            self.failures.append(f"{where}: no ETag")
        return response


def test_every_route_answers_as_documented(app, client, tokens, make_submission, hierarchy, table_bytes, fresh,
                                          ctx):
    judge = SchemaJudge(app)
    t = tokens
    # uploads, lists, one submission, 304
    resp = upload(client, t["submitter"], table_bytes(seed=3), meta(), key="woche-1", hierarchy=hierarchy.id)
    assert resp.status_code == 201, resp.get_data(as_text=True)
    sid = resp.get_json()["id"]
    assert upload(client, t["submitter"], table_bytes(seed=3), meta(), key="woche-1",
                  hierarchy=hierarchy.id).status_code == 201
    problem(upload(client, t["submitter"], table_bytes(seed=4), meta(), key="woche-1", hierarchy=hierarchy.id), 409)
    assert client.get(f"{API}/submissions?per_page=1", headers=t["submitter"]).status_code == 200
    got = client.get(f"{API}/submissions/{sid}", headers=t["submitter"])
    assert client.get(f"{API}/submissions/{sid}", headers={**t["submitter"], "If-None-Match": got.headers["ETag"]}
                      ).status_code == 304
    # every transition
    assert client.post(f"{API}/submissions/{sid}/submit", headers=t["submitter"]).status_code == 200
    assert client.post(f"{API}/submissions/{sid}/return", headers=t["approver"],
                       json={"comment": "Bitte prüfen"}).status_code == 200
    assert client.post(f"{API}/submissions/{sid}/resubmit", headers=t["submitter"], data={"comment": "neu"},
                       content_type="multipart/form-data").status_code == 200
    seen_by_dpo = client.get(f"{API}/submissions/{sid}", headers=t["approver"]).get_json()
    bound = {"artifact_sha256": seen_by_dpo["check"]["artifact_sha256"]}
    if "manifest" in seen_by_dpo:  # approvals bound to the release manifest (issue 14)
        bound["manifest_sha256"] = seen_by_dpo["manifest"]["sha256"]
    approve = client.post(f"{API}/submissions/{sid}/approve", headers=t["approver"], json={**bound, "comment": "ok"})
    assert approve.status_code == 200, approve.get_data(as_text=True)
    other = make_submission("submitted")
    assert client.post(f"{API}/submissions/{other.id}/reject", headers=t["approver"],
                       json={"comment": "nein"}).status_code == 200
    draft = make_submission("draft")
    assert client.post(f"{API}/submissions/{draft.id}/withdraw", headers=t["submitter"]).status_code == 200
    # releases (published through the worker, so they have files), problem types, the document
    pub = make_submission("approved", reference_period="2026-09")
    assert worker.run(app, once=True) >= 1
    assert client.get(f"{API}/releases").status_code == 200
    assert client.get(f"{API}/releases/{pub.id}").status_code == 200
    # stop an approved release before it appears, withdraw a published one (issue 14)
    stopped = make_submission("approved", reference_period="2026-10")
    assert client.post(f"{API}/submissions/{stopped.id}/stop", headers=t["approver"],
                       json={"reason": "Falsche Gebietsstände"}).status_code == 200
    assert client.post(f"{API}/submissions/{pub.id}/withdraw-release", headers=t["approver"],
                       json={"reason": "Fehler in den Daten"}).status_code == 200
    assert client.get(f"{API}/problems?per_page=5&page=2").status_code == 200
    assert client.get(f"{API}/problems/publisher.wrong_state").status_code == 200
    assert client.get(f"{API}/openapi.json").status_code == 200
    # a failed publication (portal unreachable, one attempt), listed and retried (issue 14 item 10)
    portal = {"CKAN_URL": "http://127.0.0.1:9", "CKAN_TOKEN": "t", "CKAN_ORG": "stadt", "CKAN_TIMEOUT": 2,
              "WORKER_MAX_ATTEMPTS": 1}
    app.config.update(portal)
    ctx.settings.update(portal)  # the approval (through ctx) and the worker see the same registry
    make_submission("approved", reference_period="2026-11")
    worker.run(app, once=True)
    failed = client.get(f"{API}/publication-jobs/failed", headers=t["approver"]).get_json()["items"]
    assert [(f["target"], f["error"]["retryable"]) for f in failed] == [("ckan", True)], failed
    assert client.post(f"{API}/publication-jobs/{failed[0]['id']}/retry", headers=t["approver"],
                       json={"comment": "Portal wieder da"}).status_code == 200
    problem(client.post(f"{API}/publication-jobs/{failed[0]['id']}/retry", headers=t["submitter"]), 403)
    # issue 17 item 4: a report - created, a table added, completed, shown
    created = client.post(f"{API}/reports", headers=t["submitter"], json={"title": "Bevölkerung aktuell",
                                                                          "period": "KW 47/2026"})
    assert created.status_code == 201, created.get_data(as_text=True)
    rid = created.get_json()["id"]
    member = make_submission("draft")
    assert client.post(f"{API}/reports/{rid}/members", headers=t["submitter"],
                       json={"submission_id": member.id}).status_code == 200
    assert client.post(f"{API}/reports/{rid}/complete", headers=t["submitter"]).status_code == 200
    shown = client.get(f"{API}/reports/{rid}", headers=t["approver"]).get_json()
    assert shown["state"] == "complete" and [m["submission_id"] for m in shown["members"]] == [member.id]
    problem(client.post(f"{API}/reports/{rid}/members", headers=t["approver"], json={"submission_id": member.id}),
            403)
    # errors of many kinds
    problem(client.get(f"{API}/submissions"), 401)
    problem(client.get(f"{API}/releases/{draft.id}"), 404)
    problem(client.delete(f"{API}/releases"), 405)
    problem(client.get(f"{API}/submissions?per_page=0", headers=t["submitter"]), 422)
    problem(client.get(f"{API}/problems/gibt.es.nicht"), 404)

    assert judge.failures == []
    ok = {(p, m) for p, m, s in judge.seen if 200 <= s < 300}
    assert ok >= routes_of(app), sorted(routes_of(app) - ok)


def test_release_links_lead_to_its_files_package_and_dav_folder(app, client, tokens, make_submission, fresh):
    import hashlib

    from publisher.services import downloads

    sub = make_submission("approved", reference_period="2026-09", seed=5)
    assert worker.run(app, once=True) >= 1
    # issue 13: the next period is the same table grown by 3 (a change of 1 or 2 is refused)
    restricted = make_submission("approved", reference_period="2026-10", audience="restricted",
                                 groups=["sozialplanung"], seed=5, add=3)
    assert worker.run(app, once=True) >= 1
    body = client.get(f"{API}/releases/{sub.id}").get_json()
    ln = body["links"]
    assert ln["self"] == f"{API}/releases/{sub.id}" and ln["html"] == f"/releases/{sub.id}"
    rel = downloads.release_for_submission(fresh(), None, sub.id)
    assert body["version"] == rel.version
    assert {f["name"]: f["sha256"] for f in ln["files"]} == rel.files
    for f in ln["files"]:  # every link downloads exactly the published bytes
        resp = client.get(f["href"])
        assert resp.status_code == 200 and hashlib.sha256(resp.data).hexdigest() == f["sha256"], f
    assert ln["package"].endswith(f"/{rel.version}/datapackage.json")
    assert json.loads(client.get(ln["package"]).data)["name"] == rel.series
    assert ln["zip"].endswith(".zip") and ln["latest"].endswith(f"/latest/{rel.series}.csv")
    assert ln["dav"] == f"/dav/{rel.topic}/{rel.series}/{rel.version}/"
    import base64

    token = tokens["reader"]["Authorization"].split()[1]
    basic = "Basic " + base64.b64encode(f"rita:{token}".encode()).decode()
    folder = client.open(ln["dav"], method="PROPFIND", headers={"Depth": "1", "Authorization": basic},
                         base_url="https://localhost")
    assert folder.status_code == 207 and all(f["name"] in folder.get_data(as_text=True) for f in ln["files"])
    assert ln["ckan"] is None  # CKAN is not configured in this test; tests/catalog covers the portal link
    # a restricted release: 404 (not 403) for anonymous and outsiders, visible to the group
    problem(client.get(f"{API}/releases/{restricted.id}"), 404, "publisher.not_found")
    problem(client.get(f"{API}/releases/{restricted.id}", headers=tokens["outsider"]), 404)
    assert client.get(f"{API}/releases/{restricted.id}", headers=tokens["reader"]).status_code == 200


# --- Idempotency-Key --------------------------------------------------------------------------------------------

def _counts(fresh) -> tuple[int, int, int]:
    s = fresh().session
    return (s.query(Submission).count(), s.query(StoredFile).filter(StoredFile.kind == "raw").count(),
            s.query(AuditEvent).count())


def test_same_key_and_body_is_the_same_draft_even_with_another_multipart_boundary(
        client, tokens, hierarchy, table_bytes, fresh):
    data = table_bytes(seed=11)
    first = upload(client, tokens["submitter"], data, meta(), key="2026-08-woche-35", boundary="----curl-aaaa",
                   hierarchy=hierarchy.id)
    assert first.status_code == 201, first.get_data(as_text=True)
    after_first = _counts(fresh)
    again = upload(client, tokens["submitter"], data, meta(), key="2026-08-woche-35", boundary="----curl-bbbb",
                   hierarchy=hierarchy.id)
    assert again.status_code == 201 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json()["id"] == first.get_json()["id"] and again.headers["Location"] == first.headers["Location"]
    assert again.get_data() == first.get_data()
    assert _counts(fresh) == after_first  # no second draft, no second stored file, nothing audited again
    assert "Idempotent-Replayed" not in first.headers

    # a different body with the same key: 409, nothing runs
    changed = upload(client, tokens["submitter"], table_bytes(seed=12), meta(), key="2026-08-woche-35",
                     hierarchy=hierarchy.id)
    body = problem(changed, 409, "publisher.idempotency.key_reused")
    assert "2026-08-woche-35" in body["detail"]
    assert problem(upload(client, tokens["submitter"], data, meta(), key="2026-08-woche-35", filename="anders.csv",
                          hierarchy=hierarchy.id), 409)
    assert _counts(fresh) == after_first

    # the key belongs to the account: another submitter's same key is a new request
    other = upload(client, tokens["other_submitter"], data, meta(), key="2026-08-woche-35", hierarchy=hierarchy.id)
    assert other.status_code == 201 and other.get_json()["id"] != first.get_json()["id"]
    assert "Idempotent-Replayed" not in other.headers


def test_a_failed_request_frees_the_key_and_keys_expire(client, tokens, hierarchy, table_bytes, fresh):
    data = table_bytes(seed=21)
    bad = upload(client, tokens["submitter"], data, meta(title=""), key="k-1", hierarchy=hierarchy.id)
    problem(bad, 422)
    assert fresh().session.query(IdempotencyKey).count() == 0
    good = upload(client, tokens["submitter"], data, meta(), key="k-1", hierarchy=hierarchy.id)
    assert good.status_code == 201 and "Idempotent-Replayed" not in good.headers
    row = fresh().session.execute(select(IdempotencyKey)).scalar_one()
    assert row.state == "done" and row.status == 201
    assert (row.expires_at - row.created_at).total_seconds() == 24 * 3600
    # after expiry the key counts as new (here: a new body is accepted, not 409)
    c = fresh()
    c.session.execute(update(IdempotencyKey).values(expires_at=row.created_at))
    c.session.commit()
    again = upload(client, tokens["submitter"], table_bytes(seed=22), meta(), key="k-1", hierarchy=hierarchy.id)
    assert again.status_code == 201 and again.get_json()["id"] != good.get_json()["id"]
    for key in ("", '""', "x" * 256, "ä-schlüssel", "a b"):
        body = problem(upload(client, tokens["submitter"], data, meta(), key=key, hierarchy=hierarchy.id), 422)
        assert body["details"][0]["column"] == "Idempotency-Key"


def test_a_transition_with_the_same_key_is_answered_once(client, tokens, make_submission, fresh):
    sub = make_submission("draft")
    h = {**tokens["submitter"], "Idempotency-Key": '"submit-42"'}
    first = client.post(f"{API}/submissions/{sub.id}/submit", headers=h, json={"comment": "bitte"})
    assert first.status_code == 200 and first.get_json()["state"] == "submitted"
    events = _counts(fresh)[2]
    again = client.post(f"{API}/submissions/{sub.id}/submit", headers=h, json={"comment": "bitte"})
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert _counts(fresh)[2] == events
    # without the key the same call is the plain 409 of the workflow
    problem(client.post(f"{API}/submissions/{sub.id}/submit", headers=tokens["submitter"]), 409,
            "publisher.wrong_state")


def test_concurrent_requests_with_one_key_make_one_draft(app, tokens, hierarchy, table_bytes, fresh):
    data = table_bytes(seed=31)
    results: list[int] = []
    barrier = threading.Barrier(4)

    def post():
        client = app.test_client()
        barrier.wait()
        resp = upload(client, tokens["submitter"], data, meta(), key="parallel", hierarchy=hierarchy.id)
        results.append(resp.status_code)
        if resp.status_code == 409:
            problem(resp, 409, "publisher.idempotency.in_progress")

    threads = [threading.Thread(target=post) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert len(results) == 4 and set(results) <= {201, 409} and 201 in results, results
    assert fresh().session.query(Submission).count() == 1


# --- pagination ---------------------------------------------------------------------------------------------

def test_lists_are_paged_with_link_headers(client, tokens, make_submission):
    ids = {make_submission("submitted").id for _ in range(5)}
    everything = client.get(f"{API}/submissions", headers=tokens["approver"])
    assert everything.headers["X-Total-Count"] == "5" and "next" not in links(everything)
    order = [s["id"] for s in everything.get_json()["submissions"]]
    assert set(order) == ids and order == sorted(order, reverse=True)  # newest first
    url, seen, pages = f"{API}/submissions?state=submitted&per_page=2&lang=en", [], 0
    while url:
        resp = client.get(url, headers=tokens["approver"])
        assert resp.status_code == 200 and resp.headers["X-Total-Count"] == "5"
        ln = links(resp)
        assert "page=1" in ln["first"] and "page=3" in ln["last"] and "state=submitted" in ln["last"]
        assert "lang=en" in ln["first"] and ("prev" in ln) == (pages > 0)
        seen += [s["id"] for s in resp.get_json()["submissions"]]
        pages += 1
        url = ln.get("next", "").replace("http://localhost", "")
    assert pages == 3 and seen == order
    beyond = client.get(f"{API}/submissions?page=9&per_page=2", headers=tokens["approver"])
    assert beyond.get_json()["submissions"] == [] and "page=3" in links(beyond)["prev"]
    for bad in ("per_page=0", "per_page=201", "page=0", "page=zwei", "per_page=1.5"):
        body = problem(client.get(f"{API}/submissions?{bad}", headers=tokens["approver"]), 422)
        assert body["details"][0]["column"] == bad.split("=")[0]
    assert len(client.get(f"{API}/submissions?per_page=200", headers=tokens["approver"]).get_json()["submissions"]) == 5


# --- ETag ---------------------------------------------------------------------------------------------------

def test_etag_and_if_none_match(client, tokens, make_submission):
    sub = make_submission("draft")
    url, h = f"{API}/submissions/{sub.id}", tokens["submitter"]
    first = client.get(url, headers=h)
    etag = first.headers["ETag"]
    assert first.status_code == 200 and etag.startswith('"')
    for value in (etag, "W/" + etag, f'"nope", {etag}', "*"):
        resp = client.get(url, headers={**h, "If-None-Match": value})
        assert resp.status_code == 304 and resp.data == b"" and resp.headers["ETag"] == etag, value
    assert client.get(url, headers={**h, "If-None-Match": '"nope"'}).status_code == 200
    assert client.get(url + "?lang=en", headers={**h, "If-None-Match": etag}).status_code == 200  # other text
    client.post(f"{url}/submit", headers=h)
    changed = client.get(url, headers={**h, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    assert client.head(url, headers={**h, "If-None-Match": changed.headers["ETag"]}).status_code == 304


# --- problem details ------------------------------------------------------------------------------------------

def test_problem_details_for_csrf_429_503_and_the_type_resolves(app_config, client, tokens, make_submission):
    from publisher import create_app

    # the type URI of an error describes its code
    sub = make_submission("draft")
    body = problem(client.post(f"{API}/submissions/{sub.id}/approve?lang=en", headers=tokens["approver"],
                               json={"artifact_sha256": "a" * 64}), 409)
    assert body["title"] == "Conflict" and "not possible" in body["detail"]
    described = client.get(body["type"].replace("http://localhost", ""))
    assert described.status_code == 200 and described.get_json()["code"] == body["code"]

    # CSRF: an API route that is not exempt (a later mistake) still answers with the problem format
    app = create_app(app_config)
    app.add_url_rule(f"{API}/not-exempt", "not_exempt", lambda: "x", methods=["POST"])
    problem(app.test_client().post(f"{API}/not-exempt", data={"a": "b"}), 400, "csrf_failed")

    # 429 with Retry-After
    limited = create_app({**app_config, "RATE_LIMIT_API": "2/60", "RATE_LIMIT_CLOCK": lambda: 1000.0})
    lc = limited.test_client()
    statuses = [lc.get(f"{API}/submissions", headers=tokens["submitter"]).status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
    resp = lc.get(f"{API}/submissions?lang=en", headers=tokens["submitter"])
    assert problem(resp, 429, "too_many_requests")["title"] == "Too Many Requests"
    assert int(resp.headers["Retry-After"]) > 0 and resp.headers["Content-Language"] == "en"

    # 503 with Retry-After: a database that does not answer (a closed port on this machine)
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    down = create_app({**app_config, "DATABASE_URL": f"postgresql+psycopg://nobody@127.0.0.1:{port}/x"})
    resp = down.test_client().get(f"{API}/releases")
    problem(resp, 503, "unavailable")
    assert resp.headers["Retry-After"] == "30"


# --- the OpenAPI document -------------------------------------------------------------------------------------

def test_every_operation_documents_schema_lang_429_503_and_its_conventions(app):
    with app.test_request_context():
        doc = build_openapi(app)
    comps = doc["components"]

    def resolve(ref: str):
        node = doc
        for part in ref.removeprefix("#/").split("/"):
            node = node[part]
        return node

    refs = re.findall(r'"\$ref": "([^"]+)"', json.dumps(doc))
    assert refs and all(resolve(r) is not None for r in refs)  # KeyError on a dangling reference
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            where = f"{method.upper()} {path}"
            params = {p.get("$ref", p.get("name")) for p in op["parameters"]}
            assert "#/components/parameters/lang" in params, where
            for code in ("429", "503"):
                assert op["responses"][code]["headers"]["Retry-After"], where
            ok = [c for c in op["responses"] if c.startswith("2")]
            assert ok, where
            for c in ok:
                ref = op["responses"][c]["content"]["application/json"]["schema"]["$ref"]
                assert resolve(ref)["type"] == "object" and resolve(ref)["properties"], (where, ref)
            if method == "post":
                assert "#/components/parameters/IdempotencyKey" in params, where
                assert {"409", "413", "422"} <= set(op["responses"]), where
            if method == "get":
                assert "304" in op["responses"] and "#/components/parameters/IfNoneMatch" in params, where
                assert "ETag" in op["responses"][ok[0]]["headers"], where
            if "#/components/parameters/page" in params:
                assert {"Link", "X-Total-Count"} <= set(op["responses"]["200"]["headers"]), where
    paged = {p for p, ops in doc["paths"].items() for op in ops.values()
             if "#/components/parameters/page" in {x.get("$ref") for x in op["parameters"]}}
    assert paged == {f"{API}/submissions", f"{API}/releases", f"{API}/problems"}
    assert comps["parameters"]["per_page"]["schema"]["maximum"] == 200


def test_an_operation_without_a_response_schema_breaks_the_document(app_config):
    from publisher import create_app
    from publisher.api.blueprint import operation

    app = create_app(app_config)
    app.add_url_rule(f"{API}/schemalos", "api.schemalos", operation("ohne Schema", auth=False)(lambda: "x"))
    with app.test_request_context(), pytest.raises(UndocumentedRoute, match="response schema"):
        build_openapi(app)
