"""The release ledger (append-only) and the cross-release checks against it (issue 8).

* :func:`append` adds one row for a release that was just published - called by
  :func:`publisher.services.review.complete_publication` inside its transaction, so the ledger row exists
  exactly when the submission is PUBLISHED.  There is no update or delete function (and the table refuses
  both, see :mod:`publisher.models_ledger`).
* :func:`release_for_version` turns a submission version (its approved artifact) into the engine's
  :class:`disclosure_rules.crossrelease.Release`; :func:`ledger_releases` does the same for ledger rows.
* :func:`check_version` runs :func:`disclosure_rules.crossrelease.check` of a version against the ledger;
  :func:`require_clean` raises ``WrongState`` (409) carrying the blocking findings.
* Corrections and versions (issue 8): a submission whose reference period is already in the ledger for its
  series is a **correction** of the latest such release (:func:`corrected_entry`); it needs a reason
  (``meta.correction_reason``, :func:`require_correction_reason`) and supersedes the corrected release in
  the cross-release checks (superseded rows stay in the ledger but are no longer fed to the checks).
  :func:`release_version_for` computes the semver from the ledger (new period = next minor, correction =
  patch + 1), :func:`revised_keys` the cells to mark ``r``, :func:`changelog` the version notes of the
  series.
"""
from __future__ import annotations

from catalog.releasetable import NOTHING, SECRET

from typing import Any

from sqlalchemy import select

import datetime as dt
import re

from disclosure_rules.crossrelease import (CheckParams, CrossReleaseResult, Reference, Release, check, make_cells,
                                          relevant)
from disclosure_rules.findings import Finding, Severity, register
from publisher.models import Submission, SubmissionVersion
from publisher.models_ledger import LedgerEntry
from publisher.services import errors as E
from publisher.workflow import State

CORRECTION_REASON_REQUIRED = register(
    "publisher.correction.reason_required", Severity.ERROR,
    "Für den Zeitraum {period} ist in dieser Reihe schon Version {version} (veröffentlicht am {date}) "
    "erschienen: diese Einreichung ist eine Korrektur und braucht einen Grund (Feld „Grund der Korrektur“).",
    "Version {version} of this series (published on {date}) already covers the period {period}: this "
    "submission is a correction and needs a reason (field 'Reason for correction').")

AUDIENCE_LABEL = {"public": "öffentlich", "restricted": "eingeschränkt"}


def population_of(sub: Submission, version: SubmissionVersion) -> str:
    """Releases with the same population are checked together: ``meta.population`` or the series slug."""
    return str((version.meta or {}).get("population") or sub.series.slug)


def period_of(version: SubmissionVersion) -> str:
    return str((version.meta or {}).get("reference_period") or "")


def label_for(sub: Submission, version: SubmissionVersion, release_version: str) -> str:
    audience = (version.meta or {}).get("audience") or "public"
    return (f"{sub.series.slug} {release_version} ({period_of(version)}, "
            f"{AUDIENCE_LABEL.get(audience, audience)}, Einreichung {sub.id})")


def _engine_hierarchy(c, version: SubmissionVersion):
    from publisher.services import reference

    return reference.engine_hierarchy(c, version.hierarchy)


def _artifact_frame(c, version: SubmissionVersion):
    from publisher.publication import parse_artifact

    return parse_artifact(c.store.get(version.artifact_sha256, verify=True))


def _cells_rows(frame) -> tuple[list[str], list[dict]]:
    dims = [col for col in frame.columns if col not in ("level", "area", "count", "status")]
    rows = []
    for rec in frame.astype(object).where(frame.notna(), None).to_dict(orient="records"):
        count = rec.get("count")
        rows.append({"level": str(rec["level"]), "area": str(rec["area"]),
                     "dims": {d: str(rec[d]) for d in dims},
                     "count": None if count is None else int(count),
                     "symbol": SECRET if count is None else (NOTHING if rec.get("status") == "zero" else "")})
    return dims, rows


def _membership(eh, rows: list[dict]) -> tuple[str, dict[str, list[str]]]:
    finest = eh.levels[0]
    out: dict[str, list[str]] = {}
    for level in sorted({r["level"] for r in rows} - {finest}):
        if level not in eh.levels:
            continue
        amap = eh.ancestor_map(finest, level)
        wanted = {r["area"] for r in rows if r["level"] == level}
        for code, anc in amap.items():
            if anc in wanted:
                out.setdefault(anc, []).append(code)
    return finest, {a: sorted(v) for a, v in out.items()}


def _to_release(*, label, series, population, period, audience, level, finest, hierarchy_label, dims, membership,
                rows) -> Release:
    cells = make_cells(({"area": r["area"], **r["dims"], "count": r["count"], "level": r.get("level") or "",
                         "status": "suppressed" if r["count"] is None else "ok"} for r in rows), dims)
    return Release(label=label, series=series, period=period, audience=audience, level=level or "",
                   finest_level=finest, hierarchy=hierarchy_label, membership=membership, cells=cells,
                   population=population, dimensions=tuple(dims))


def release_for_version(c, sub: Submission, version: SubmissionVersion, release_version: str = "neu") -> Release:
    frame = _artifact_frame(c, version)
    dims, rows = _cells_rows(frame)
    eh = _engine_hierarchy(c, version)
    finest, membership = _membership(eh, rows)
    return _to_release(label=label_for(sub, version, release_version), series=sub.series.slug,
                       population=population_of(sub, version), period=period_of(version),
                       audience=(version.meta or {}).get("audience") or "public", level=version.level,
                       finest=finest, hierarchy_label=version.hierarchy.label, dims=dims, membership=membership,
                       rows=rows)


def _entry_release(e: LedgerEntry) -> Release:
    return _to_release(label=e.label, series=str(e.series_id), population=e.population, period=e.period,
                       audience=e.audience, level=e.level, finest=e.finest_level,
                       hierarchy_label=e.hierarchy_label, dims=list(e.dimensions or []),
                       membership=dict(e.membership or {}), rows=list(e.cells or []))


def superseded_ids(c) -> set[int]:
    """Ledger rows replaced by a later correction (same series and period, a later row)."""
    latest: dict[tuple, int] = {}
    rows = c.session.execute(select(LedgerEntry.id, LedgerEntry.series_id, LedgerEntry.period)).all()
    for i, series_id, period in rows:
        key = (series_id, period)
        latest[key] = max(latest.get(key, 0), i)
    return {i for i, series_id, period in rows if latest[(series_id, period)] != i}


def ledger_releases(c, population: str | None = None, exclude_submission: int | None = None,
                    exclude_ids: set[int] | frozenset[int] = frozenset(), populations: set[str] | None = None,
                    series_id: int | None = None, with_entries: bool = False):
    """The ledger as engine releases; superseded rows (corrected later) are left out: their correction
    stands for them.  ``populations``/``series_id``: rows of any of these populations or of this series."""
    q = select(LedgerEntry).order_by(LedgerEntry.id)
    if population is not None:
        q = q.where(LedgerEntry.population == population)
    if populations is not None:
        cond = LedgerEntry.population.in_(sorted(populations))
        if series_id is not None:
            cond = cond | (LedgerEntry.series_id == series_id)
        q = q.where(cond)
    skip = superseded_ids(c) | set(exclude_ids)
    out = []
    for e in c.session.execute(q).scalars():
        if exclude_submission is not None and e.submission_id == exclude_submission:
            continue
        if e.id in skip:
            continue
        out.append((e, _entry_release(e)) if with_entries else _entry_release(e))
    return out


def entries(c, series_id: int | None = None) -> list[LedgerEntry]:
    q = select(LedgerEntry).order_by(LedgerEntry.id)
    if series_id is not None:
        q = q.where(LedgerEntry.series_id == series_id)
    return list(c.session.execute(q).scalars())


def append(c, sub: Submission, version: SubmissionVersion, release_version: str) -> LedgerEntry:
    """One ledger row for the release just published (no commit: the caller's transaction)."""
    frame = _artifact_frame(c, version)
    dims, rows = _cells_rows(frame)
    eh = _engine_hierarchy(c, version)
    finest, membership = _membership(eh, rows)
    entry = LedgerEntry(
        published_at=c.now(), series_id=sub.series_id, submission_id=sub.id, version_id=version.id,
        label=label_for(sub, version, release_version), population=population_of(sub, version),
        period=period_of(version), release_version=release_version,
        audience=(version.meta or {}).get("audience") or "public", level=version.level or "",
        finest_level=finest, hierarchy_id=version.hierarchy_id, hierarchy_label=version.hierarchy.label,
        dimensions=dims, membership=membership, cells=rows, artifact_sha256=version.artifact_sha256 or "")
    c.session.add(entry)
    c.session.flush()
    return entry


def params_for(c, version: SubmissionVersion) -> CheckParams:
    from publisher.services import reference

    return CheckParams.from_rules(reference.engine_rules(c, version.rule_set))


def check_version(c, sub: Submission, version: SubmissionVersion) -> CrossReleaseResult | None:
    """Cross-release checks of this version against the ledger (None when nothing is publishable).

    A correction supersedes the release it corrects: the corrected release (and its own predecessors of that
    period) is not part of the union audit, only compared cell by cell for small changes (a warning)."""
    from publisher.services import populations
    from publisher.services.truth import release_truth

    if not version.artifact_sha256:
        return None
    reference = populations.engine_reference(c)
    cand = release_for_version(c, sub, version)
    cand = cand.with_truth(release_truth(c, version, cand))
    corrected = corrected_entry(c, sub, version)
    replaced = {e.id for e in _same_period(c, sub.series_id, period_of(version), sub.id)} if corrected else set()
    pairs = ledger_releases(c, exclude_submission=sub.id, exclude_ids=replaced, with_entries=True,
                            populations=set(reference.family(cand.population_key)), series_id=sub.series_id)
    wanted = {r.label for r in relevant(cand, [r for _, r in pairs], reference)}
    others = [_with_entry_truth(c, e, r) if r.label in wanted else r for e, r in pairs]
    old = None
    if corrected is not None:
        old = _with_entry_truth(c, corrected, _entry_release(corrected))
    return check(cand, others, params_for(c, version), corrected=old, reference=reference)


def _with_entry_truth(c, e: LedgerEntry, r: Release) -> Release:
    """The release with the true counts of its cells, while the raw data of its version is still stored."""
    from publisher.services.truth import release_truth

    v = c.session.get(SubmissionVersion, e.version_id)
    return r.with_truth(release_truth(c, v, r)) if v is not None else r


# --- corrections, versions, changelog ---------------------------------------------------------------------

def own_entry(c, sub: Submission) -> LedgerEntry | None:
    return c.session.execute(select(LedgerEntry).where(LedgerEntry.submission_id == sub.id)
                             .order_by(LedgerEntry.id.desc()).limit(1)).scalar_one_or_none()


def _same_period(c, series_id: int | None, period: str, submission_id: int | None,
                 before: int | None = None) -> list[LedgerEntry]:
    if series_id is None or not period:
        return []
    q = select(LedgerEntry).where(LedgerEntry.series_id == series_id, LedgerEntry.period == period)
    if submission_id is not None:
        q = q.where(LedgerEntry.submission_id != submission_id)
    if before is not None:
        q = q.where(LedgerEntry.id < before)
    return list(c.session.execute(q.order_by(LedgerEntry.id)).scalars())


def corrected_entry_for(c, series_id: int | None, period: str, submission_id: int | None = None,
                        before: int | None = None) -> LedgerEntry | None:
    """The release a submission of ``series_id`` for ``period`` would correct: the latest ledger row of that
    series and period (None: a new period)."""
    rows = _same_period(c, series_id, period, submission_id, before)
    return rows[-1] if rows else None


def corrected_entry(c, sub: Submission, version: SubmissionVersion) -> LedgerEntry | None:
    own = own_entry(c, sub)  # already published: what it corrected then, not what came after
    return corrected_entry_for(c, sub.series_id, period_of(version), sub.id, own.id if own else None)


def reason_missing(entry: LedgerEntry) -> Finding:
    return Finding(CORRECTION_REASON_REQUIRED, {"period": entry.period, "version": entry.release_version,
                                                "date": _date(entry.published_at)}, column="correction_reason")


def require_correction_reason(c, sub: Submission, version: SubmissionVersion, exc=E.WrongState) -> None:
    """A correction without ``meta.correction_reason`` is refused (``exc``, default 409) with the code
    ``publisher.correction.reason_required``."""
    corr = corrected_entry(c, sub, version)
    if corr is not None and not str((version.meta or {}).get("correction_reason") or "").strip():
        raise exc(reason_missing(corr))


def _date(value: dt.datetime | None) -> str:
    return value.date().isoformat() if value is not None else ""


def cell_key(level: Any, area: Any, dims: dict) -> tuple:
    """The key of a published cell: (level, area, sorted (dimension, category) pairs) - plain strings."""
    return str(level), str(area), tuple(sorted((str(k), str(v)) for k, v in (dims or {}).items()))


def _keyed(cells: list[dict]) -> dict[tuple, tuple]:
    return {cell_key(r.get("level", ""), r["area"], r.get("dims")): (r.get("count"), r.get("symbol") or "")
            for r in cells}


def _cell_diff(old_cells: list[dict], new_cells: list[dict]) -> dict[str, Any]:
    old, new = _keyed(old_cells), _keyed(new_cells)
    changed = {k for k, v in new.items() if k in old and old[k] != v}
    added = {k for k in new if k not in old}
    return {"changed": changed, "added": added, "removed": {k for k in old if k not in new}}


def _diff_with(c, corr: LedgerEntry, version: SubmissionVersion, frame=None) -> dict[str, Any]:
    """Cell diff of the version's artifact (``frame``: already parsed by the caller) against ``corr``."""
    _, rows = _cells_rows(frame if frame is not None else _artifact_frame(c, version))
    return _cell_diff(list(corr.cells or []), rows)


def revised_keys(c, sub: Submission, version: SubmissionVersion, frame=None) -> frozenset[tuple] | None:
    """Cells of a correction to mark ``r``: value or symbol differs from the corrected release, or the cell
    is new.  None when the version is not a correction.  ``frame``: the parsed artifact, when the caller
    has it (the worker), so it is not read from storage again."""
    corr = corrected_entry(c, sub, version)
    if corr is None or not version.artifact_sha256:
        return None
    d = _diff_with(c, corr, version, frame)
    return frozenset(d["changed"] | d["added"])


def correction_info(c, sub: Submission, version: SubmissionVersion) -> dict[str, Any] | None:
    """For the DPO: which release this corrects (version, date, period), the reason, how many cells change."""
    corr = corrected_entry(c, sub, version)
    if corr is None:
        return None
    info: dict[str, Any] = {
        "ledger_id": corr.id, "version": corr.release_version, "published_at": corr.published_at,
        "date": _date(corr.published_at), "period": corr.period, "submission_id": corr.submission_id,
        "label": corr.label, "reason": str((version.meta or {}).get("correction_reason") or ""),
        "changed": None, "added": None, "removed": None, "revised": None,
    }
    if version.artifact_sha256:
        try:
            d = _diff_with(c, corr, version)
        except Exception:  # pragma: no cover - unreadable artifact: show the release without counts
            return info
        info.update(changed=len(d["changed"]), added=len(d["added"]), removed=len(d["removed"]),
                    revised=len(d["changed"]) + len(d["added"]))
    return info


_SEMVER = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")


def _semver(text: str) -> tuple[int, int, int] | None:
    m = _SEMVER.match(text or "")
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def release_version_for(c, sub: Submission, version: SubmissionVersion) -> str:
    """Semver of this release, from the ledger: a correction is the corrected release's version with patch
    + 1 (1.3.0 → 1.3.1 → 1.3.2); a new period is the next minor ``1.N.0`` (N = distinct periods of the series
    already published, plus earlier approved submissions of new periods still on their way)."""
    own = own_entry(c, sub)
    if own is not None:  # a job re-run after publication: the version it was published as
        return own.release_version
    corr = corrected_entry(c, sub, version)
    if corr is not None and (sv := _semver(corr.release_version)) is not None:
        return f"{sv[0]}.{sv[1]}.{sv[2] + 1}"
    rows = [e for e in entries(c, sub.series_id) if e.submission_id != sub.id]
    periods = {e.period for e in rows}
    majors = [sv for e in rows if (sv := _semver(e.release_version)) is not None]
    major = max((m[0] for m in majors), default=1)
    minor = max(len(periods), max((m[1] + 1 for m in majors if m[0] == major), default=0))
    in_flight = c.session.execute(select(Submission).where(
        Submission.series_id == sub.series_id, Submission.id < sub.id,
        Submission.state.in_([State.APPROVED.value, State.PUBLISHING.value]))).scalars().all()
    mine = period_of(version)
    pending = {period_of(s.current_version) for s in in_flight if s.current_version is not None} - periods - {mine}
    return f"{major}.{minor + len(pending)}.0"


def _notes(entry_period: str, corrected: LedgerEntry | None, reason: str, revised: int | None) -> str:
    if corrected is None:
        return f"Neuer Berichtszeitraum {entry_period}"
    cells = "" if revised is None else f" ({revised} {'Zelle' if revised == 1 else 'Zellen'} berichtigt, " \
                                           f"gekennzeichnet mit r)"
    return f"Korrektur von Version {corrected.release_version}: {reason or 'ohne Angabe'}{cells}"


def version_notes(c, sub: Submission, version: SubmissionVersion,
                  revised: frozenset[tuple] | None = None) -> str:
    corr = corrected_entry(c, sub, version)
    reason = str((version.meta or {}).get("correction_reason") or "").strip()
    if corr is not None and revised is None:
        revised = revised_keys(c, sub, version)
    return _notes(period_of(version), corr, reason, None if revised is None else len(revised))


def _release_date(c, e: LedgerEntry) -> str:
    """The date a release's package names (``created`` = its approval), else its publication date."""
    from publisher.models import Decision

    d = c.session.execute(select(Decision.created_at).where(
        Decision.version_id == e.version_id, Decision.action == "approve",
        Decision.invalidated_at.is_(None)).order_by(Decision.id.desc()).limit(1)).scalar_one_or_none()
    return _date(d or e.published_at)


def changelog(c, sub: Submission, version: SubmissionVersion, *, release_version: str, date: dt.date | str,
              notes: str) -> list[dict[str, str]]:
    """All releases of the series so far (from the ledger) plus this one: ``{version, date, period, notes}``."""
    out: list[dict[str, str]] = []
    rows = [e for e in entries(c, sub.series_id) if e.submission_id != sub.id]
    for i, e in enumerate(rows):
        prev = [p for p in rows[:i] if p.period == e.period]
        corrected = prev[-1] if prev else None
        reason, revised = "", None
        if corrected is not None:
            v = c.session.get(SubmissionVersion, e.version_id)
            reason = str(((v.meta if v is not None else None) or {}).get("correction_reason") or "").strip()
            d = _cell_diff(list(corrected.cells or []), list(e.cells or []))
            revised = len(d["changed"]) + len(d["added"])
        out.append({"version": e.release_version, "date": _release_date(c, e), "period": e.period,
                    "notes": _notes(e.period, corrected, reason, revised)})
    out.append({"version": release_version, "date": date if isinstance(date, str) else date.isoformat(),
                "period": period_of(version), "notes": notes})
    return out


def require_clean(c, sub: Submission, version: SubmissionVersion) -> CrossReleaseResult | None:
    """Raise WrongState (HTTP 409) with the blocking cross-release findings, if any."""
    result = check_version(c, sub, version)
    if result is not None and result.blocking:
        raise E.WrongState(list(result.blocking))
    return result


def gate_before_publication(c, sub: Submission, version: SubmissionVersion) -> CrossReleaseResult | None:
    """The worker's last check before anything leaves Freigabe: the ledger may have grown since approval
    (e.g. another release of the same population published meanwhile, or an embargo ran).  Raises
    :class:`publisher.publication.PublicationRefused` (job fails for good, ``publication.alert``) with the
    blocking findings."""
    from publisher.publication import PublicationRefused

    corr = corrected_entry(c, sub, version)
    if corr is not None and not str((version.meta or {}).get("correction_reason") or "").strip():
        f = reason_missing(corr)
        raise PublicationRefused(f.code, f.message("de"), f.message("en"), {"corrects": corr.release_version})
    result = check_version(c, sub, version)
    if result is not None and result.blocking:
        first = result.blocking[0]
        raise PublicationRefused(
            first.code,
            "Prüfung über Veröffentlichungen hinweg vor der Veröffentlichung: " + first.message("de"),
            "Cross-release check before publication: " + first.message("en"),
            {"findings": [f.to_dict() for f in result.blocking]})
    return result


def release_version_from(result: dict[str, Any] | None) -> str:
    """The release version the targets' results (target key → result) report."""
    for target_result in (result or {}).values():
        v = (target_result or {}).get("version") if isinstance(target_result, dict) else None
        if v:
            return str(v)
    return "1.0.0"


__all__ = ["append", "entries", "check_version", "corrected_entry", "corrected_entry_for", "correction_info",
           "require_correction_reason", "release_version_for", "revised_keys", "version_notes", "changelog",
           "cell_key", "superseded_ids", "CORRECTION_REASON_REQUIRED", "require_clean", "gate_before_publication", "ledger_releases", "release_for_version",
           "population_of", "period_of", "label_for", "release_version_from"]
