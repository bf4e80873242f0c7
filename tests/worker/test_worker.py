"""The publication worker: exactly once, verified, and never without a valid four-eyes approval.

Runs on SQLite and PostgreSQL (the ``app`` fixture is parametrised); the download area is the real local
file system; the CKAN tests use the real CKAN 2.12 test instance (``ckan`` marker).
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path

import pytest

from catalog import releasetable
from sqlalchemy import select, update

from publisher import worker
from publisher.manifest import current_sha
from publisher.models import AuditEvent, Decision, PublicationJob, Submission
from publisher.services import open_ctx
from publisher.services import publication as jobs
from publisher.workflow import State



def _state(fresh, sub_id) -> str:
    c = fresh()
    return c.session.get(Submission, sub_id).state


def _jobs(fresh, sub_id) -> list[PublicationJob]:
    c = fresh()
    return list(c.session.execute(select(PublicationJob).where(PublicationJob.submission_id == sub_id)
                                  .order_by(PublicationJob.id)).scalars())


def _events(fresh, name: str) -> list[AuditEvent]:
    c = fresh()
    return list(c.session.execute(select(AuditEvent).where(AuditEvent.event == name)).scalars())


def test_approved_release_reaches_download_area_with_the_approved_bytes(app, make_submission, fresh):
    sub = make_submission("approved")
    approved = sub.current_version.artifact_sha256
    assert [j.target for j in _jobs(fresh, sub.id)] == ["download"]  # no CKAN configured

    assert worker.run(app, once=True) == 1
    assert _state(fresh, sub.id) == State.PUBLISHED.value
    (job,) = _jobs(fresh, sub.id)
    assert job.state == "done" and job.attempts == 1
    root = Path(app.config["DOWNLOAD_DIR"]) / job.result["topic"] / job.result["series"]
    version_dir = root / job.result["version"]
    data = (version_dir / f"{job.result['series']}.csv").read_bytes()
    # the published form: German header, area names of the bound hierarchy; without them the approved bytes

    assert hashlib.sha256(releasetable.to_artifact(data)).hexdigest() == approved
    assert data.startswith(b"ebene,gebietsschluessel,gebietsname,")
    descriptor = json.loads((version_dir / "datapackage.json").read_text())
    assert descriptor["name"] == job.result["series"]
    assert json.loads((root / "latest.json").read_text())["version"] == job.result["version"]
    excel = (version_dir / f"{job.result['series']}-excel.csv").read_bytes()
    assert excel.startswith(b"\xef\xbb\xbf") and b";" in excel
    assert excel[3:].startswith("Gebietsebene;Gebietsschlüssel;Gebietsname;".encode())
    from catalog.xlsx import check_workbook

    check_workbook((version_dir / f"{job.result['series']}-{job.result['version']}.xlsx").read_bytes(), data)
    assert _events(fresh, "publication.publish_done")


def test_a_restricted_release_never_carries_an_open_licence_and_its_record_passes_govdatas_shapes(
        app, make_submission, fresh, users):
    """The download area's datapackage.json and dcat.ttl of a restricted release: licence other-closed,
    access right RESTRICTED, no SHACL violation (GovData's shapes, tests/catalog/shacl.py)."""
    import importlib.util as _ilu
    import sys

    sub = make_submission("approved", audience="restricted", groups=["sozialplanung"])
    assert worker.run(app, once=True) == 1
    (job,) = _jobs(fresh, sub.id)
    folder = Path(app.config["DOWNLOAD_DIR"]) / job.result["topic"] / job.result["series"] / job.result["version"]
    descriptor = json.loads((folder / "datapackage.json").read_text())
    assert descriptor["licenses"][0]["name"] == "other-closed"
    assert descriptor["dcat"]["license"] == "http://dcat-ap.de/def/licenses/other-closed"
    assert descriptor["dcat"]["accessRights"].endswith("/access-right/RESTRICTED")
    spec = _ilu.spec_from_file_location("_worker_shacl", Path(__file__).resolve().parents[1] / "catalog" / "shacl.py")
    shacl = _ilu.module_from_spec(spec)
    sys.modules[spec.name] = shacl  # (its dataclasses look their module up)
    spec.loader.exec_module(shacl)
    result = shacl.validate((folder / "dcat.ttl").read_bytes())
    # without FREIGABE_CONTRIBUTOR_ID the office has no contributorID (GovData K12); everything else passes
    assert [v for v in result.violations if "K12" not in v["message"]] == [], result.text()


def test_nothing_due_nothing_done_and_a_rerun_after_a_crash_is_harmless(app, make_submission, fresh):
    sub = make_submission("approved")
    assert worker.run(app, once=True) == 1
    assert worker.run(app, once=True) == 0
    (job,) = _jobs(fresh, sub.id)
    assert "files" in job.result, job.result
    files_before = job.result["files"]
    # a worker that crashed after the side effect and before settling: the job is due again
    c = fresh()
    c.session.execute(update(PublicationJob).where(PublicationJob.id == job.id)
                      .values(state="running", locked_by="dead-worker",
                              locked_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=2)))
    c.session.execute(update(Submission).where(Submission.id == sub.id).values(state=State.PUBLISHING.value))
    c.session.commit()
    assert worker.run(app, once=True) == 1
    (job,) = _jobs(fresh, sub.id)
    assert job.state == "done" and job.attempts == 2 and job.result["files"] == files_before
    assert _events(fresh, "publication.job_taken_over")


def test_tampered_artifact_is_never_published(app, make_submission, fresh):
    sub = make_submission("approved")
    sha = sub.current_version.artifact_sha256
    path = fresh().store.path(sha)
    path.chmod(0o644)
    path.write_bytes(path.read_bytes().replace(b"\r\n", b"\r\n", 1) + b"stadtteil,X,1\r\n")

    worker.run(app, once=True)
    (job,) = _jobs(fresh, sub.id)
    assert job.state == "failed"
    assert json.loads(job.last_error)["code"] == "FG-PUB-HASH-MISMATCH"
    assert _state(fresh, sub.id) != State.PUBLISHED.value
    assert not any(Path(app.config["DOWNLOAD_DIR"]).rglob("*.csv"))
    assert _events(fresh, "publication.alert")


def test_artifact_that_fails_the_rules_is_stopped_even_with_matching_hash(app, make_submission, fresh):
    sub = make_submission("approved")
    c = fresh()
    store = c.store
    bad = store.get(sub.current_version.artifact_sha256).replace(b",", b",", 0)
    lines = bad.split(b"\r\n")
    lines[1] = lines[1].rsplit(b",", 1)[0] + b",1"  # a published 1 would disclose
    bad_bytes = b"\r\n".join(lines)
    from publisher.services import reference

    bad_sha = reference.store_file(c, bad_bytes, "artifact", "text/csv").sha256
    # bind job, version and approval to the bad bytes (as if the approval had been given on them)
    v = c.session.get(Submission, sub.id).current_version
    c.session.execute(update(PublicationJob).where(PublicationJob.submission_id == sub.id)
                      .values(artifact_sha256=bad_sha))
    c.session.execute(update(Decision).where(Decision.version_id == v.id).values(artifact_sha256=bad_sha))
    v.artifact_sha256 = bad_sha
    c.session.flush()
    _rebind_manifest(c, sub.id)  # a database writer forging the manifest too: the rules re-check still stops it

    worker.run(app, once=True)
    (job,) = _jobs(fresh, sub.id)
    assert job.state == "failed"
    assert json.loads(job.last_error)["code"] == "FG-PUB-RULES-FAIL"
    assert not any(Path(app.config["DOWNLOAD_DIR"]).rglob("*.csv"))


def test_job_without_a_valid_approval_is_refused(app, make_submission, fresh):
    sub = make_submission("approved")
    c = fresh()
    c.session.execute(update(Decision).where(Decision.submission_id == sub.id, Decision.action == "approve")
                      .values(invalidated_at=dt.datetime.now(dt.timezone.utc)))
    c.session.commit()
    worker.run(app, once=True)
    (job,) = _jobs(fresh, sub.id)
    assert job.state == "failed" and json.loads(job.last_error)["code"] == "FG-PUB-NOT-APPROVED"
    assert not any(Path(app.config["DOWNLOAD_DIR"]).rglob("*.csv"))


def test_two_workers_never_claim_the_same_job(app, make_submission, fresh):
    make_submission("approved")
    make_submission("approved")
    a, b, c3 = fresh(), fresh(), fresh()
    j1 = jobs.claim(a, "worker-a")
    j2 = jobs.claim(b, "worker-b")
    assert j1 is not None and j2 is not None and j1.id != j2.id
    assert jobs.claim(c3, "worker-c") is None
    # a worker that lost its lease cannot settle the job
    assert jobs.succeed(c3, j1.id, "worker-c", {}) is None
    assert jobs.succeed(a, j1.id, "worker-a", {"ok": 1}).state == "done"


def test_retry_backoff_then_failed_after_the_limit(app, make_submission, fresh):
    make_submission("approved")
    c = fresh()
    job = jobs.claim(c, "w")
    job = jobs.retry_later(c, job.id, "w", {"code": "X"})
    assert job.state == "pending" and job.next_attempt_at > dt.datetime.now(dt.timezone.utc)
    assert jobs.claim(fresh(), "w") is None  # not due yet
    assert jobs.backoff(1) < jobs.backoff(3) <= dt.timedelta(hours=1)
    c2 = fresh()
    c2.session.execute(update(PublicationJob).where(PublicationJob.id == job.id)
                       .values(attempts=c2.settings.get("WORKER_MAX_ATTEMPTS", 8) - 1,
                               next_attempt_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(seconds=1)))
    c2.session.commit()
    job = jobs.claim(c2, "w")
    assert jobs.retry_later(c2, job.id, "w", {"code": "X"}).state == "failed"


def test_withdrawn_before_the_worker_ran_is_not_published(app, make_submission, fresh, users):
    sub = make_submission("approved")
    c = fresh()
    c.session.execute(update(Submission).where(Submission.id == sub.id).values(state=State.WITHDRAWN.value))
    c.session.commit()
    worker.run(app, once=True)
    (job,) = _jobs(fresh, sub.id)
    assert job.state == "done" and "skipped" in job.result
    assert not any(Path(app.config["DOWNLOAD_DIR"]).rglob("*.csv"))


# --- real CKAN ---------------------------------------------------------------------------------------------

@pytest.fixture
def ckan_app(app_config, ckan_instance):
    from publisher import create_app
    from publisher.db import get_db

    s = ckan_instance.settings
    cfg = dict(app_config, CKAN_URL=s.url, CKAN_TOKEN=s.token, CKAN_ORG=s.org)
    application = create_app(cfg)
    yield application
    get_db(application).dispose()


@pytest.fixture
def ckan_submission(ckan_app, users, backend):
    """make_submission against the CKAN-configured app (approval queues a CKAN job)."""
    from publisher.services import intake, reference, review
    from publisher.demo import counts_long, german_csv, small_city

    def make(state="approved", audience="public", groups=(), series="ckan-testreihe", seed=7, period="2026-07",
             add=0, **extra_meta):
        series = f"{series}-{backend}"
        with open_ctx(ckan_app) as c:
            city = small_city()
            reference.ensure_default_rule_set(c)
            h = reference.import_hierarchy(c, None, city.hierarchy_csv(), "stadt.csv", "musterstadt")
            rows = counts_long(city, [period], seed=seed, small_cells=True)
            if add:  # another version of the same table: non-zero counts grow by ``add`` (a change below the
                rows = [(*r[:-1], r[-1] + add if r[-1] else 0) for r in rows]  # minimum count is refused, issue 13)
            data = german_csv(["baublock", "monat", "aufenthaltsstatus", "anzahl"], rows)
            meta = {"title": "Geflüchtete nach Aufenthaltsstatus", "reference_period": period,
                    "description": "Testdaten", "keywords": ["Test"], "source": "Statistikstelle",
                    "contact": "Statistik <statistik@example.org>", "audience": audience, "groups": list(groups),
                    **extra_meta}
            mapping = {"geo_column": "baublock", "count_columns": ["anzahl"],
                       "dimensions": ["monat", "aufenthaltsstatus"], "layout": "long"}
            sub = intake.create_draft(c, users["submitter"], data=data, filename="t.csv", metadata=meta,
                                      mapping=mapping, series=series, hierarchy=h.id)
            review.submit(c, users["submitter"], sub.id)
            sub = review.approve(c, users["approver"], sub.id, current_sha(c, sub))
            return sub.id, sub.current_version.artifact_sha256

    return make


@pytest.mark.ckan
def test_end_to_end_to_real_ckan_anonymous_download_equals_approved_bytes(ckan_app, ckan_submission, fresh,
                                                                          ckan_instance):
    import requests

    sub_id, approved = ckan_submission(series="e2e-reihe")
    assert sorted(j.target for j in _jobs(fresh, sub_id)) == ["ckan", "download"]
    assert worker.run(ckan_app, once=True) == 2
    assert _state(fresh, sub_id) == State.PUBLISHED.value
    ckan_job = next(j for j in _jobs(fresh, sub_id) if j.target == "ckan")
    name = ckan_job.result["dataset_name"]
    anon = requests.get(f"{ckan_instance.settings.url}/api/3/action/package_show", params={"id": name}, timeout=30)
    pkg = anon.json()["result"]
    assert pkg["license_id"] == "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
    assert pkg["version"] == ckan_job.result["version"]
    extras = {e["key"]: e["value"] for e in pkg.get("extras", [])}
    assert extras["temporal_start"] == "2026-07-01" and extras["temporal_end"] == "2026-07-31"
    data_res = next(r for r in pkg["resources"] if r.get("freigabe_role") == "daten")
    body = requests.get(data_res["url"], timeout=30).content
    assert hashlib.sha256(releasetable.to_artifact(body)).hexdigest() == approved  # published form minus names
    ids_before = sorted(r["id"] for r in pkg["resources"])

    # publishing again (job re-queued as after a crash) changes nothing on CKAN
    c = fresh()
    c.session.execute(update(PublicationJob).where(PublicationJob.id == ckan_job.id)
                      .values(state="pending", next_attempt_at=dt.datetime.now(dt.timezone.utc)))
    c.session.commit()
    assert worker.run(ckan_app, once=True) == 1
    again = requests.get(f"{ckan_instance.settings.url}/api/3/action/package_show", params={"id": name},
                         timeout=30).json()["result"]
    assert sorted(r["id"] for r in again["resources"]) == ids_before
    assert again["metadata_modified"] == pkg["metadata_modified"]


@pytest.mark.ckan
def test_a_correction_reaches_ckan_as_a_patch_version_with_notes_changelog_and_r_marks(
        ckan_app, ckan_submission, fresh, ckan_instance):
    import requests

    from publisher.publication import strip_revision_column

    first_id, first_sha = ckan_submission(series="korrektur-reihe", seed=7)
    assert worker.run(ckan_app, once=True) == 2
    fix_id, fix_sha = ckan_submission(series="korrektur-reihe", seed=8, correction_reason="Nachmeldung Juli")
    assert worker.run(ckan_app, once=True) == 2
    assert _state(fresh, fix_id) == State.PUBLISHED.value
    ckan_job = next(j for j in _jobs(fresh, fix_id) if j.target == "ckan")
    assert ckan_job.result["version"] == "1.0.1"
    pkg = requests.get(f"{ckan_instance.settings.url}/api/3/action/package_show",
                       params={"id": ckan_job.result["dataset_name"]}, timeout=30).json()["result"]
    assert pkg["version"] == "1.0.1"
    extras = {e["key"]: e["value"] for e in pkg.get("extras", [])}
    assert extras["version_notes"].startswith("Korrektur von Version 1.0.0: Nachmeldung Juli (")
    log = json.loads(extras["changelog"])
    assert [(e["version"], e["period"]) for e in log] == [("1.0.0", "2026-07"), ("1.0.1", "2026-07")]
    assert log[0]["notes"] == "Neuer Berichtszeitraum 2026-07" and log[1]["notes"] == extras["version_notes"]
    data_res = next(r for r in pkg["resources"] if r.get("freigabe_key") == "1.0.1/daten")
    body = requests.get(data_res["url"], timeout=30).content
    assert body.split(b"\r\n", 1)[0].endswith(b",anzahl,revision") and b",r\r\n" in body  # German published form
    # without the revision column: exactly the approved bytes
    assert hashlib.sha256(strip_revision_column(body)).hexdigest() == fix_sha != first_sha


@pytest.mark.ckan
def test_restricted_release_never_reaches_ckan(ckan_app, ckan_submission, fresh, ckan_instance, backend):
    import requests

    sub_id, _ = ckan_submission(audience="restricted", groups=("sozialplanung",), series="intern-reihe")
    assert [j.target for j in _jobs(fresh, sub_id)] == ["download"]
    worker.run(ckan_app, once=True)
    assert _state(fresh, sub_id) == State.PUBLISHED.value
    r = requests.get(f"{ckan_instance.settings.url}/api/3/action/package_show", params={"id": f"intern-reihe-{backend}"},
                     timeout=30)
    assert r.status_code == 404


@pytest.mark.ckan
def test_ckan_down_jobs_wait_and_complete_exactly_once_when_back(ckan_app, ckan_submission, fresh, ckan_instance):
    import requests

    sub_id, approved = ckan_submission(series="ausfall-reihe")
    ckan_instance.stop_web()
    try:
        worker.run(ckan_app, once=True)
        ckan_job = next(j for j in _jobs(fresh, sub_id) if j.target == "ckan")
        assert ckan_job.state == "pending" and ckan_job.attempts == 1 and ckan_job.last_error
        assert _state(fresh, sub_id) != State.PUBLISHED.value
    finally:
        ckan_instance.start_web()
    c = fresh()
    c.session.execute(update(PublicationJob).where(PublicationJob.id == ckan_job.id)
                      .values(next_attempt_at=dt.datetime.now(dt.timezone.utc)))
    c.session.commit()
    assert worker.run(ckan_app, once=True) == 1
    ckan_job = next(j for j in _jobs(fresh, sub_id) if j.target == "ckan")
    assert ckan_job.state == "done" and ckan_job.attempts == 2
    assert _state(fresh, sub_id) == State.PUBLISHED.value
    pkg = requests.get(f"{ckan_instance.settings.url}/api/3/action/package_show",
                       params={"id": ckan_job.result["dataset_name"]}, timeout=30).json()["result"]
    csvs = [r for r in pkg["resources"] if r.get("freigabe_role") == "daten"]
    assert len(csvs) == 1
    assert hashlib.sha256(releasetable.to_artifact(requests.get(csvs[0]["url"], timeout=30).content)).hexdigest() \
        == approved


@pytest.mark.ckan
def test_two_periods_and_a_correction_stay_on_ckan_and_withdrawal_takes_back_one_version(
        ckan_app, ckan_submission, fresh, ckan_instance, users):
    """Issue 15 acceptance through Freigabe: July (1.0.0), August (1.1.0), a correction of July (1.0.1);
    an anonymous client downloads all three versions from CKAN with the approved bytes, the dataset's latest
    is August; withdrawing August (a Freigabe withdrawal → a withdraw job per target) leaves July public."""
    import requests

    from publisher.publication import strip_revision_column
    from publisher.services import review

    url = ckan_instance.settings.url
    july, july_sha = ckan_submission(series="verlauf-reihe", seed=7, period="2026-07")
    assert worker.run(ckan_app, once=True) == 2
    aug, aug_sha = ckan_submission(series="verlauf-reihe", seed=7, add=3, period="2026-08")
    assert worker.run(ckan_app, once=True) == 2
    fix, fix_sha = ckan_submission(series="verlauf-reihe", seed=7, add=6, period="2026-07",
                                   correction_reason="Nachmeldung")
    assert worker.run(ckan_app, once=True) == 2
    versions = {}
    for sub_id in (july, aug, fix):
        assert _state(fresh, sub_id) == State.PUBLISHED.value
        job = next(j for j in _jobs(fresh, sub_id) if j.target == "ckan")
        versions[sub_id] = job.result["version"]
        name = job.result["dataset_name"]
    assert [versions[s] for s in (july, aug, fix)] == ["1.0.0", "1.1.0", "1.0.1"]
    ds = requests.get(f"{url}/api/3/action/package_show", params={"id": name}, timeout=30).json()["result"]
    assert ds["version"] == "1.1.0"  # latest = the newest period
    extras = {e["key"]: e["value"] for e in ds["extras"]}
    assert (extras["temporal_start"], extras["temporal_end"]) == ("2026-08-01", "2026-08-31")
    data = {r["freigabe_version"]: r["url"] for r in ds["resources"] if r.get("freigabe_role") == "daten"}
    bodies = {v: requests.get(u, timeout=30).content for v, u in data.items()}  # anonymous
    # the published form (German header, area names); without the names: exactly the approved bytes
    assert hashlib.sha256(releasetable.to_artifact(bodies["1.0.0"])).hexdigest() == july_sha
    assert hashlib.sha256(releasetable.to_artifact(bodies["1.1.0"])).hexdigest() == aug_sha
    # the correction carries its revision column; without it: exactly the approved bytes
    assert bodies["1.0.1"].split(b"\r\n", 1)[0].endswith(b",revision")
    assert hashlib.sha256(strip_revision_column(bodies["1.0.1"])).hexdigest() == fix_sha

    review.withdraw_release(fresh(), users["approver"], aug, "Fehler in der Quelle")
    worker.run(ckan_app, once=True)
    assert _state(fresh, aug) == State.WITHDRAWN.value
    assert [j.state for j in _jobs(fresh, aug) if j.purpose == "withdraw"] == ["done", "done"]
    assert requests.get(data["1.1.0"], timeout=30).status_code == 404
    for v in ("1.0.0", "1.0.1"):
        assert requests.get(data[v], timeout=30).status_code == 200
    ds = requests.get(f"{url}/api/3/action/package_show", params={"id": name}, timeout=30).json()["result"]
    assert ds["private"] is False and ds["version"] == "1.0.1"


def _rebind_manifest(c, submission_id):
    """Issue 14: rebuild the release manifest from the (tampered) rows and bind approvals and jobs to it."""
    from sqlalchemy import update as _update

    from publisher import manifest
    from publisher.models import Decision as _D, PublicationJob as _J, Submission as _S

    c.session.expire_all()
    sub = c.session.get(_S, submission_id)
    m = manifest.build(c, sub, sub.current_version)
    manifest.store(c, None, sub, m)
    c.session.execute(_update(_J).where(_J.submission_id == submission_id).values(manifest_sha256=m.sha256))
    c.session.execute(_update(_D).where(_D.submission_id == submission_id).values(manifest_sha256=m.sha256))
    c.session.commit()


def test_invalid_package_stops_publication_with_the_validation_report(app, make_submission, fresh, city):
    """The approved table's areas are missing from the hierarchy version the package would use: the
    frictionless foreign-key check fails, the job fails for good and nothing is published."""
    from publisher.models import SubmissionVersion
    from publisher.services import reference

    sub = make_submission("approved")
    c = fresh()
    other = reference.import_hierarchy(
        c, None, b"baublock;stadtteil\nX1;XA\nX2;XA\n", "andere.csv", "andere-stadt")
    v = c.session.get(SubmissionVersion, sub.current_version_id)
    v.hierarchy_id = other.id
    c.session.flush()
    _rebind_manifest(c, sub.id)  # a database writer forging the manifest too: package validation still stops it

    worker.run(app, once=True)
    (job,) = _jobs(fresh, sub.id)
    err = json.loads(job.last_error)
    assert job.state == "failed" and err["code"] == "FG-PUB-PACKAGE-INVALID"
    assert err["report"]["valid"] is False
    assert any("foreign" in (e.get("type") or e.get("code") or "").lower() for e in err["report"]["errors"]), err
    assert not any(Path(app.config["DOWNLOAD_DIR"]).rglob("*.csv"))
    assert _events(fresh, "publication.alert")


def test_every_demo_release_package_passes_frictionless_validate(app, fresh, tmp_path):
    """Load the demo, let the worker publish, and validate every package with frictionless itself."""
    import subprocess
    import sys as _sys

    from publisher import demo

    c = fresh()
    demo.load(c)
    assert worker.run(app, once=True) >= 1
    zips = sorted(Path(app.config["DOWNLOAD_DIR"]).rglob("*.zip"))
    assert zips, "the demo publishes at least one release"
    frictionless = Path(_sys.executable).parent / "frictionless"
    for z in zips:
        out = subprocess.run([str(frictionless), "validate", str(z)], capture_output=True, text=True,
                             timeout=120)
        assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.ckan
def test_withdrawing_a_published_release_makes_it_private_on_ckan(ckan_app, ckan_submission, fresh,
                                                                   ckan_instance, users):
    import requests

    from publisher.services import review

    sub_id, _ = ckan_submission(series="rueckzug-reihe")
    worker.run(ckan_app, once=True)
    assert _state(fresh, sub_id) == State.PUBLISHED.value
    name = next(j for j in _jobs(fresh, sub_id) if j.target == "ckan").result["dataset_name"]
    url = f"{ckan_instance.settings.url}/api/3/action/package_show"
    assert requests.get(url, params={"id": name}, timeout=30).status_code == 200

    review.withdraw_release(fresh(), users["approver"], sub_id, "Fehler in der Quelle")
    worker.run(ckan_app, once=True)
    assert _state(fresh, sub_id) == State.WITHDRAWN.value
    withdraw = [j for j in _jobs(fresh, sub_id) if j.purpose == "withdraw" and j.target == "ckan"]
    assert len(withdraw) == 1 and withdraw[0].state == "done"
    assert requests.get(url, params={"id": name}, timeout=30).status_code in (403, 404)


def test_dpo_sees_the_failed_publication_and_its_reason_on_the_review_page(app, make_submission, fresh, client,
                                                                             auth):
    sub = make_submission("approved")
    path = fresh().store.path(sub.current_version.artifact_sha256)
    path.chmod(0o644)
    path.write_bytes(path.read_bytes() + b"stadtteil,X,1\r\n")
    worker.run(app, once=True)
    auth.login("dora")
    page = client.get(f"/review/{sub.id}").get_data(as_text=True)
    assert "FG-PUB-HASH-MISMATCH" in page and "fehlgeschlagen" in page  # job state label (German UI)


@pytest.mark.ckan
def test_withdrawing_an_older_version_leaves_the_series_public_on_ckan(ckan_app, ckan_submission, fresh, users,
                                                                       ckan_instance):
    """Issue 14 item 5 with issue 15's history: CKAN keeps every version of a series; withdrawing the older
    version leaves the dataset public; withdrawing the last version left makes it private."""
    import requests

    from publisher.services import withdrawal

    old_id, _ = ckan_submission(series="rueckzug", seed=7)
    assert worker.run(ckan_app, once=True) == 2
    new_id, _ = ckan_submission(series="rueckzug", seed=8, period="2026-08")
    assert worker.run(ckan_app, once=True) == 2
    name = next(j for j in _jobs(fresh, new_id) if j.target == "ckan").result["dataset_name"]
    show = f"{ckan_instance.settings.url}/api/3/action/package_show"
    with open_ctx(ckan_app) as c:
        withdrawal.withdraw_release(c, c.session.get(type(users["approver"]), users["approver"].id), old_id,
                                    "Alte Fassung fehlerhaft")
    assert worker.run(ckan_app, once=True) >= 1
    assert requests.get(show, params={"id": name}, timeout=30).status_code == 200  # still public
    with open_ctx(ckan_app) as c:
        withdrawal.withdraw_release(c, c.session.get(type(users["approver"]), users["approver"].id), new_id,
                                    "Neue Fassung fehlerhaft")
    assert worker.run(ckan_app, once=True) >= 1
    assert requests.get(show, params={"id": name}, timeout=30).status_code in (403, 404)
