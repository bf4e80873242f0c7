"""Hostile-input corpus (issue 7 item 2) through BOTH the upload UI (web form with CSRF) and the JSON API.

Every refused case: a 4xx (never a 500) whose findings carry the expected typed code (and, for table
errors, the file row and column), the same message shown on the web page, and nothing half-stored (row
counts of submissions / versions / stored files / series / audit events and the storage directory are
unchanged).  Accepted-but-odd cases (HTML/JS in every metadata field, path traversal and control
characters in file names): the stored file name is sanitised, and the payload appears only escaped on
every page that shows it - submission page, review page and, once published by the real worker, the
public release page and the release list.

One app and one SQLite database per module (cheap per case); state is checked by counting.
"""
from __future__ import annotations

import html
from html.parser import HTMLParser
import io
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from tests.security.hostile_corpus import Case, corpus, hierarchy_corpus

API = "/api/v1"
LIMIT = 512 * 1024  # FREIGABE_MAX_UPLOAD_BYTES for this module
CSRF_RE = re.compile(rb'name="csrf_token" value="([^"]+)"')
PASSWORD = "korrekt-pferd-batterie-42"


class Env:
    """One app, one database, one logged-in web client per actor, API tokens."""

    def __init__(self, tmp: Path, template: Path):
        from publisher import create_app
        from publisher.demo import small_city
        from publisher.services import Ctx, accounts, reference

        db = tmp / "freigabe.sqlite3"
        shutil.copyfile(template, db)
        self.app = create_app({
            "TESTING": True, "DATABASE_URL": f"sqlite:///{db}", "DATA_DIR": str(tmp / "data"),
            "SECRET_KEY": "test-secret-key-not-for-production", "SESSION_COOKIE_SECURE": False,
            "LOCKOUT_THRESHOLD": 3, "LOCKOUT_MINUTES": 15, "RETENTION_DAYS": 30, "TWO_APPROVALS": False,
            "MAX_CONTENT_LENGTH": LIMIT})
        self.ctx = Ctx.for_app(self.app)
        self.city = small_city()
        for name, role in (("sabine", "submitter"), ("dora", "approver"), ("adele", "admin")):
            accounts.create_user(self.ctx, None, name, role, password=PASSWORD)
        self.hierarchy = reference.import_hierarchy(self.ctx, None, self.city.hierarchy_csv(), "stadt.csv",
                                                    "musterstadt")
        reference.ensure_default_rule_set(self.ctx)
        self.tokens = {u: {"Authorization": f"Bearer {accounts.create_token(self.ctx, None, u)[1]}"}
                       for u in ("sabine", "dora")}
        self.web = {u: self._login(u) for u in ("sabine", "dora", "adele")}
        self.csrf = {u: self._csrf(u) for u in self.web}

    def _login(self, user):
        client = self.app.test_client()
        page = client.get("/login")
        tok = CSRF_RE.search(page.data).group(1).decode()
        resp = client.post("/login", data={"username": user, "password": PASSWORD, "csrf_token": tok})
        assert resp.status_code in (302, 303), resp.status_code
        return client

    def _csrf(self, user) -> str:
        page = self.web[user].get("/dashboard")
        assert page.status_code == 200
        return CSRF_RE.search(page.data).group(1).decode()

    def state(self) -> tuple:
        from sqlalchemy import func, select

        from publisher.models import AuditEvent, Hierarchy, Series, StoredFile, Submission, SubmissionVersion

        s = self.ctx.session
        s.rollback()
        counts = tuple(s.execute(select(func.count()).select_from(m)).scalar_one()
                       for m in (Submission, SubmissionVersion, StoredFile, Series, AuditEvent, Hierarchy))
        storage = Path(self.app.config["STORAGE_DIR"])
        files = sorted(str(p.relative_to(storage)) for p in storage.rglob("*") if p.is_file()) \
            if storage.exists() else []
        return counts, files

    # --- the two ways in ---------------------------------------------------------------------------------
    def api_upload(self, case: Case, data: bytes):
        form = {"file": (io.BytesIO(data), case.filename), "metadata": json.dumps(case.metadata),
                "hierarchy": str(self.hierarchy.id)}
        if case.mapping is not None:
            form["mapping"] = json.dumps(case.mapping)
        return self.web["sabine"].post(f"{API}/submissions", data=form, headers=self.tokens["sabine"],
                                       content_type="multipart/form-data")

    def web_upload(self, case: Case, data: bytes):
        md = case.metadata
        form = {k: (", ".join(v) if isinstance(v, list) else str(v)) for k, v in md.items()}
        mp = case.mapping or {}
        form.update({"geo_column": mp.get("geo_column", ""), "count_columns": ", ".join(mp.get("count_columns", [])),
                     "dimensions": ", ".join(mp.get("dimensions", [])), "layout": mp.get("layout", "long"),
                     "additive": "1", "hierarchy": str(self.hierarchy.id), "action": "save",
                     "csrf_token": self.csrf["sabine"], "file": (io.BytesIO(data), case.filename)})
        if mp.get("sheet"):
            form["sheet"] = mp["sheet"]
        return self.web["sabine"].post("/submissions/new", data=form, content_type="multipart/form-data")


@pytest.fixture(scope="module")
def env(tmp_path_factory, sqlite_template):
    e = Env(tmp_path_factory.mktemp("hostile"), sqlite_template)
    yield e
    from publisher.db import get_db

    e.ctx.session.close()
    get_db(e.app).dispose()


CITY_CASES = None


def _cases() -> list[Case]:
    global CITY_CASES
    if CITY_CASES is None:
        from publisher.demo import small_city

        CITY_CASES = corpus(small_city())
    return CITY_CASES


def _data(case: Case) -> bytes:
    if case.id == "huge-csv":
        return b"baublock;anzahl\n" + b"0101001;5\n" * (LIMIT // 10 + 10)
    if case.id == "huge-xlsx":
        return b"PK\x03\x04" + os.urandom(LIMIT + 100)
    return case.data


REFUSED = [c for c in _cases() if c.expect.startswith("refused")]
STORED_NAMES = [c for c in _cases() if c.expect == "stored" and c.payload is None]
XSS = [c for c in _cases() if c.payload is not None]


def test_corpus_is_big_enough():
    assert len(_cases()) + len(hierarchy_corpus()) >= 200
    assert len({c.id for c in _cases()}) == len(_cases())


def _assert_refusal(case: Case, resp, via: str) -> list[dict]:
    """The API's error envelope (or, for the web, the page) names a typed code; returns the API details."""
    assert resp.status_code != 500 and resp.status_code < 500, (via, case.id, resp.get_data(as_text=True)[:800])
    assert resp.status_code in case.statuses, (via, case.id, resp.status_code, resp.get_data(as_text=True)[:800])
    if via == "web":
        return []
    err = resp.get_json()["error"]
    codes = {d["code"] for d in err["details"]} | {err["code"]}
    assert codes & case.codes, (case.id, codes, err["message"])
    for d in err["details"]:
        assert d["message_de"] and d["message_en"], d
    if case.row is not None or case.column is not None:
        hits = [d for d in err["details"] if d["code"] in case.codes]
        if case.row is not None:
            assert any(d["row"] == case.row for d in hits), (case.id, case.row, hits)
        if case.column is not None:
            assert any(d["column"] == case.column for d in hits), (case.id, case.column, hits)
        if case.codes and all(c.startswith("FG-") for c in case.codes):
            assert all(d["file"] for d in hits), hits
    return err["details"]


@pytest.mark.parametrize("case", REFUSED, ids=lambda c: c.id)
def test_refused_upload_via_api_and_web_leaves_nothing(env, case):
    data = _data(case)
    before = env.state()
    resp = env.api_upload(case, data)
    if case.expect == "refused_or_stored" and resp.status_code == 201:
        assert b"root:x:0" not in resp.data
        return
    details = _assert_refusal(case, resp, "api")
    assert env.state() == before, case.id
    resp = env.web_upload(case, data)
    _assert_refusal(case, resp, "web")
    page = resp.get_data(as_text=True)
    if resp.status_code == 422:
        assert "Es wurde nichts gespeichert." in page
        shown = [d for d in details if d["code"] in case.codes] or details
        assert any(d["message_de"] in html.unescape(page) for d in shown), (case.id, shown[:2])
    elif resp.status_code == 413:
        assert "Datei zu groß" in page or "größer als erlaubt" in page
    assert "root:x:0" not in page
    after = env.state()
    if after != before:
        # issue 17 item 1: a READABLE file refused for its metadata or content is kept for the form's next step
        # (publisher/web/staged_uploads.py: owner-only, the upload's exact bytes, swept after an hour, never a
        # submission); no database row, no other file, and nothing at all for a file that cannot be read
        assert after[0] == before[0], case.id
        extra = sorted(set(after[1]) - set(before[1]))
        assert set(before[1]) <= set(after[1]) and len(extra) == 2, (case.id, extra)
        assert all(f.startswith("staged/") for f in extra), (case.id, extra)
        assert not any(str(d["code"]).startswith("FG-READ") for d in details), (case.id, "unreadable file staged")
        storage = Path(env.app.config["STORAGE_DIR"])
        assert all((storage / f).stat().st_mode & 0o077 == 0 for f in extra)
        assert (storage / next(f for f in extra if f.endswith(".bin"))).read_bytes() == data


def _safe(name: str) -> bool:
    return ("/" not in name and "\\" not in name and not name.startswith(".") and len(name) <= 200
            and not any(ord(ch) < 32 or ch in "\u202e\u202d\u200f\u200e\u2066\u2067\u2068\u2069\x7f" for ch in name))


@pytest.mark.parametrize("case", STORED_NAMES, ids=lambda c: c.id)
def test_hostile_file_names_are_sanitised_via_api_and_web(env, case):
    from publisher.models import Submission

    storage = Path(env.app.config["STORAGE_DIR"]).resolve()
    for via in ("api", "web"):
        state = env.state()
        before = state[0][0]
        resp = env.api_upload(case, case.data) if via == "api" else env.web_upload(case, case.data)
        if case.codes and resp.status_code == 422:  # the name broke the multipart header: no file arrived
            if via == "api":
                assert {d["code"] for d in resp.get_json()["error"]["details"]} & case.codes
            assert env.state() == state
            continue
        assert resp.status_code in (201, 303), (via, case.id, resp.status_code, resp.get_data(as_text=True)[:600])
        assert env.state()[0][0] == before + 1
        sub_id = resp.get_json()["id"] if via == "api" else int(resp.headers["Location"].rsplit("/", 1)[1])
        env.ctx.session.rollback()
        stored = env.ctx.session.get(Submission, sub_id).current_version.raw_filename
        assert _safe(stored), (case.id, stored)
        assert os.path.splitext(stored)[1].lower() in (".csv", ".xlsx"), stored
        # the raw file lives in the content-addressed store, never under a name taken from the upload
        assert not any(stored in str(p) for p in storage.rglob("*")), stored
        dl = env.web["sabine"].get(f"/versions/{env.ctx.session.get(Submission, sub_id).current_version_id}/raw")
        assert dl.status_code == 200 and dl.data == case.data
        cd = dl.headers["Content-Disposition"]
        assert "\n" not in cd and "\r" not in cd and "/" not in cd.split("filename*=")[0]
    assert not Path("/etc/passwd.csv").exists()


class _Live(HTMLParser):
    """Collects what a browser would execute: script elements, event-handler attributes, javascript: URLs,
    and elements a payload could inject (svg, iframe, xss)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.live: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        if tag in ("svg", "iframe", "xss", "img") and any(k.startswith("on") or (v or "").startswith("x")
                                                            and k == "src" for k, v in attrs):
            self.live.append(f"<{tag} {attrs}>")
        if tag in ("iframe", "xss"):
            self.live.append(f"<{tag}>")
        for k, v in attrs:
            if k.startswith("on") and "alert" in (v or ""):
                self.live.append(f"{tag}[{k}]")
            if k in ("href", "src", "action") and (v or "").strip().lower().startswith("javascript:"):
                self.live.append(f"{tag}[{k}]={v}")
        self._in_script = tag == "script"

    def handle_data(self, data):
        if self._in_script and "alert(" in data:
            self.live.append(f"script:{data[:60]}")

    def handle_endtag(self, tag):
        self._in_script = False


def _assert_escaped(page: str, payload: str, where: str, case_id: str, must_show: bool = False):
    p = _Live()
    p.feed(page)
    assert not p.live, (case_id, where, p.live)
    if any(ch in payload for ch in "<>"):
        assert payload not in page, (case_id, where, "payload unescaped")
    if must_show:  # the detail pages show every metadata field (as text)
        assert payload in html.unescape(page), (case_id, where, "not shown")


@pytest.mark.parametrize("case", XSS, ids=lambda c: c.id)
def test_stored_xss_payload_is_only_escaped_on_every_page(env, case):
    from publisher import worker
    from publisher.models import Submission
    from publisher.services import review

    via = "api" if sum(map(ord, case.id)) % 2 else "web"  # alternate, both ways are covered by the corpus
    resp = env.api_upload(case, case.data) if via == "api" else env.web_upload(case, case.data)
    assert resp.status_code in (201, 303), (case.id, resp.status_code, resp.get_data(as_text=True)[:600])
    sub_id = resp.get_json()["id"] if via == "api" else int(resp.headers["Location"].rsplit("/", 1)[1])
    env.ctx.session.rollback()
    sub = env.ctx.session.get(Submission, sub_id)
    stored = sub.current_version.meta[case.field]
    assert (case.payload in stored) if case.field == "keywords" else stored == case.payload.strip()
    payload = case.payload.strip()
    _assert_escaped(env.web["sabine"].get(f"/submissions/{sub_id}").get_data(as_text=True), payload,
                    "submission", case.id, must_show=True)
    _assert_escaped(env.web["sabine"].get("/dashboard").get_data(as_text=True), payload, "dashboard", case.id)
    api_json = env.web["sabine"].get(f"{API}/submissions/{sub_id}", headers=env.tokens["sabine"])
    assert api_json.mimetype == "application/json"
    if sub.current_version.outcome != "publishable":
        return
    from sqlalchemy import select

    from publisher.manifest import current_sha
    from publisher.models import User

    review.submit(env.ctx, sub.submitter, sub_id)
    dora = env.ctx.session.execute(select(User).where(User.username == "dora")).scalar_one()
    _assert_escaped(env.web["dora"].get(f"/review/{sub_id}").get_data(as_text=True), payload, "review", case.id,
                    must_show=True)
    _assert_escaped(env.web["dora"].get("/review").get_data(as_text=True), payload, "review queue", case.id)
    review.approve(env.ctx, dora, sub_id, current_sha(env.ctx, sub_id))
    while worker.run(env.app, once=True):
        pass
    env.ctx.session.rollback()
    assert env.ctx.session.get(Submission, sub_id).state == "published"
    anon = env.app.test_client()
    for url in (f"/releases/{sub_id}", "/releases", "/downloads"):
        resp = anon.get(url)
        assert resp.status_code == 200, (url, resp.status_code)
        detail = url.endswith(f"/{sub_id}") and case.field not in ("contact", "keywords")  # not on public pages
        _assert_escaped(resp.get_data(as_text=True), payload, url, case.id, must_show=detail)


WARNED = [c for c in _cases() if c.expect == "stored_warning"]


@pytest.mark.parametrize("case", WARNED, ids=lambda c: c.id)
def test_formula_labels_are_stored_as_text_with_a_warning_the_dpo_sees(env, case):
    from publisher.models import Submission

    for via in ("api", "web"):
        resp = env.api_upload(case, case.data) if via == "api" else env.web_upload(case, case.data)
        assert resp.status_code in (201, 303), (via, case.id, resp.status_code, resp.get_data(as_text=True)[:600])
        sub_id = resp.get_json()["id"] if via == "api" else int(resp.headers["Location"].rsplit("/", 1)[1])
        env.ctx.session.rollback()
        v = env.ctx.session.get(Submission, sub_id).current_version
        hits = [f for f in v.findings if f["code"] in case.codes]
        assert any(f["row"] == case.row and f["column"] == case.column for f in hits), (case.id, v.findings)
        page = env.web["sabine"].get(f"/submissions/{sub_id}").get_data(as_text=True)
        assert hits[0]["message_de"] in html.unescape(page)
        assert not _live(page), case.id


def _live(page: str) -> list[str]:
    p = _Live()
    p.feed(page)
    return p.live


@pytest.mark.parametrize("case", hierarchy_corpus(), ids=lambda c: c.id)
def test_bad_hierarchy_upload_via_admin_form_and_service_leaves_nothing(env, case):
    from publisher.services import reference
    from publisher.services.errors import InvalidInput

    before = env.state()
    resp = env.web["adele"].post("/admin/hierarchies", content_type="multipart/form-data", data={
        "name": "kaputt", "valid_from": "2026-01-01", "csrf_token": env.csrf["adele"],
        "file": (io.BytesIO(case.data), case.filename)})
    assert resp.status_code == 422, (case.id, resp.status_code, resp.get_data(as_text=True)[:800])
    page = resp.get_data(as_text=True)
    assert env.state() == before
    from publisher.models import User
    from sqlalchemy import select

    admin = env.ctx.session.execute(select(User).where(User.username == "adele")).scalar_one()
    with pytest.raises(InvalidInput) as exc:
        reference.import_hierarchy(env.ctx, admin, case.data, case.filename, "kaputt")
    codes = {f.code for f in exc.value.findings}
    assert codes & case.codes, (case.id, codes)
    hit = next(f for f in exc.value.findings if f.code in case.codes)
    assert hit.message("de") in html.unescape(page), (case.id, hit.message("de"))
    env.ctx.session.rollback()
    assert env.state() == before
