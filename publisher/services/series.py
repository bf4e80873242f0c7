"""Series: standing approval, DPO notifications, embargo and the release calendar (issue 8).

Standing approval
    ``grant_standing_approval(c, actor, series_id, submission_id)``: a DPO approves the *structure* of a
    series once (taken from a reference submission: dimensions, geography level, hierarchy, rule set,
    audience, column mapping).  When a later period of that series is submitted
    (:func:`publisher.services.review.submit` calls :func:`after_submit`), it is approved automatically -
    the normal ``approve`` transition, on behalf of the DPO who granted the standing approval, bound to the
    artifact's sha256 - if and only if: the structure is unchanged, the table is publishable, the engine
    raised no warning, the cross-release checks found nothing, and the DPO is not the submitter.  It is
    then audited (``series.standing_release``) and a notification for the DPO is recorded; the DPO can
    withdraw the release as any other.  Anything else leaves the submission in SUBMITTED for manual review,
    with a notification naming the reason.  ``revoke_standing_approval`` ends it.
Embargo
    ``review.approve(..., embargo_until=...)`` calls :func:`set_embargo`: the publication jobs are due only at
    ``embargo_until`` (the worker never claims them earlier, so nothing reaches CKAN or the download area or
    a public page before); :func:`upcoming_releases` is the public release calendar.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from disclosure_rules.findings import Finding, Severity, register
from publisher import audit
from publisher.models import Series, Submission, SubmissionVersion, User
from publisher.models_ledger import Embargo, Notification, StandingApproval
from publisher.services import errors as E
from publisher.services import notify as mail
from publisher.workflow import Role, State

EMBARGO_INVALID = register(
    "publisher.embargo.invalid", Severity.ERROR,
    "Sperrfrist „{value}“ ist kein Zeitpunkt mit Zeitzone (z. B. 2026-12-01T09:00:00+01:00).",
    "Embargo '{value}' is not a date and time with time zone (e.g. 2026-12-01T09:00:00+01:00).")
EMBARGO_PAST = register(
    "publisher.embargo.past", Severity.ERROR,
    "Sperrfrist {value} liegt nicht in der Zukunft.",
    "Embargo {value} is not in the future.")
PERIOD_ORDER = register(
    "publisher.series.period_order", Severity.ERROR,
    "Der frühere Zeitraum {period} dieser Reihe (Einreichung {submission}) ist bis {until} gesperrt: ein späterer "
    "Zeitraum erscheint nicht vorher. Sperrfrist mindestens bis dahin setzen oder ausdrücklich bestätigen, dass "
    "er vorher erscheinen soll (Feld „out_of_order“).",
    "The earlier period {period} of this series (submission {submission}) is under embargo until {until}: a later "
    "period is not published before it. Set an embargo until then at least, or confirm explicitly that it is to "
    "be published first (field 'out_of_order').")
STANDING_ROLE = register(
    "publisher.standing.role", Severity.ERROR,
    "Nur Datenschutzbeauftragte (Rolle approver) dürfen eine Reihe dauerhaft freigeben.",
    "Only data-protection officers (role approver) may grant a standing approval for a series.")
STANDING_WRONG_SERIES = register(
    "publisher.standing.wrong_series", Severity.ERROR,
    "Einreichung {submission} gehört nicht zur Reihe {series}.",
    "Submission {submission} does not belong to series {series}.")
STANDING_NOT_PUBLISHABLE = register(
    "publisher.standing.not_publishable", Severity.ERROR,
    "Einreichung {submission} ist nicht veröffentlichbar und taugt nicht als Vorlage einer Daueranfrage.",
    "Submission {submission} is not publishable and cannot define a standing approval.")


# --- embargo ------------------------------------------------------------------------------------------------

def embargo_time(c, value: Any) -> dt.datetime | None:
    """``None``/empty → no embargo; otherwise an aware datetime (or ISO text) in the future, as UTC."""
    if value is None or value == "":
        return None
    when = value
    if isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise E.InvalidInput(Finding(EMBARGO_INVALID, {"value": value[:60]})) from None
    if not isinstance(when, dt.datetime) or when.tzinfo is None:
        raise E.InvalidInput(Finding(EMBARGO_INVALID, {"value": str(value)[:60]}))
    when = when.astimezone(dt.timezone.utc)
    if when <= c.now():
        raise E.InvalidInput(Finding(EMBARGO_PAST, {"value": when.isoformat()}))
    return when


def set_embargo(c, actor, sub: Submission, version: SubmissionVersion, when: dt.datetime) -> Embargo:
    """Record the embargo (caller's transaction; the jobs were queued due at ``when``)."""
    row = c.session.execute(select(Embargo).where(Embargo.version_id == version.id)).scalar_one_or_none()
    if row is None:
        row = Embargo(submission_id=sub.id, version_id=version.id, embargo_until=when,
                      set_by_id=getattr(actor, "id", None), created_at=c.now())
        c.session.add(row)
    else:
        row.embargo_until = when
    c.session.flush()
    audit.record(c.session, actor, "release.embargo_set", sub,
                 {"version": version.number, "embargo_until": when.isoformat()})
    return row


def upcoming_releases(c, now: dt.datetime | None = None) -> list[dict[str, Any]]:
    """The public release calendar: approved public releases under embargo, earliest first.  Only the title,
    series, period and date - nothing of the table."""
    now = now or c.now()
    rows = c.session.execute(select(Embargo, Submission).join(Submission, Submission.id == Embargo.submission_id)
                             .where(Embargo.embargo_until > now).order_by(Embargo.embargo_until, Embargo.id)).all()
    out = []
    for emb, sub in rows:
        v = sub.current_version
        if v is None or v.id != emb.version_id or sub.state not in (State.APPROVED.value, State.PUBLISHING.value):
            continue
        meta = v.meta or {}
        if (meta.get("audience") or "public") != "public":
            continue
        out.append({"submission": sub.id, "series": sub.series.slug, "series_title": sub.series.title,
                    "title": meta.get("title", ""), "reference_period": meta.get("reference_period", ""),
                    "embargo_until": emb.embargo_until})
    return out


def embargo_for(c, version_id: int) -> Embargo | None:
    return c.session.execute(select(Embargo).where(Embargo.version_id == version_id)).scalar_one_or_none()


# --- standing approval ---------------------------------------------------------------------------------------

def structure_of(c, sub: Submission, version: SubmissionVersion) -> dict[str, Any]:
    """What must stay unchanged between periods of a standing-approved series."""
    mapping = version.mapping or {}
    dims = []
    if version.artifact_sha256:
        from publisher.services.ledger import _artifact_frame

        frame = _artifact_frame(c, version)
        dims = sorted(col for col in frame.columns if col not in ("level", "area", "count", "status"))
    return {
        "series": sub.series.slug,
        "hierarchy": version.hierarchy.name,
        "hierarchy_version": version.hierarchy.version,
        "rule_set": f"{version.rule_set.name} v{version.rule_set.version}",
        "level": version.level,
        "dimensions": dims,
        "audience": (version.meta or {}).get("audience") or "public",
        "groups": sorted((version.meta or {}).get("groups") or []),
        "geo_column": mapping.get("geo_column"),
        "count_columns": list(mapping.get("count_columns") or []),
        "mapping_dimensions": list(mapping.get("dimensions") or []),
        # issue 14: the published metadata too - a new free text, licence, contact or keyword goes to a human
        "metadata": {k: (version.meta or {}).get(k) for k in STANDING_METADATA},
    }


STANDING_METADATA = ("title", "description", "keywords", "source", "licence", "contact")


def earlier_embargo(c, sub: Submission, version: SubmissionVersion) -> dict[str, Any] | None:
    """An approved, not yet published release of an EARLIER period of the same series whose embargo ends
    later than now (issue 14: periods are published in order).  ``{"submission", "period", "until"}``."""
    from publisher.services.ledger import period_of

    mine = period_of(version)
    rows = c.session.execute(select(Embargo, Submission).join(Submission, Submission.id == Embargo.submission_id)
                             .where(Submission.series_id == sub.series_id, Submission.id != sub.id,
                                    Embargo.embargo_until > c.now())).all()
    found = None
    for emb, other in rows:
        v = other.current_version
        if v is None or v.id != emb.version_id or other.state not in (State.APPROVED.value, State.PUBLISHING.value):
            continue
        period = period_of(v)
        if period and mine and period < mine and (found is None or emb.embargo_until > found["until"]):
            found = {"submission": other.id, "period": period, "until": emb.embargo_until}
    return found


def active_standing_approval(c, series_id: int) -> StandingApproval | None:
    return c.session.execute(select(StandingApproval).where(
        StandingApproval.series_id == series_id, StandingApproval.revoked_at.is_(None))
        .order_by(StandingApproval.id.desc())).scalars().first()


def grant_standing_approval(c, actor: User, series_id: int, submission_id: int, comment: str = "") -> StandingApproval:
    try:
        if actor is None or Role(actor.role) != Role.APPROVER or not actor.active:
            raise E.Forbidden(STANDING_ROLE)
        series = c.session.get(Series, int(series_id))
        if series is None:
            raise E.not_found("Reihe", series_id)
        sub = c.session.get(Submission, int(submission_id))
        if sub is None:
            raise E.not_found("Einreichung", submission_id)
        if sub.series_id != series.id:
            raise E.InvalidInput(STANDING_WRONG_SERIES, submission=sub.id, series=series.slug)
        v = sub.current_version
        if v is None or v.outcome != "publishable" or not v.artifact_sha256:
            raise E.InvalidInput(STANDING_NOT_PUBLISHABLE, submission=sub.id)
        old = active_standing_approval(c, series.id)
        if old is not None:
            old.revoked_at, old.revoked_by_id = c.now(), actor.id
        row = StandingApproval(series_id=series.id, approved_by_id=actor.id, structure=structure_of(c, sub, v),
                               comment=str(comment or "")[:5000], created_at=c.now())
        c.session.add(row)
        c.session.flush()
        audit.record(c.session, actor, "series.standing_approval_granted", series,
                     {"standing_approval": row.id, "reference_submission": sub.id, "structure": row.structure})
        c.session.commit()
        return row
    except BaseException:
        c.session.rollback()
        raise


def revoke_standing_approval(c, actor: User, series_id: int, comment: str = "") -> StandingApproval | None:
    try:
        if actor is None or Role(actor.role) not in (Role.APPROVER, Role.ADMIN) or not actor.active:
            raise E.Forbidden(STANDING_ROLE)
        row = active_standing_approval(c, int(series_id))
        if row is None:
            c.session.rollback()
            return None
        row.revoked_at, row.revoked_by_id = c.now(), actor.id
        audit.record(c.session, actor, "series.standing_approval_revoked", c.session.get(Series, row.series_id),
                     {"standing_approval": row.id, "comment": str(comment or "")[:2000]})
        c.session.commit()
        return row
    except BaseException:
        c.session.rollback()
        raise


def notify(c, kind: str, submission_id: int | None, details: dict, user_id: int | None = None) -> Notification:
    n = Notification(created_at=c.now(), role=Role.APPROVER.value, user_id=user_id, kind=kind,
                     submission_id=submission_id, details=audit.json_safe(details))
    c.session.add(n)
    c.session.flush()
    return n


def notifications(c, user: User | None = None) -> list[Notification]:
    q = select(Notification).order_by(Notification.id)
    if user is not None:
        q = q.where((Notification.user_id == user.id) | (Notification.user_id.is_(None)))
    return list(c.session.execute(q).scalars())


def _reasons(c, sub: Submission, standing: StandingApproval) -> tuple[list[str], list[dict]]:
    """Why this period cannot be released under the standing approval (empty = it can)."""
    from publisher.services import ledger

    v = sub.current_version
    reasons: list[str] = []
    found: list[dict] = []
    if v.outcome != "publishable" or not v.artifact_sha256:
        return ["not_publishable"], found
    if sub.submitter_id == standing.approved_by_id or any(x.created_by_id == standing.approved_by_id
                                                          for x in sub.versions):
        reasons.append("four_eyes")
    now_structure = structure_of(c, sub, v)
    if {k: x for k, x in now_structure.items() if k != "metadata"} != {
            k: x for k, x in standing.structure.items() if k != "metadata"}:
        reasons.append("structure_changed")
    if now_structure.get("metadata") != standing.structure.get("metadata"):
        reasons.append("metadata_changed")  # issue 14: free text, licence, contact, keywords
    if earlier_embargo(c, sub, v) is not None:
        reasons.append("earlier_period_embargoed")  # issue 14: periods are published in order
    if ledger.corrected_entry(c, sub, v) is not None:  # a correction is not a later period: the DPO decides
        reasons.append("correction")
    warnings = [f for f in (v.findings or []) if f.get("severity") in ("warning", "error")]
    if warnings:
        reasons.append("engine_findings")
        found.extend(warnings)
    result = ledger.check_version(c, sub, v)
    # any cross-release finding, warnings included (e.g. categories broken down differently), needs a human
    xrel = [f for f in (result.findings if result is not None else ()) if f.severity.value != "info"]
    if xrel:
        reasons.append("cross_release_findings")
        found.extend(f.to_dict() for f in xrel)
    return reasons, found


def after_submit(c, sub: Submission) -> Submission:
    """Called after a submission reached SUBMITTED: release it under a standing approval when clean."""
    from publisher.services import review

    standing = active_standing_approval(c, sub.series_id)
    if standing is None or sub.state != State.SUBMITTED.value:
        c.session.rollback()
        return sub
    try:
        reasons, found = _reasons(c, sub, standing)
    except BaseException:
        c.session.rollback()
        raise
    dpo = c.session.get(User, standing.approved_by_id)
    if not reasons and dpo is not None and dpo.active and Role(dpo.role) == Role.APPROVER:
        from publisher.manifest import current as current_manifest

        sha = current_manifest(c, sub).sha256  # issue 14: the standing approval binds the whole manifest
        try:
            sub = review.approve(c, dpo, sub.id, sha, comment=f"Daueranfrage {standing.id} (automatisch)")
        except E.ServiceError as exc:  # e.g. two approvals required or a race: manual review
            c.session.rollback()
            reasons, found = ["approval_refused"], [f.to_dict() for f in exc.findings]
        else:
            if sub.state == State.APPROVED.value:
                try:
                    audit.record(c.session, "system", "series.standing_release", sub,
                                 {"standing_approval": standing.id, "manifest_sha256": sha,
                                  "approved_on_behalf_of": dpo.username})
                    notify(c, "standing_release", sub.id, {"standing_approval": standing.id,
                                                           "manifest_sha256": sha}, user_id=dpo.id)
                    mail.enqueue(c, "series.standing_release", sub, actor=dpo)  # issue 18: e-mail to the DPO
                    c.session.commit()
                except BaseException:
                    c.session.rollback()
                    raise
                return sub
            reasons = ["approval_refused"]
    elif not reasons:
        reasons = ["approver_inactive"]
    try:
        audit.record(c.session, "system", "series.standing_review_needed", sub,
                     {"standing_approval": standing.id, "reasons": reasons})
        notify(c, "review_needed", sub.id, {"standing_approval": standing.id, "reasons": reasons,
                                            "findings": found}, user_id=standing.approved_by_id)
        c.session.commit()
    except BaseException:
        c.session.rollback()
        raise
    c.session.refresh(sub)
    return sub


__all__ = ["earlier_embargo", "STANDING_METADATA", "embargo_time", "set_embargo", "upcoming_releases", "embargo_for", "structure_of",
           "grant_standing_approval", "revoke_standing_approval", "active_standing_approval", "after_submit",
           "notify", "notifications"]
