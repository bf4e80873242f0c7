"""Issue 17 items 3/4: the German CSV and the .xlsx are a deterministic function of what the approval binds
(the approved table bytes, the hierarchy version's file with the area names, the published metadata) and
the worker checks that before anything leaves.  Tampering after approval publishes nothing."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

from sqlalchemy import select

from catalog import releasetable
from catalog.xlsx import check_workbook
from publisher import worker
from publisher.models import Hierarchy, PublicationJob, StoredFile, SubmissionVersion


def _files(app) -> list[Path]:
    root = Path(app.config["DOWNLOAD_DIR"])
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _job(fresh, sid) -> PublicationJob:
    (job,) = fresh().session.execute(select(PublicationJob).where(PublicationJob.submission_id == sid)).scalars()
    return job


def test_area_names_changed_after_approval_publish_nothing(app, make_submission, fresh, city):
    """An admin (or a database writer) points the approved hierarchy version at a file with other area names:
    the manifest names the hierarchy file's sha256, so the worker refuses and nothing is written."""
    sub = make_submission("approved")
    c = fresh()
    v = c.session.get(SubmissionVersion, sub.current_version_id)
    renamed = city.hierarchy_csv().replace("Gelsenkirchen-Mitte".encode(), "Gelsenkirchen-Zentrum".encode())
    sha = c.store.put(renamed)
    c.session.add(StoredFile(sha256=sha, size=len(renamed), kind="hierarchy", media_type="text/csv"))
    c.session.flush()
    c.session.get(Hierarchy, v.hierarchy_id).file_sha256 = sha
    c.session.commit()
    worker.run(app, once=True)
    job = _job(fresh, sub.id)
    err = json.loads(job.last_error)
    assert job.state == "failed" and err["code"] == "FG-PUB-MANIFEST-CHANGED" and "hierarchy" in err["details"]["changed"]
    assert _files(app) == []


def test_names_file_overwritten_in_place_publishes_nothing(app, make_submission, fresh):
    """The stored hierarchy file's bytes replaced under the same sha256 name: the storage refuses to hand
    them out (hash check), so no German CSV or workbook with the other names is ever built."""
    sub = make_submission("approved")
    c = fresh()
    h = c.session.get(Hierarchy, c.session.get(SubmissionVersion, sub.current_version_id).hierarchy_id)
    path = c.store.path(h.file_sha256)
    path.write_bytes(path.read_bytes().replace("Gelsenkirchen-Mitte".encode(), "Gelsenkirchen-Zentrum".encode()))
    worker.run(app, once=True)
    assert _job(fresh, sub.id).state != "done"
    assert _files(app) == []


def test_title_changed_after_approval_publishes_no_workbook(app, make_submission, fresh):
    """The workbook's sheet "Hinweise" carries the title: a title changed after approval is refused."""
    sub = make_submission("approved")
    c = fresh()
    v = c.session.get(SubmissionVersion, sub.current_version_id)
    v.meta = {**v.meta, "title": "Ein anderer Titel"}
    c.session.commit()
    worker.run(app, once=True)
    job = _job(fresh, sub.id)
    assert job.state == "failed" and json.loads(job.last_error)["code"] == "FG-PUB-MANIFEST-CHANGED"
    assert _files(app) == []


def test_untampered_release_publishes_german_csv_with_names_and_a_matching_workbook(app, make_submission, fresh):
    sub = make_submission("approved")
    worker.run(app, once=True)
    job = _job(fresh, sub.id)
    assert job.state == "done"
    r = job.result
    folder = Path(app.config["DOWNLOAD_DIR"]) / r["topic"] / r["series"] / r["version"]
    data = (folder / f"{r['series']}.csv").read_bytes()
    assert hashlib.sha256(releasetable.to_artifact(data)).hexdigest() == sub.current_version.artifact_sha256
    header, rows = releasetable.published_rows(data)
    assert header[:3] == ["ebene", "gebietsschluessel", "gebietsname"] and header[-1] == "anzahl"
    # every area named, by the names of the bound hierarchy version
    assert rows and all(row[2] for row in rows) and any(row[2] == "Gelsenkirchen-Mitte" for row in rows), rows[:3]
    xlsx = (folder / f"{r['series']}-{r['version']}.xlsx").read_bytes()
    check_workbook(xlsx, data)
    assert r["files"][f"{r['series']}-{r['version']}.xlsx"] == hashlib.sha256(xlsx).hexdigest()
