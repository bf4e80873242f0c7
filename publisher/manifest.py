"""The release manifest (issue 14 item 1): ONE canonical document per submission version that determines
what leaves Freigabe, where, for whom and from when.

An approval binds the sha256 of this document (``decisions.manifest_sha256``), not only the table's bytes:
table sha256, every published metadata field (title, description, keywords, period, source, licence,
contact, correction reason, public statement, publisher settings), audience and groups, targets, series
and population, hierarchy version, rule-set id and version, and the embargo.  Anything that changes one of
them changes the sha256, so an approval of the old document no longer counts (:func:`publisher.services.
review.approve` refuses a stale ``manifest_sha256`` with 409 and voids approvals of another document).

Revisions: the base document of a version has no embargo.  An approver who sets (or changes) an embargo
approves a *derived* document (the reviewed one plus that embargo) and it is stored as a new revision
(``release_manifests``); with two approvals the second approver approves exactly that revision (the form
shows its embargo), and changing the embargo again voids the first approval (a new proposal).

The worker calls :func:`verify_job` before anything leaves: the job must name the manifest that every valid
approval of the version binds (two distinct active approvers when ``TWO_APPROVALS``), and the document
rebuilt from the database *now* must have exactly that sha256.  Any difference is refused for good.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from disclosure_rules.findings import Severity, register

FORMAT = "freigabe-release-manifest/1"
PUBLISHED_META = ("title", "description", "keywords", "reference_period", "source", "licence", "contact",
                  "correction_reason", "themes", "frequency")

MANIFEST_CHANGED = register(
    "publisher.manifest_changed", Severity.ERROR,
    "Die Freigabe gilt nur für genau das geprüfte Freigabe-Manifest (sha256 {expected}); das Manifest ist "
    "jetzt {actual}. Bitte die Seite neu laden und erneut prüfen.",
    "Approval applies only to exactly the reviewed release manifest (sha256 {expected}); the manifest is now "
    "{actual}. Please reload the page and review again.")
MANIFEST_REQUIRED = register(
    "publisher.manifest_required", Severity.ERROR,
    "Pflichtfeld „manifest_sha256“: die sha256 des geprüften Freigabe-Manifests.",
    "Required field 'manifest_sha256': the sha256 of the reviewed release manifest.")


@dataclass(frozen=True)
class Manifest:
    document: dict[str, Any]
    sha256: str

    @property
    def embargo_until(self) -> dt.datetime | None:
        return parse_time(self.document.get("embargo_until"))

    @property
    def targets(self) -> list[str]:
        return list(self.document.get("targets") or [])


def canonical(doc: dict[str, Any]) -> str:
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def digest(doc: dict[str, Any]) -> str:
    return hashlib.sha256(canonical(doc).encode("utf-8")).hexdigest()


def _iso(when: dt.datetime | None) -> str | None:
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.timezone.utc)
    return when.astimezone(dt.timezone.utc).replace(microsecond=0).isoformat()


def parse_time(text: Any) -> dt.datetime | None:
    if not text:
        return None
    when = dt.datetime.fromisoformat(str(text))
    return when if when.tzinfo else when.replace(tzinfo=dt.timezone.utc)


def normalise_embargo(when: dt.datetime | None) -> dt.datetime | None:
    return parse_time(_iso(when))


def targets_for(settings: dict, meta: dict) -> list[str]:
    """Where an approved version goes: the registry's targets for its audience (:mod:`publisher.targets`, the
    one place that names targets; restricted → never a public portal)."""
    from publisher.targets import registry

    return registry(settings).for_audience((meta or {}).get("audience") or "public")


_NEWEST = object()  # build(): bind the hierarchy's newest boundary set


def build(c, sub, version, embargo_until: dt.datetime | None = None, boundaries=_NEWEST) -> Manifest:
    """The manifest of ``version`` (with ``embargo_until``) from what is stored now.  ``boundaries`` (issue 17):
    the boundary-set entry to bind (default: the hierarchy's newest set; ``None``: none); the key is only
    present when a set is bound, so manifests of hierarchies without boundaries are unchanged."""
    from publisher.services.ledger import population_of

    meta = dict(version.meta or {})
    s = c.settings
    doc = {
        "format": FORMAT,
        "submission": sub.id,
        "version": version.number,
        "table": {"artifact_sha256": version.artifact_sha256, "outcome": version.outcome, "level": version.level,
                  "public_statement": dict(version.public_statement or {})},
        "metadata": {k: meta.get(k) for k in PUBLISHED_META if meta.get(k) not in (None, "", [])},
        "audience": meta.get("audience") or "public",
        "groups": sorted(meta.get("groups") or []),
        "targets": targets_for(s, meta),
        "series": {"slug": sub.series.slug, "title": sub.series.title},
        "population": population_of(sub, version),
        "hierarchy": {"id": version.hierarchy.id, "name": version.hierarchy.name,
                      "version": version.hierarchy.version, "file_sha256": version.hierarchy.file_sha256},
        "rule_set": {"id": version.rule_set.id, "name": version.rule_set.name, "version": version.rule_set.version},
        "publisher": {"name": s.get("PUBLISHER_NAME") or "Statistikstelle", "email": s.get("PUBLISHER_EMAIL") or None,
                      "geocoding_uri": s.get("GEOCODING_URI") or None, "topic": s.get("DOWNLOAD_TOPIC") or "statistik",
                      # issue 15: published in the DCAT-AP.de record of the release
                      "contributor_id": s.get("CONTRIBUTOR_ID") or None,
                      "default_themes": s.get("DEFAULT_THEMES") or None, "public_url": s.get("PUBLIC_URL") or None},
        "embargo_until": _iso(embargo_until),
    }
    if boundaries is _NEWEST:
        from publisher.services.boundaries import manifest_entry

        boundaries = manifest_entry(c, version.hierarchy)
    if boundaries:
        doc["boundaries"] = dict(boundaries)
    from publisher.services.reports import membership_of  # issue 17: the report a table is published in

    report = membership_of(c, sub)
    if report is not None:  # only for members: the manifests of other tables keep their sha256
        doc["report"] = report
    return Manifest(doc, digest(doc))


def stored(c, version_id: int, sha256: str | None):
    from publisher.models_trust import ReleaseManifest

    if not sha256:
        return None
    return c.session.execute(select(ReleaseManifest).where(
        ReleaseManifest.version_id == version_id, ReleaseManifest.sha256 == sha256)).scalar_one_or_none()


def from_row(row) -> Manifest:
    return Manifest(json.loads(row.document), row.sha256)


def _valid_approvals(sub, version) -> list:
    return [d for d in sub.decisions if d.action in ("approve", "approve_first") and d.invalidated_at is None
            and d.version_id == version.id]


def bound(c, sub) -> Manifest | None:
    """The manifest the latest valid approval of the current version binds (None: no approval yet)."""
    v = sub.current_version
    if v is None:
        return None
    for d in reversed(_valid_approvals(sub, v)):
        row = stored(c, v.id, d.manifest_sha256)
        if row is not None:
            return from_row(row)
    return None


def current(c, sub) -> Manifest:
    """What an approver approves now: the version's document with the embargo of a pending approval."""
    b = bound(c, sub)
    if b is None:
        return build(c, sub, sub.current_version, None)
    # a pending approval keeps its boundary set: a later upload does not change what it approved (issue 17)
    return build(c, sub, sub.current_version, b.embargo_until, b.document.get("boundaries"))


def store(c, actor, sub, m: Manifest):
    """Keep the document an approval binds (one row per distinct document of a version; no commit)."""
    from publisher.models_trust import ReleaseManifest

    v = sub.current_version
    row = stored(c, v.id, m.sha256)
    if row is not None:
        return row
    n = c.session.execute(select(func.count()).select_from(ReleaseManifest).where(
        ReleaseManifest.version_id == v.id)).scalar_one()
    row = ReleaseManifest(submission_id=sub.id, version_id=v.id, revision=int(n) + 1, sha256=m.sha256,
                          document=canonical(m.document), created_by_id=getattr(actor, "id", None),
                          created_at=c.now())
    c.session.add(row)
    c.session.flush()
    return row


def revisions(c, version_id: int) -> list:
    from publisher.models_trust import ReleaseManifest

    return list(c.session.execute(select(ReleaseManifest).where(ReleaseManifest.version_id == version_id)
                                  .order_by(ReleaseManifest.revision)).scalars())


# --- the worker's check -------------------------------------------------------------------------------------

def _refuse(code: str, de: str, en: str, details: dict | None = None):
    from publisher.publication import PublicationRefused

    return PublicationRefused(code, de, en, details or {})


def verify_job(c, job, sub, version) -> Manifest:
    """Raise ``PublicationRefused`` unless ``job`` carries exactly the manifest its approvals bind and the
    manifest rebuilt from the database now is byte for byte that document."""
    from publisher.models import User
    from publisher.workflow import Role

    row = stored(c, version.id, job.manifest_sha256)
    if row is None:
        raise _refuse("FG-PUB-MANIFEST-MISSING",
                      "Der Auftrag nennt kein freigegebenes Freigabe-Manifest dieser Version.",
                      "The job names no approved release manifest of this version.",
                      {"manifest_sha256": job.manifest_sha256})
    approved = from_row(row)
    valid = _valid_approvals(sub, version)
    if not any(d.action == "approve" for d in valid):
        raise _refuse("FG-PUB-NOT-APPROVED", "Für diese Version gibt es keine gültige Freigabe.",
                      "There is no valid approval of this version.")
    others = sorted({d.manifest_sha256 or "-" for d in valid} - {approved.sha256})
    if others:
        raise _refuse("FG-PUB-MANIFEST-SPLIT",
                      "Die Freigaben dieser Version binden verschiedene Freigabe-Manifeste.",
                      "The approvals of this version bind different release manifests.",
                      {"job": approved.sha256, "others": others})
    authors = {sub.submitter_id} | {x.created_by_id for x in sub.versions}
    approvers = set()
    for d in valid:
        user = c.session.get(User, d.actor_id)
        if user is None or not user.active or user.role != Role.APPROVER.value or d.actor_id in authors:
            raise _refuse("FG-PUB-APPROVER-INVALID",
                          f"Die Freigabe von {getattr(user, 'username', d.actor_id)} gilt nicht mehr (Konto "
                          "deaktiviert, Rolle geändert oder selbst eingereicht).",
                          f"The approval by {getattr(user, 'username', d.actor_id)} no longer counts (account "
                          "disabled, role changed or own submission).", {"approver": d.actor_id})
        approvers.add(d.actor_id)
    if c.settings.get("TWO_APPROVALS") and len(approvers) < 2:
        raise _refuse("FG-PUB-TWO-APPROVALS", "Zwei Freigaben verschiedener Personen sind nötig.",
                      "Two approvals by different people are needed.")
    now_doc = build(c, sub, version, approved.embargo_until, approved.document.get("boundaries"))
    if now_doc.sha256 != approved.sha256:
        changed = sorted(k for k in set(now_doc.document) | set(approved.document)
                         if now_doc.document.get(k) != approved.document.get(k))
        raise _refuse("FG-PUB-MANIFEST-CHANGED",
                      "Das Freigabe-Manifest hat sich seit der Freigabe geändert (" + ", ".join(changed)
                      + "); eine neue Freigabe ist nötig.",
                      "The release manifest changed since approval (" + ", ".join(changed)
                      + "); a new approval is needed.", {"changed": changed, "approved": approved.sha256,
                                                         "now": now_doc.sha256})
    if job.target not in approved.targets or job.artifact_sha256 != (approved.document.get("table") or {}).get(
            "artifact_sha256"):
        raise _refuse("FG-PUB-MANIFEST-TARGET",
                      f"Ziel {job.target} oder Tabelle des Auftrags stehen nicht im freigegebenen Manifest.",
                      f"Target {job.target} or the job's table is not in the approved manifest.")
    when = approved.embargo_until
    if when is not None and c.now() < when:
        raise _refuse("FG-PUB-EMBARGO", f"Sperrfrist bis {when.isoformat()} ist noch nicht abgelaufen.",
                      f"The embargo until {when.isoformat()} has not ended yet.")
    return approved


# --- plain German for the review page -----------------------------------------------------------------------

META_LABELS = {"title": ("Titel", "Title"), "description": ("Beschreibung", "Description"),
               "keywords": ("Schlagwörter", "Keywords"), "reference_period": ("Bezugszeitraum", "Reference period"),
               "source": ("Quelle", "Source"), "licence": ("Lizenz", "Licence"), "contact": ("Kontakt", "Contact"),
               "correction_reason": ("Grund der Korrektur", "Reason for correction"),
               "themes": ("Kategorien (DCAT)", "Categories (DCAT)"),
               "frequency": ("Aktualisierungsintervall", "Update frequency")}


def describe(m: Manifest, lang: str = "de", settings: dict | None = None) -> list[dict[str, str]]:
    """The manifest as rows ``{"group", "label", "value"}`` in plain language (what, where, for whom, when);
    targets are named by the registry's labels (:mod:`publisher.targets`)."""
    from publisher.i18n import translate
    from publisher.targets import registry

    i = 1 if lang == "en" else 0
    known = registry(settings).targets if settings is not None else {}
    d = m.document
    rows: list[dict[str, str]] = []

    def add(group, label, value):
        rows.append({"group": group, "label": label, "value": value})

    s_what, s_where, s_who, s_when = (("Was", "What"), ("Wohin", "Where"), ("Für wen", "For whom"), ("Ab wann", "From when"))
    t = d.get("table") or {}
    add(s_what[i], ("Tabelle (sha256)", "Table (sha256)")[i], str(t.get("artifact_sha256") or "-"))
    add(s_what[i], ("Geografische Ebene", "Geographic level")[i], str(t.get("level") or "-"))
    for key, value in (d.get("metadata") or {}).items():
        label = META_LABELS.get(key, (key, key))[i]
        add(s_what[i], label, ", ".join(value) if isinstance(value, list) else str(value))
    stmt = (t.get("public_statement") or {}).get("en" if lang == "en" else "de")
    if stmt:
        add(s_what[i], ("Öffentliche Aussage zur Geheimhaltung", "Public statement")[i], str(stmt))
    add(s_what[i], ("Reihe", "Series")[i], f"{d['series']['title']} ({d['series']['slug']})")
    if d.get("report"):  # issue 17: published only together with the other tables of this report
        add(s_what[i], ("Teil des Berichts", "Part of the report")[i],
            f"{d['report']['title']} (Nr. {d['report']['id']})" if i == 0 else
            f"{d['report']['title']} (no. {d['report']['id']})")
    add(s_what[i], ("Population der Prüfungen", "Population of the checks")[i], str(d.get("population")))
    h, r = d.get("hierarchy") or {}, d.get("rule_set") or {}
    add(s_what[i], ("Gebietshierarchie", "Hierarchy")[i], f"{h.get('name')} v{h.get('version')}")
    add(s_what[i], ("Regelwerk", "Rule set")[i], f"{r.get('name')} v{r.get('version')} (id {r.get('id')})")
    b = d.get("boundaries")
    if b:
        add(s_what[i], ("Gebietsgrenzen (Karte, GeoJSON)", "Boundaries (map, GeoJSON)")[i],
            f"{('Stand', 'revision')[i]} {b.get('revision')}, sha256 {str(b.get('sha256'))[:12]}…")
    p = d.get("publisher") or {}
    add(s_what[i], ("Herausgeber", "Publisher")[i], f"{p.get('name')}" + (f" <{p['email']}>" if p.get("email") else ""))
    for target in d.get("targets") or []:
        label = known[target].label.get("name", target) if target in known else target
        add(s_where[i], ("Ziel", "Target")[i], translate(label, lang))
    if d.get("audience") == "restricted":
        add(s_who[i], ("Zugang", "Access")[i],
            ("Eingeschränkt: nur die Gruppen ", "Restricted: only the groups ")[i] + ", ".join(d.get("groups") or []))
    else:
        add(s_who[i], ("Zugang", "Access")[i], ("Öffentlich: alle, ohne Anmeldung", "Public: everyone, no login")[i])
    emb = m.embargo_until
    if emb is None:
        add(s_when[i], ("Zeitpunkt", "Time")[i], ("Sofort nach der Freigabe", "Right after approval")[i])
    else:
        from zoneinfo import ZoneInfo

        local = emb.astimezone(ZoneInfo("Europe/Berlin")).strftime("%d.%m.%Y %H:%M")
        add(s_when[i], ("Sperrfrist", "Embargo")[i], (f"Nicht vor {local} Uhr (Ortszeit Berlin)",
                                                     f"Not before {local} (Berlin time)")[i])
    return rows


__all__ = ["Manifest", "build", "current", "bound", "store", "stored", "revisions", "verify_job", "describe",
           "canonical", "digest", "targets_for", "MANIFEST_CHANGED", "MANIFEST_REQUIRED", "FORMAT"]


def current_sha(c, submission) -> str:
    """The sha256 of the manifest an approver of ``submission`` (object or id) would approve now."""
    from publisher.models import Submission

    sid = submission if isinstance(submission, int) else submission.id
    sub = c.session.execute(select(Submission).where(Submission.id == sid)
                            .execution_options(populate_existing=True)).unique().scalar_one()
    return current(c, sub).sha256
