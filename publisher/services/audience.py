"""One audience never learns about another (issue 14 item 4).

Everything a release carries about other releases - the changelog, the version notes, the ``r`` marks of a
correction, the corrected release it names - is computed only from the ledger entries that *everyone who
may read this release* may also read:

* a public release sees public releases only;
* a restricted release for the groups G sees public releases and restricted releases whose groups include
  every group of G (a reader of any group in G may read them).

So a public correction of a period that was published only to a group is, for the public, a new period: no
``r`` marks (unmarked cells would otherwise be the group's values), no note naming the restricted version.
Version labels stay unique over the whole series (the download area keys files by version), so a label may
skip numbers that belong to releases of another audience; it never names them.

:func:`may_read` is the reading rule for viewers (users) used by the read side: diff tables shown to a
submitter compare only with releases the submitter may read.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from publisher.models import Submission, SubmissionVersion
from publisher.models_ledger import LedgerEntry
from publisher.services import ledger
from publisher.workflow import Role


def audience_of(version: SubmissionVersion | None) -> tuple[str, frozenset[str]]:
    meta = (version.meta if version is not None else None) or {}
    aud = meta.get("audience") or "public"
    return aud, frozenset(meta.get("groups") or []) if aud == "restricted" else frozenset()


def covers(reader: tuple[str, frozenset[str]], other: tuple[str, frozenset[str]]) -> bool:
    """May every reader of a release with audience ``reader`` also read a release with audience ``other``?"""
    if other[0] == "public":
        return True
    if reader[0] == "public":
        return False
    return bool(reader[1]) and reader[1] <= other[1]


def may_read(user, version: SubmissionVersion | None) -> bool:
    """May ``user`` (None = anonymous) read a release of ``version``?  Staff roles approver/admin read all."""
    aud, groups = audience_of(version)
    if aud == "public":
        return True
    if user is None or not getattr(user, "active", False):
        return False
    if Role(user.role) in (Role.APPROVER, Role.ADMIN):
        return True
    return bool(groups & {g.name for g in user.groups})


def _entry_audience(c, e: LedgerEntry) -> tuple[str, frozenset[str]]:
    v = c.session.get(SubmissionVersion, e.version_id)
    aud, groups = audience_of(v)
    return (e.audience or aud), groups


def visible_entries(c, sub: Submission, version: SubmissionVersion) -> list[LedgerEntry]:
    """Ledger entries of the series (other submissions) that every reader of ``version`` may read."""
    me = audience_of(version)
    return [e for e in ledger.entries(c, sub.series_id)
            if e.submission_id != sub.id and covers(me, _entry_audience(c, e))]


def corrected_entry(c, sub: Submission, version: SubmissionVersion) -> LedgerEntry | None:
    """The release this version corrects *for its audience*: the latest visible entry of the same period
    (published before this one when it is itself published already)."""
    own = ledger.own_entry(c, sub)
    period = ledger.period_of(version)
    rows = [e for e in visible_entries(c, sub, version) if e.period == period and (own is None or e.id < own.id)]
    return rows[-1] if rows else None


def revised_keys(c, sub: Submission, version: SubmissionVersion, frame=None) -> frozenset[tuple] | None:
    corr = corrected_entry(c, sub, version)
    if corr is None or not version.artifact_sha256:
        return None
    d = ledger._diff_with(c, corr, version, frame)
    return frozenset(d["changed"] | d["added"])


def version_notes(c, sub: Submission, version: SubmissionVersion, revised: frozenset[tuple] | None) -> str:
    corr = corrected_entry(c, sub, version)
    reason = str((version.meta or {}).get("correction_reason") or "").strip()
    return ledger._notes(ledger.period_of(version), corr, reason, None if revised is None else len(revised))


def release_version(c, sub: Submission, version: SubmissionVersion) -> str:
    """Semver, unique in the series: a correction (for this audience) is the corrected release's
    ``major.minor`` with the next free patch; anything else a new minor (:func:`ledger.release_version_for`
    without a correction)."""
    own = ledger.own_entry(c, sub)
    if own is not None:
        return own.release_version
    corr = corrected_entry(c, sub, version)
    if corr is not None and (sv := ledger._semver(corr.release_version)) is not None:
        patches = [p[2] for e in ledger.entries(c, sub.series_id)
                   if (p := ledger._semver(e.release_version)) is not None and p[:2] == sv[:2]]
        return f"{sv[0]}.{sv[1]}.{max(patches + [sv[2]]) + 1}"
    label = ledger.release_version_for(c, sub, version)
    if ledger.corrected_entry(c, sub, version) is None:
        return label
    # a correction only of releases this audience cannot read: a new minor version for this audience
    rows = [e for e in ledger.entries(c, sub.series_id) if e.submission_id != sub.id]
    majors = [sv for e in rows if (sv := ledger._semver(e.release_version)) is not None]
    major = max((m[0] for m in majors), default=1)
    minor = max((m[1] + 1 for m in majors if m[0] == major), default=0)
    return f"{major}.{minor}.0"


def changelog(c, sub: Submission, version: SubmissionVersion, *, release_version: str, date: dt.date | str,
              notes: str) -> list[dict[str, str]]:
    """The releases of the series this audience may read, plus this one."""
    rows = visible_entries(c, sub, version)
    out: list[dict[str, Any]] = []
    for i, e in enumerate(rows):
        prev = [p for p in rows[:i] if p.period == e.period]
        corrected = prev[-1] if prev else None
        reason, revised = "", None
        if corrected is not None:
            v = c.session.get(SubmissionVersion, e.version_id)
            reason = str(((v.meta if v is not None else None) or {}).get("correction_reason") or "").strip()
            d = ledger._cell_diff(list(corrected.cells or []), list(e.cells or []))
            revised = len(d["changed"]) + len(d["added"])
        out.append({"version": e.release_version, "date": ledger._release_date(c, e), "period": e.period,
                    "notes": ledger._notes(e.period, corrected, reason, revised)})
    out.append({"version": release_version, "date": date if isinstance(date, str) else date.isoformat(),
                "period": ledger.period_of(version), "notes": notes})
    return out


HIDDEN_LABEL = "[Veröffentlichung, die Sie nicht lesen dürfen / a release you may not read]"


def hidden_labels(c, user) -> list[str]:
    """Ledger labels (how findings and reports name releases) of releases ``user`` may not read."""
    from sqlalchemy import select

    out = []
    for e in c.session.execute(select(LedgerEntry).order_by(LedgerEntry.id)).scalars():
        if not may_read(user, c.session.get(SubmissionVersion, e.version_id)):
            out.append(e.label)
    return sorted(set(out), key=len, reverse=True)


def redact(c, user, obj: Any) -> Any:
    """``obj`` (report, findings: JSON data) with every release ``user`` may not read named only as
    :data:`HIDDEN_LABEL` (the cross-release checks compare against every audience; their reports must not
    tell a submitter which restricted releases exist)."""
    import json

    labels = hidden_labels(c, user)
    if not labels or obj is None:
        return obj
    text = json.dumps(obj, ensure_ascii=False)
    for label in labels:
        text = text.replace(json.dumps(label, ensure_ascii=False)[1:-1], HIDDEN_LABEL)
    return json.loads(text)


__all__ = ["redact", "hidden_labels", "audience_of", "covers", "may_read", "visible_entries", "corrected_entry", "revised_keys",
           "version_notes", "release_version", "changelog"]
