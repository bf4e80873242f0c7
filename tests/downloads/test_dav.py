"""WebDAV over the download area (issue 15 item 5), judged by a real WebDAV client.

``rclone`` (Debian package, installed by scripts/install-system-deps.sh) talks to the app served by a real
gunicorn process on 127.0.0.1 (free port), with the database and download area the releases were published to
through the real workflow and worker.  Raw HTTP (``requests``) checks what rclone cannot show: status codes of
hidden paths and write methods.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from publisher import worker
from publisher.models import AuditEvent, PublicationJob
from publisher.models_downloads import DownloadRecord
from tests.conftest import TEST_PASSWORD

ROOT = Path(__file__).resolve().parents[2]
RCLONE = shutil.which("rclone")
WRITE_METHODS = ("PUT", "DELETE", "MKCOL", "COPY", "MOVE", "PROPPATCH", "LOCK", "UNLOCK", "POST", "PATCH")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _job(fresh, sub_id) -> dict:
    job = fresh().session.execute(select(PublicationJob).where(PublicationJob.submission_id == sub_id,
                                                               PublicationJob.target == "download",
                                                               PublicationJob.purpose == "publish")).scalar_one()
    assert job.state == "done", job.last_error
    return job.result


def _records(fresh) -> list[DownloadRecord]:
    return list(fresh().session.execute(select(DownloadRecord).order_by(DownloadRecord.id)).scalars())


def _events(fresh, name) -> list[AuditEvent]:
    return list(fresh().session.execute(select(AuditEvent).where(AuditEvent.event == name)).scalars())


@pytest.fixture
def area(app, make_submission, fresh, ctx, users):
    """Four versions of one series: 1 for group sozialplanung, 2 for group andere, 3 public, 4 for sozialplanung
    but withdrawn.  Tokens (app passwords) for rita (sozialplanung) and rolf (andere)."""
    from publisher.services import accounts, review

    def publish(period, add, **meta):
        # issue 13: each period is the same table grown by 3 (a change of 1 or 2 is refused)
        sub = make_submission("approved", reference_period=period, seed=7, add=add, **meta)
        assert worker.run(app, once=True) >= 1
        return sub, _job(fresh, sub.id)

    v1 = publish("2026-07", 0, audience="restricted", groups=["sozialplanung"])
    v2 = publish("2026-08", 3, audience="restricted", groups=["andere"])
    v3 = publish("2026-09", 6)
    v4 = publish("2026-10", 9, audience="restricted", groups=["sozialplanung"])
    review.withdraw_release(ctx, users["approver"], v4[0].id, "Fehler in den Daten.")
    worker.run(app, once=True)
    tokens = {name: accounts.create_token(ctx, None, name, "webdav")[1] for name in ("rita", "rolf")}
    return {"v1": v1, "v2": v2, "v3": v3, "v4": v4, "tokens": tokens}


@pytest.fixture
def server(app_config, area, tmp_path):
    """gunicorn serving ``publisher:create_app()`` on the test's database and download area."""
    port = _free_port()
    env = dict(os.environ, FREIGABE_DATABASE_URL=app_config["DATABASE_URL"], FREIGABE_DATA_DIR=app_config["DATA_DIR"],
               FREIGABE_SECRET_KEY=app_config["SECRET_KEY"], FREIGABE_SESSION_COOKIE_SECURE="0",
               FREIGABE_DAV_REQUIRE_HTTPS="0")
    log = open(tmp_path / "gunicorn.log", "wb")
    proc = subprocess.Popen([str(Path(sys.executable).parent / "gunicorn"), "-w", "1", "-k", "gthread", "--threads",
                             "4", "-b", f"127.0.0.1:{port}", "--timeout", "60", "publisher:create_app()"],
                            env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if requests.request("OPTIONS", base + "/dav/", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if proc.poll() is not None:
                break
            time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not come up")
        assert proc.poll() is None, (tmp_path / "gunicorn.log").read_text()[-3000:]
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


class Rclone:
    """The rclone command line with an on-the-fly WebDAV remote (no config file of the machine is used)."""

    def __init__(self, base: str, user: str, secret: str, tmp: Path):
        assert RCLONE, "rclone missing: run scripts/install-system-deps.sh"
        obscured = subprocess.run([RCLONE, "obscure", secret], capture_output=True, text=True, check=True).stdout
        self.env = dict(os.environ, RCLONE_CONFIG=str(tmp / "rclone.conf"), RCLONE_WEBDAV_URL=base + "/dav/",
                        RCLONE_WEBDAV_USER=user, RCLONE_WEBDAV_PASS=obscured.strip(), RCLONE_WEBDAV_VENDOR="other")

    def run(self, *args: str, check: bool = True, text: bool = True) -> subprocess.CompletedProcess:
        res = subprocess.run([RCLONE, "--low-level-retries", "1", "--retries", "1", *args], env=self.env,
                             capture_output=True, text=text, timeout=120)
        if check:
            assert res.returncode == 0, res.stderr[-3000:]
        return res

    def files(self) -> set[str]:
        out = self.run("lsjson", "-R", "--files-only", ":webdav:").stdout
        return {e["Path"] for e in json.loads(out)}


def _paths(area_version: dict, folder: str | None = None) -> set[str]:
    r = area_version
    return {f"{r['topic']}/{r['series']}/{folder or r['version']}/{name}" for name in r["files"]}


def test_rclone_lists_and_copies_a_groups_files_others_are_invisible_and_downloads_are_audited(
        server, area, fresh, tmp_path):
    (s1, r1), (s2, r2), (s3, r3), (_s4, r4) = (area[k] for k in ("v1", "v2", "v3", "v4"))
    rita = Rclone(server, "rita", area["tokens"]["rita"], tmp_path)

    # rita's drive: her group's version, the public one and "latest" (= the public 3rd, the 4th is withdrawn)
    assert rita.files() == _paths(r1) | _paths(r3) | _paths(r3, "latest")
    assert not _records(fresh)  # listing is not downloading
    # nor are HEAD and a conditional GET answered 304: the ETag is the file's sha256
    auth = ("rita", area["tokens"]["rita"])
    url = f"{server}/dav/{r1['topic']}/{r1['series']}/{r1['version']}/{r1['series']}.csv"
    head = requests.head(url, auth=auth, timeout=10)
    assert head.status_code == 200 and head.headers["ETag"] == f'"{r1["files"][r1["series"] + ".csv"]}"'
    assert head.headers["Content-Type"].startswith("text/csv") and "Accept-Ranges" not in head.headers
    assert requests.get(url, auth=auth, headers={"If-None-Match": head.headers["ETag"]}, timeout=10).status_code \
        == 304
    assert not _records(fresh) and not _events(fresh, "download.file")

    # copy her group's version: the bytes are the published ones, the CSV is exactly the approved artifact
    dest = tmp_path / "kopie"
    rita.run("copy", f":webdav:{r1['topic']}/{r1['series']}/{r1['version']}", str(dest))
    got = {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in dest.iterdir()}
    assert got == r1["files"]
    assert _artifact_sha(dest / f"{r1['series']}.csv") == s1.current_version.artifact_sha256

    # every file copied is one download record + one download.file audit row, as on the web
    recs = _records(fresh)
    assert sorted(r.filename for r in recs) == sorted(r1["files"])
    assert {(r.username, r.version, r.requested, r.submission_id) for r in recs} == {
        ("rita", r1["version"], r1["version"], s1.id)}
    assert all(r.sha256 == r1["files"][r.filename] for r in recs)
    events = _events(fresh, "download.file")
    assert len(events) == len(recs) and {e.actor_name for e in events} == {"rita"}

    # "latest" resolves like the web's latest link, and the record says so
    csv3 = f"{r3['series']}.csv"
    out = rita.run("cat", f":webdav:{r3['topic']}/{r3['series']}/latest/{csv3}", text=False).stdout
    assert _artifact_sha(out) == s3.current_version.artifact_sha256
    last = _records(fresh)[-1]
    assert (last.requested, last.version, last.filename) == ("latest", r3["version"], csv3)

    # another group's version and the withdrawn one: not there for rclone, and 404 (never 403) over HTTP
    n_records = len(_records(fresh))
    for r in (r2, r4):
        csv = f"{r['series']}.csv"
        res = rita.run("cat", f":webdav:{r['topic']}/{r['series']}/{r['version']}/{csv}", check=False)
        assert res.returncode != 0
        folder = f"{server}/dav/{r['topic']}/{r['series']}/{r['version']}/"
        assert requests.get(folder + csv, auth=auth, timeout=10).status_code == 404
        assert requests.head(folder + csv, auth=auth, timeout=10).status_code == 404
        assert requests.request("PROPFIND", folder, auth=auth, headers={"Depth": "1"}, timeout=10).status_code == 404
    assert len(_records(fresh)) == n_records  # nothing was handed out
    refused = [json.loads(e.details) for e in _events(fresh, "download.refused")]
    assert {(d["code"], d["what"].split("/")[2]) for d in refused} >= {
        ("publisher.not_found", r2["version"]), ("publisher.download.withdrawn", r4["version"])}

    # the other group's reader sees her own group's version and the public one, never rita's
    rolf = Rclone(server, "rolf", area["tokens"]["rolf"], tmp_path)
    assert rolf.files() == _paths(r2) | _paths(r3) | _paths(r3, "latest")


def test_sign_in_only_with_an_app_password_of_that_account(server, area, users):
    url = f"{server}/dav/"
    propfind = {"Depth": "1"}
    none = requests.request("PROPFIND", url, headers=propfind, timeout=10)
    assert none.status_code == 401 and none.headers["WWW-Authenticate"].startswith("Basic realm=")
    for auth in (("rita", TEST_PASSWORD),  # the login password is never accepted over WebDAV
                 ("rita", "fgb_" + "x" * 43),  # an unknown token
                 ("rita", area["tokens"]["rolf"]),  # someone else's token under rita's name
                 ("", area["tokens"]["rita"])):
        assert requests.request("PROPFIND", url, headers=propfind, auth=auth, timeout=10).status_code == 401, auth
    ok = requests.request("PROPFIND", url, headers=propfind, auth=("Rita", area["tokens"]["rita"]), timeout=10)
    assert ok.status_code == 207 and "statistik" in ok.text
    assert ok.headers["X-Content-Type-Options"] == "nosniff"
    # OPTIONS (asked by Windows before it signs in) says the same for every path and reveals nothing
    for path in ("", "statistik/", "gibt/es/nicht"):
        resp = requests.options(url + path, timeout=10)
        assert resp.status_code == 200 and resp.headers["DAV"] == "1", path
        assert resp.headers["Allow"] == "OPTIONS, GET, HEAD, PROPFIND"


def test_no_write_method_is_allowed_and_nothing_changes(server, area, app_config, tmp_path):
    r1 = area["v1"][1]
    auth = ("rita", area["tokens"]["rita"])
    root = Path(app_config["DATA_DIR"]) / "downloads"
    before = sorted((str(p.relative_to(root)), p.stat().st_size) for p in root.rglob("*"))
    base = f"{server}/dav/{r1['topic']}/{r1['series']}/{r1['version']}/"
    for method in WRITE_METHODS:
        for target in (base + f"{r1['series']}.csv", base + "neu.csv", base + "neu/"):
            resp = requests.request(method, target, auth=auth, data=b"a;b\n1;2\n", timeout=10,
                                    headers={"Destination": base + "kopie.csv", "Overwrite": "T"})
            assert resp.status_code == 405, (method, target, resp.status_code)
            assert resp.headers["Allow"] == "OPTIONS, GET, HEAD, PROPFIND"
    # and rclone's upload fails too
    src = tmp_path / "upload.csv"
    src.write_text("a;b\n1;2\n")
    rita = Rclone(server, "rita", area["tokens"]["rita"], tmp_path)
    res = rita.run("copyto", str(src), f":webdav:{r1['topic']}/{r1['series']}/{r1['version']}/upload.csv",
                   check=False)
    assert res.returncode != 0
    assert sorted((str(p.relative_to(root)), p.stat().st_size) for p in root.rglob("*")) == before


def test_plain_http_is_refused_before_any_password_prompt(app_config, area):
    from publisher import create_app

    app = create_app({**app_config, "DAV_REQUIRE_HTTPS": True})
    client = app.test_client()
    resp = client.open("/dav/", method="PROPFIND", headers={"Depth": "1"})
    assert resp.status_code == 403 and "WWW-Authenticate" not in resp.headers
    resp = client.open("/dav/", method="PROPFIND", headers={"Depth": "1"}, base_url="https://localhost")
    assert resp.status_code == 401 and resp.headers["Strict-Transport-Security"]
    tok = area["tokens"]["rita"]
    import base64

    basic = "Basic " + base64.b64encode(f"rita:{tok}".encode()).decode()
    resp = client.open("/dav/", method="PROPFIND", headers={"Depth": "1", "Authorization": basic},
                       base_url="https://localhost")
    assert resp.status_code == 207


def test_latest_is_the_newest_version_the_reader_may_see_on_the_web_and_over_webdav(
        app, client, auth, make_submission, fresh):
    """A series whose newest version belongs to another group: "latest" is the newest one of the reader's
    (as listed on /downloads), not a 403 for a version she cannot see."""
    def publish(period, groups, add=0):
        sub = make_submission("approved", reference_period=period, audience="restricted", groups=groups, seed=7,
                              add=add)  # issue 13: the next period grows by 3 (a change of 1 or 2 is refused)
        assert worker.run(app, once=True) >= 1
        return sub, _job(fresh, sub.id)

    s1, r1 = publish("2026-07", ["sozialplanung"])
    _s2, r2 = publish("2026-08", ["andere"], add=3)
    auth.login("rita")
    url = f"/downloads/{r1['topic']}/{r1['series']}/latest/{r1['series']}.csv"
    resp = client.get(url)
    assert resp.status_code == 200
    assert _artifact_sha(resp.data) == s1.current_version.artifact_sha256
    assert _records(fresh)[-1].version == r1["version"]
    from tests.conftest import AuthActions

    other = app.test_client()
    AuthActions(other, app).login("rolf")
    assert other.get(url).status_code == 200
    assert (_records(fresh)[-1].username, _records(fresh)[-1].version) == ("rolf", r2["version"])


def test_failed_sign_ins_are_limited_per_address_and_audited_once(app_config, area, fresh):
    import base64

    from publisher import create_app

    app = create_app({**app_config, "DAV_REQUIRE_HTTPS": False, "RATE_LIMIT_LOGIN": "2/60",
                      "RATE_LIMIT_CLOCK": lambda: 1000.0})
    client = app.test_client()

    def propfind(user, secret):
        basic = "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()
        return client.open("/dav/", method="PROPFIND", headers={"Depth": "0", "Authorization": basic})

    statuses = [propfind("rita", f"fgb_falsch{i}").status_code for i in range(12)]
    assert statuses == [401] * 10 + [429, 429]  # 5 x 2 failures per window and address
    refused = propfind("rita", "fgb_falsch")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) > 0
    assert len(_events(fresh, "ratelimit.dav")) == 1
    assert propfind("rita", area["tokens"]["rita"]).status_code == 207  # a correct app password still works


def _artifact_sha(data) -> str:
    """sha256 of the approved artifact inside a published data file (German header and area names out)."""
    from pathlib import Path

    from catalog.releasetable import to_artifact

    return hashlib.sha256(to_artifact(data.read_bytes() if isinstance(data, Path) else data)).hexdigest()
