"""The publication worker: consumes ``publication_jobs`` (outbox), exactly once per job and target.

Every job names a target by key; the worker asks the registry (:mod:`publisher.targets`) for it and calls
its ``publish(release)`` or ``withdraw(version)`` (:class:`catalog.targets.Target`).  The worker names no
target itself.

``freigabe worker`` runs it as a separate process (production: several, on PostgreSQL); ``make demo`` and the
embedded default run one in a thread of the web process (``FREIGABE_WORKER_IN_PROCESS``).

For every job the worker, before anything leaves Freigabe:
1. checks that the submission is still to be published (a withdrawn release is never pushed again),
2. checks that an approval by someone other than the submitter is bound to exactly this artifact's sha256,
   and that the release manifest rebuilt now is exactly the approved one (:func:`publisher.manifest.
   verify_job`: metadata, audience, groups, targets, embargo; issue 14),
3. reads the artifact from storage and compares its sha256 with the approved one,
4. runs the threshold rule again on every published number,
5. builds the Frictionless data package (validated) whose data file must be the artifact byte for byte.
A table of a report is published only once its report is released (issue 17: :func:`publisher.services.
reports.gate_job`); after the last table, the report's workbook is built and the report is published
(:func:`publisher.services.reports.settle`).
Any mismatch stops the job for good and writes a ``publication.alert`` audit event.  Passing failures
(CKAN down, timeouts, 5xx) are retried with exponential backoff.  All side effects are idempotent
(``package_revise`` with a match, resources matched by key and hash, immutable download-area versions), so
a job whose worker was killed after the side effect and before settling simply runs again.
"""
from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any

import click
from sqlalchemy import select

from catalog import PackageInvalid
from catalog.errors import CatalogError
from catalog.targets import Release
from publisher.models import Decision, Hierarchy, PublicationJob, RuleSet, Submission, SubmissionVersion
from publisher.publication import PublicationRefused, ReleaseInfo, build_release_package, recheck
from publisher import mailer
from publisher.services import open_ctx
from publisher.services import publication as jobs
from publisher.services.withdrawal import WithdrawWaits
from publisher.targets import registry
from publisher.workflow import State

log = logging.getLogger("freigabe.worker")


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


# --- what a job needs ------------------------------------------------------------------------------------

def _approval(c, sub: Submission, version: SubmissionVersion) -> Decision | None:
    """The approval of this version bound to its artifact, by someone other than the submitter."""
    rows = c.session.execute(select(Decision).where(
        Decision.submission_id == sub.id, Decision.version_id == version.id, Decision.action == "approve",
        Decision.invalidated_at.is_(None)).order_by(Decision.id.desc())).scalars().all()
    for d in rows:
        if d.actor_id != sub.submitter_id and d.artifact_sha256 == version.artifact_sha256:
            return d
    return None


def _rules(rule_set: RuleSet):
    from disclosure_rules import load_rules

    if rule_set.source_toml:
        import tempfile

        with tempfile.NamedTemporaryFile("w", suffix=".toml", delete=False, encoding="utf-8") as fh:
            fh.write(rule_set.source_toml)
            path = fh.name
        try:
            return load_rules(path, **(rule_set.overrides or {}))
        finally:
            os.unlink(path)
    return load_rules(None, **(rule_set.overrides or {}))


def _hierarchy_rows(c, h: Hierarchy) -> list[dict]:
    from disclosure_rules import load_hierarchy

    hier = load_hierarchy(c.store.get(h.file_sha256), filename=h.filename)
    rows = []
    for i, level in enumerate(hier.levels):
        parents = hier.parent_map(level) if i + 1 < len(hier.levels) else {}
        for code in hier.codes(level):
            row = {"level": level, "code": code, "name": hier.name(code, level) or None}
            if parents:
                row["parent"] = parents.get(code)
            rows.append(row)
    return rows


def _release_info(c, sub: Submission, version: SubmissionVersion, approval: Decision, frame=None) -> ReleaseInfo:
    """Everything the package needs besides the artifact.  Version, version notes, changelog and the cells
    to mark ``r`` come from the release ledger (:mod:`publisher.services.ledger`): new period = next minor,
    correction = patch + 1 of the corrected release."""
    # issue 14: computed only from the releases every reader of this release may read (publisher.services.audience)
    from publisher.services import audience as ledger

    from publisher.preflight import settings_info

    settings = c.settings
    label = ledger.release_version(c, sub, version)
    revised = ledger.revised_keys(c, sub, version, frame)  # None unless a correction (for this audience)
    notes = ledger.version_notes(c, sub, version, revised)
    return ReleaseInfo(
        series_slug=sub.series.slug,
        series_title=sub.series.title,
        meta=dict(version.meta or {}),
        public_statement=dict(version.public_statement or {}),
        approved_at=approval.created_at,
        version=label,
        hierarchy_rows=_hierarchy_rows(c, version.hierarchy),
        **settings_info(settings),  # the same as the check at upload (publisher.preflight)
        landing_page=(f"{settings['PUBLIC_URL'].rstrip('/')}/releases/{sub.id}" if settings.get("PUBLIC_URL")
                      else None),
        version_notes=notes,
        changelog=tuple(ledger.changelog(c, sub, version, release_version=label, date=approval.created_at.date(),
                                         notes=notes)),
        revised=revised,
    )


# --- running one job --------------------------------------------------------------------------------------

def perform(c, job: PublicationJob) -> dict[str, Any]:
    """The side effect of one claimed job.  Raises PublicationRefused / catalog errors on failure."""
    sub = c.session.get(Submission, job.submission_id)
    version = c.session.get(SubmissionVersion, job.version_id)
    meta = version.meta or {}
    targets = registry(c.settings)
    target = targets.get(job.target)  # TargetUnknown (not retried) when it is no longer configured
    if job.purpose == "withdraw":
        return _withdraw(c, job, sub, version, target)
    if sub.state not in (State.APPROVED.value, State.PUBLISHING.value):
        return {"skipped": f"state {sub.state}"}
    audience = meta.get("audience") or "public"
    if job.target not in targets.for_audience(audience):
        raise PublicationRefused("FG-PUB-RESTRICTED-TO-CKAN",
                                 "Eine eingeschränkte Veröffentlichung darf nie ins Portal.",
                                 "A restricted release must never reach the portal.")
    approval = _approval(c, sub, version)
    if approval is None or job.artifact_sha256 != version.artifact_sha256:
        raise PublicationRefused("FG-PUB-NOT-APPROVED",
                                 "Für genau dieses Artefakt gibt es keine gültige Freigabe durch eine andere Person.",
                                 "There is no valid approval by another person for exactly this artifact.",
                                 {"artifact_sha256": job.artifact_sha256})
    from publisher import manifest  # issue 14: exactly the approved manifest, rebuilt from the database now

    approved = manifest.verify_job(c, job, sub, version)
    from publisher.services import reports  # issue 17: a report's table leaves only with the released report

    reports.gate_job(c, job, sub, approved)
    if sub.state == State.APPROVED.value:
        from publisher.services import review
        from publisher.services.errors import WrongState

        try:
            review.start_publishing(c, sub.id)
        except WrongState:  # another worker's job for the same submission was first
            c.session.rollback()
    rules = _rules(version.rule_set)
    artifact = c.store.get(job.artifact_sha256, verify=False)
    frame = recheck(artifact, job.artifact_sha256, rules.min_count, rules.zeros_are_disclosive)
    from publisher.services import ledger

    ledger.gate_before_publication(c, sub, version)  # cross-release checks against the ledger, once more
    info = _release_info(c, sub, version, approval, frame)  # the artifact is parsed once, above
    pkg = build_release_package(artifact, frame, info)
    result = target.publish(Release(pkg, audience, tuple(meta.get("groups") or ()), info.topic))
    return {**result, "version": pkg.version, "digest": pkg.digest()}


def _withdraw(c, job, sub, version, target) -> dict[str, Any]:
    """Take exactly the version this job's release was published as back from this target (issue 14 item 5:
    :func:`publisher.services.withdrawal.perform` waits for a running publish job and names date and reason)."""
    from publisher.services import withdrawal

    return withdrawal.perform(c, job, sub, version, target)


def process_one(app, wid: str | None = None) -> bool:
    """Claim and run one job; False when nothing was due."""
    wid = wid or worker_id()
    with open_ctx(app) as c:
        job = jobs.claim(c, wid)
        if job is None:
            from publisher.services import reports  # issue 17: a report whose last settle failed is retried

            return reports.settle_released(c) > 0
        job_id, submission_id = job.id, job.submission_id
        try:
            result = perform(c, job)
        except PublicationRefused as exc:
            c.session.rollback()
            jobs.fail(c, job_id, wid, exc.to_dict(), alert=True)
        except WithdrawWaits as exc:  # issue 14: a publish job of the same target still runs
            c.session.rollback()
            jobs.retry_later(c, job_id, wid, {"code": "FG-PUB-WITHDRAW-WAITS", "target": str(exc)})
        except PackageInvalid as exc:
            c.session.rollback()
            jobs.fail(c, job_id, wid, {"code": "FG-PUB-PACKAGE-INVALID", "report": exc.report.to_dict()},
                      alert=True)
        except CatalogError as exc:
            c.session.rollback()
            err = exc.to_dict() if hasattr(exc, "to_dict") else {"message": str(exc)}
            if getattr(exc, "retryable", False):
                jobs.retry_later(c, job_id, wid, err)
            else:
                jobs.fail(c, job_id, wid, err)
        except Exception as exc:  # unexpected: keep the job, retry with backoff
            log.exception("publication job %s failed", job_id)
            c.session.rollback()
            jobs.retry_later(c, job_id, wid, {"code": "FG-PUB-UNEXPECTED", "message": repr(exc)[:1000]})
        else:
            c.session.rollback()
            jobs.succeed(c, job_id, wid, result)
        jobs.settle_submission(c, submission_id)
        from publisher.services import reports

        reports.settle(c, submission_id)  # issue 17: the report is published once every table is
        return True


def run(app, *, once: bool = False, poll: float = 2.0, stop: threading.Event | None = None) -> int:
    """Process jobs until stopped (or, with ``once``, until nothing is due).  Returns the jobs processed."""
    stop = stop or threading.Event()
    wid, done = worker_id(), 0
    while not stop.is_set():
        try:
            worked = process_one(app, wid)
            worked = mailer.tick(app, wid) or worked  # issue 18: mail outbox + periodic duties (publisher/mailer.py)
        except Exception:  # database briefly unavailable: wait and try again
            log.exception("worker loop")
            worked = False
        done += int(worked)
        if not worked:
            if once:
                break
            stop.wait(poll)
    return done


def start_in_process(app) -> threading.Thread:
    stop = threading.Event()
    t = threading.Thread(target=run, args=(app,), kwargs={"stop": stop}, name="freigabe-worker", daemon=True)
    t.stop_event = stop  # type: ignore[attr-defined]
    t.start()
    return t


@click.command("worker")
@click.option("--once", is_flag=True, help="Process what is due, then exit.")
@click.option("--poll", default=2.0, show_default=True, help="Seconds between polls when idle.")
def worker_command(once: bool, poll: float) -> None:
    """Run the publication worker (CKAN, download area)."""
    from flask import current_app

    n = run(current_app._get_current_object(), once=once, poll=poll)
    click.echo(f"{n} job(s) processed")
    time.sleep(0)
