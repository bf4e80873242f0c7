"""The release ledger (append-only) and the cross-release checks against it (issue 8).

* :func:`append` adds one row for a release that was just published - called by
  :func:`publisher.services.review.complete_publication` inside its transaction, so the ledger row exists
  exactly when the submission is PUBLISHED.  There is no update or delete function (and the table refuses
  both, see :mod:`publisher.models_ledger`).
* :func:`release_for_version` turns a submission version (its approved artifact) into the engine's
  :class:`disclosure_rules.crossrelease.Release`; :func:`ledger_releases` does the same for ledger rows.
* :func:`check_version` runs :func:`disclosure_rules.crossrelease.check` of a version against the ledger;
  :func:`require_clean` raises ``WrongState`` (409) carrying the blocking findings.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from disclosure_rules.crossrelease import CheckParams, CrossReleaseResult, Release, check, make_cells
from publisher.models import Submission, SubmissionVersion
from publisher.models_ledger import LedgerEntry
from publisher.services import errors as E

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
                     "symbol": "." if count is None else ("-" if rec.get("status") == "zero" else "")})
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
    cells = make_cells(({"area": r["area"], **r["dims"], "count": r["count"],
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


def ledger_releases(c, population: str | None = None, exclude_submission: int | None = None) -> list[Release]:
    q = select(LedgerEntry).order_by(LedgerEntry.id)
    if population is not None:
        q = q.where(LedgerEntry.population == population)
    out = []
    for e in c.session.execute(q).scalars():
        if exclude_submission is not None and e.submission_id == exclude_submission:
            continue
        out.append(_to_release(label=e.label, series=str(e.series_id), population=e.population, period=e.period,
                               audience=e.audience, level=e.level, finest=e.finest_level,
                               hierarchy_label=e.hierarchy_label, dims=list(e.dimensions or []),
                               membership=dict(e.membership or {}), rows=list(e.cells or [])))
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
    """Cross-release checks of this version against the ledger (None when nothing is publishable)."""
    if not version.artifact_sha256:
        return None
    cand = release_for_version(c, sub, version)
    others = ledger_releases(c, population_of(sub, version), exclude_submission=sub.id)
    return check(cand, others, params_for(c, version))


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
    for target in ("download", "ckan"):
        v = ((result or {}).get(target) or {}).get("version")
        if v:
            return str(v)
    return "1.0.0"


__all__ = ["append", "entries", "check_version", "require_clean", "gate_before_publication", "ledger_releases", "release_for_version",
           "population_of", "period_of", "label_for", "release_version_from"]
