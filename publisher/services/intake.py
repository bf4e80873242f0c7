"""Intake: upload bytes + mapping → the engine runs at once → a DRAFT with the check result.

Order of work (nothing half-stored on any error): validate metadata and file name/size → run the engine
completely in memory (read, prepare, assess, render the releasable table) → write files to the
content-addressed store → write rows + audit in one transaction → commit.  If anything fails after
files were written, files this call created are removed again.
"""
from __future__ import annotations

import json
import logging
import os
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from disclosure_rules.findings import Finding, InputError, Severity
from sqlalchemy import select

from publisher import audit
from publisher.models import Series, Submission, SubmissionVersion
from publisher.services import errors as E
from publisher.services import reference
from publisher.services.scope_compare import SCOPE_COMPARISON_MAX_ROWS, scope_comparison  # noqa: F401
from publisher.workflow import Role, State

ALLOWED_EXT = {".csv", ".txt", ".tsv", ".xlsx"}
MAPPING_KEYS = {"geo_column", "geo_level", "count_columns", "dimensions", "layout", "wide_dimension", "additive",
                "sheet", "header_row", "columns_additive", "subtotal_columns"}
META_TEXT_FIELDS = {"title": 300, "description": 5000, "reference_period": 100, "source": 300,
                    "licence": 100, "contact": 300}
AUDIENCES = ("public", "restricted")


@dataclass
class CheckResult:
    """The engine's result for one upload, ready to store or to show as a preview."""

    outcome: str
    level: str | None
    canonical_sha256: str | None
    artifact: bytes | None  # releasable table (CSV bytes) or None when withheld
    report: dict
    public_report: dict
    public_statement: dict
    findings: list[dict] = field(default_factory=list)
    rule_fingerprint: dict = field(default_factory=dict)
    releasable_preview: list[dict] = field(default_factory=list)  # first rows, for the UI

    @property
    def artifact_sha256(self) -> str | None:
        from publisher.storage import sha256_bytes

        return sha256_bytes(self.artifact) if self.artifact is not None else None


# --- validation ---------------------------------------------------------------------------------------

def _clean_text(value: Any, field_name: str, limit: int) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise E.InvalidInput(E.invalid_field(field_name, "muss Text sein.", "must be text."))
    value = unicodedata.normalize("NFC", value).strip()
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\r\t" for ch in value):
        raise E.InvalidInput(E.invalid_field(field_name, "enthält Steuerzeichen.", "contains control characters."))
    if len(value) > limit:
        raise E.InvalidInput(E.invalid_field(field_name, f"höchstens {limit} Zeichen.", f"at most {limit} characters."))
    return value


def _dcat_fields(c, metadata: dict, out: dict, partial: bool) -> list[Finding]:
    """The licence must be a known one (never silently replaced at publication); themes (EU data-theme codes)
    and frequency (EU frequency code) describe the series in DCAT-AP.de."""
    from catalog import licences
    from catalog.datapackage import FREQUENCIES, THEMES

    problems: list[Finding] = []
    if out.get("licence"):
        try:
            licences.licence(out["licence"])
        except Exception:  # catalog.licence.unknown
            problems.append(E.invalid_field(
                "licence", f"unbekannt; bekannt sind: {', '.join(sorted(licences.LICENCES))}.",
                f"unknown; known are: {', '.join(sorted(licences.LICENCES))}."))
    if "themes" in metadata:
        themes = metadata.get("themes") or []
        if isinstance(themes, str):
            themes = [t for t in re.split(r"[,;\s]+", themes) if t]
        if not isinstance(themes, list) or not all(isinstance(t, str) and t.strip().upper() in THEMES
                                                     for t in themes):
            problems.append(E.invalid_field("themes", f"Kategorien aus: {', '.join(THEMES)}.",
                                            f"categories from: {', '.join(THEMES)}."))
        else:
            out["themes"] = sorted({t.strip().upper() for t in themes})
    if metadata.get("frequency"):
        freq = str(metadata.get("frequency")).strip().upper()
        if freq not in FREQUENCIES:
            problems.append(E.invalid_field("frequency", f"eine von: {', '.join(FREQUENCIES)}.",
                                            f"one of: {', '.join(FREQUENCIES)}."))
        else:
            out["frequency"] = freq
    return problems


def validate_metadata(c, metadata: dict | None, *, partial: bool = False) -> dict:
    if metadata is None:
        metadata = {}
    if not isinstance(metadata, dict):
        raise E.InvalidInput(E.invalid_field("metadata", "muss ein Objekt sein.", "must be an object."))
    problems: list[Finding] = []
    out: dict[str, Any] = {}
    for key, limit in META_TEXT_FIELDS.items():
        if key in metadata or not partial:
            try:
                out[key] = _clean_text(metadata.get(key), key, limit)
            except E.InvalidInput as exc:
                problems += exc.findings
    if not partial:
        for key in ("title", "reference_period"):
            if not out.get(key):
                problems.append(E.invalid_field(key, "Pflichtfeld fehlt.", "required field missing."))
        # issue 17 item 1: what every target needs is asked up front - a contact e-mail for questions, and the
        # licence (a field sent empty is refused; a field not sent at all takes the office's DEFAULT_LICENCE)
        if not out.get("contact"):
            problems.append(E.invalid_field("contact", "Pflichtfeld fehlt: eine E-Mail-Adresse für Rückfragen "
                                                       "(z. B. statistik@stadt.de).",
                                            "required field missing: an e-mail address for questions "
                                            "(e.g. statistik@stadt.de)."))
        if "licence" in metadata and not str(metadata.get("licence") or "").strip():
            problems.append(E.invalid_field("licence", "Pflichtfeld fehlt: bitte eine Lizenz wählen.",
                                            "required field missing: please choose a licence."))
        out["licence"] = out.get("licence") or c.settings.get("DEFAULT_LICENCE", "dl-de/by-2-0")
    if out.get("contact") and not c.settings.get("PUBLISHER_EMAIL"):
        # the data package needs a contact e-mail: without one, an approved release could never be published
        # (corpus finding: HTML in "contact" passed intake, then the publication job failed for good)
        if not re.search(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", out.get("contact") or ""):
            problems.append(E.invalid_field("contact", "braucht eine E-Mail-Adresse (z. B. statistik@stadt.de).",
                                            "needs an e-mail address (e.g. statistik@stadt.de)."))
    if "keywords" in metadata or not partial:
        kw = metadata.get("keywords") or []
        if isinstance(kw, str):
            kw = [k for k in re.split(r"[,;]", kw)]
        if not isinstance(kw, list) or not all(isinstance(k, str) for k in kw):
            problems.append(E.invalid_field("keywords", "muss eine Liste von Wörtern sein.", "must be a list of words."))
        else:
            cleaned = []
            for k in kw:
                try:
                    k = _clean_text(k, "keywords", 100)
                except E.InvalidInput as exc:
                    problems += exc.findings
                    continue
                if k and k not in cleaned:
                    cleaned.append(k)
            out["keywords"] = cleaned[:50]
    if "audience" in metadata or not partial:
        audience = metadata.get("audience") or "public"
        groups = metadata.get("groups") or []
        if isinstance(groups, str):
            groups = [g.strip() for g in groups.split(",") if g.strip()]
        if audience not in AUDIENCES:
            problems.append(E.invalid_field("audience", "„public“ oder „restricted“.", "'public' or 'restricted'."))
        elif audience == "restricted" and not groups:
            problems.append(E.invalid_field("groups", "für eingeschränkte Veröffentlichung mindestens eine Gruppe.",
                                            "restricted publication needs at least one group."))
        if not isinstance(groups, list) or not all(isinstance(g, str) and 0 < len(g) <= 100 for g in groups):
            problems.append(E.invalid_field("groups", "muss eine Liste von Gruppennamen sein.",
                                            "must be a list of group names."))
            groups = []
        out["audience"] = audience
        out["groups"] = sorted(set(groups)) if audience == "restricted" else []
    problems += _dcat_fields(c, metadata, out, partial)  # issue 15: licence, themes, frequency
    if not partial and not problems:  # issue 14 item 10: every field a target would refuse, now
        from publisher import preflight

        problems += preflight.problems(c, out)
    if metadata.get("correction_reason"):  # issue 8: why a published period is released again
        try:
            out["correction_reason"] = _clean_text(metadata.get("correction_reason"), "correction_reason", 2000)
        except E.InvalidInput as exc:
            problems += exc.findings
    if metadata.get("population") not in (None, ""):  # issues 8/13/14: a current population of the reference data
        from publisher.services import populations

        try:
            value = metadata.get("population")
            if not isinstance(value, (str, int)) or isinstance(value, bool):
                raise E.InvalidInput(E.invalid_field("population", "muss der Name einer Population sein.",
                                                     "must name a population."))
            out["population"] = populations.resolve_population(c, value).slug
        except E.InvalidInput as exc:
            problems += exc.findings
    if problems:
        raise E.InvalidInput(problems)
    return out


def validate_mapping(mapping: dict | None) -> dict:
    mapping = dict(mapping or {})
    unknown = set(mapping) - MAPPING_KEYS
    if unknown:
        raise E.InvalidInput(E.invalid_field(
            "mapping", f"unbekannte Angaben: {', '.join(sorted(unknown))}.", f"unknown keys: {', '.join(sorted(unknown))}."))
    if "layout" in mapping and mapping["layout"] not in ("long", "wide"):
        raise E.InvalidInput(E.invalid_field("layout", "„long“ oder „wide“.", "'long' or 'wide'."))
    for key in ("count_columns", "dimensions", "subtotal_columns"):
        if key in mapping and mapping[key] is not None:
            v = mapping[key]
            if isinstance(v, str):
                v = [x.strip() for x in v.split(",") if x.strip()]
            if not isinstance(v, list) or not all(isinstance(x, str) for x in v):
                raise E.InvalidInput(E.invalid_field(key, "muss eine Liste von Spaltennamen sein.",
                                                     "must be a list of column names."))
            mapping[key] = v
    for key in ("geo_column", "geo_level", "wide_dimension", "sheet"):
        if key in mapping and mapping[key] is not None and not isinstance(mapping[key], (str, int)):
            raise E.InvalidInput(E.invalid_field(key, "muss ein Text sein.", "must be a text."))
    if isinstance(mapping.get("geo_level"), str):
        mapping["geo_level"] = mapping["geo_level"].strip()
    if "columns_additive" in mapping and not isinstance(mapping["columns_additive"], bool):
        v = str(mapping["columns_additive"]).strip().lower()
        if v not in ("1", "0", "true", "false", "ja", "nein", "on", ""):
            raise E.InvalidInput(E.invalid_field("columns_additive", "muss ja oder nein sein.", "must be true or false."))
        mapping["columns_additive"] = v in ("1", "true", "ja", "on")
    if "header_row" in mapping and mapping["header_row"] not in (None, ""):
        try:
            mapping["header_row"] = int(mapping["header_row"])
        except (TypeError, ValueError):
            raise E.InvalidInput(E.invalid_field("header_row", "muss eine Zahl sein.", "must be a number.")) from None
    return {k: v for k, v in mapping.items() if v not in (None, "")}


def safe_filename(filename: str | None) -> str:
    name = os.path.basename((filename or "").replace("\\", "/"))
    name = "".join(ch for ch in unicodedata.normalize("NFC", name) if unicodedata.category(ch)[0] != "C")
    name = name.strip()
    if name.startswith(".") and "." not in name.lstrip("."):  # ".csv", "....csv": keep the type
        name = "upload." + name.lstrip(".")
    name = name.lstrip(".")
    if len(name) > 200:  # keep the extension: a long name must not turn into an "unsupported type"
        stem, ext = os.path.splitext(name)
        name = stem[:200 - len(ext[:20])] + ext[:20]
    return name or "upload.csv"


def _check_file(c, data: bytes, filename: str) -> str:
    name = safe_filename(filename)
    if not isinstance(data, (bytes, bytearray)) or len(data) == 0:
        raise E.InvalidInput(Finding(E.UPLOAD_EMPTY, {}, file=name))
    limit = int(c.settings.get("MAX_CONTENT_LENGTH") or 0)
    if limit and len(data) > limit:
        raise E.InvalidInput(Finding(E.UPLOAD_TOO_LARGE, {"size": len(data), "limit": limit}, file=name))
    ext = os.path.splitext(name)[1].lower()
    if ext not in ALLOWED_EXT:
        raise E.InvalidInput(Finding(E.UPLOAD_TYPE, {"ext": ext or "(keine)"}, file=name))
    return name


# --- engine -------------------------------------------------------------------------------------------

def releasable_bytes(assessment, prepared=None) -> bytes | None:
    """The releasable table as CSV bytes: the artifact the approval is bound to.

    Rendered exactly as the catalog writes a data package's data file, so the file that reaches CKAN and
    the download area is these bytes, unchanged (the worker compares sha256 before publishing).
    """
    if assessment.releasable is None:
        return None
    from publisher.publication import render_artifact

    return render_artifact(assessment.releasable)


def _refuse_symbol_categories(prepared, filename: str) -> None:
    """A category labelled '.' or '-' would be read as null in the published package: refuse it now."""
    from catalog.releasetable import symbol_categories

    hits = symbol_categories(prepared.data, [str(d) for d in prepared.dimensions])
    if hits:
        rows = getattr(prepared, "source_rows", None)
        raise InputError([Finding(E.CATEGORY_SYMBOL, {"value": value}, file=filename, column=col,
                                  row=int(rows[i]) if rows is not None and i < len(rows) else None)
                          for col, i, value in hits[:20]])


def run_check(c, data: bytes, filename: str, mapping: dict, hierarchy, rule_set, progress=None) -> CheckResult:
    """Run read → prepare → assess in memory.  Raises InvalidInput with the engine's findings.

    ``progress(stage, fraction)`` (optional) hears the stages: read (with the share of rows parsed), prepare,
    assess, compare."""
    from disclosure_rules import assess, prepare_table, read_table_file

    step = progress or (lambda stage, fraction=0.0: None)
    try:
        step("read", 0.0)
        eh = reference.engine_hierarchy(c, hierarchy)
        rules = reference.engine_rules(c, rule_set)
        raw = read_table_file(data, filename=filename, sheet=mapping.get("sheet"),
                              header_row=mapping.get("header_row"), max_cells=c.settings.get("MAX_TABLE_CELLS"),
                              max_bytes=c.settings.get("MAX_TABLE_BYTES"), progress=lambda f: step("read", f))
        errors = [f for f in getattr(raw, "findings", []) if f.severity == Severity.ERROR]
        if errors:
            raise InputError(errors)
        kwargs = {k: v for k, v in mapping.items() if k not in ("sheet", "header_row")}
        step("prepare", 0.0)
        prepared = prepare_table(raw, eh, **kwargs)
        errors = [f for f in getattr(prepared, "findings", []) if f.severity == Severity.ERROR]
        if errors:
            raise InputError(errors)
        _refuse_symbol_categories(prepared, filename)
        step("assess", 0.0)
        assessment = assess(prepared, eh, rules)
    except InputError as exc:
        raise E.InvalidInput(exc.findings) from None
    except E.ServiceError:
        raise
    except Exception as exc:  # engine bug or unforeseen input: a clear 422, never a 500; nothing stored
        logging.getLogger(__name__).exception("engine failed on %s", filename)
        raise E.InvalidInput(Finding(E.ENGINE_FAILED, {"error": f"{type(exc).__name__}: {exc}"[:300]},
                                     file=filename)) from None
    report = assessment.report
    report_dict = report.to_dict()
    step("compare", 0.0)
    comparison = scope_comparison(prepared, eh, rules, assessment)
    if comparison is not None:
        report_dict["scope_comparison"] = comparison
    from disclosure_rules.report import aggregate_findings

    unique, seen = [], set()  # each finding once (the sources repeat each other), then bounded per code
    for src in (getattr(raw, "findings", []), getattr(prepared, "findings", []), getattr(assessment, "findings", [])):
        for f in src:
            key = (f.code, f.file, f.row, f.column, repr(sorted(f.params.items())))
            if key not in seen:
                seen.add(key)
                unique.append(f)
    findings = [f.to_dict() for f in aggregate_findings(unique)]
    artifact = releasable_bytes(assessment, prepared) if assessment.outcome == "publishable" else None
    preview = []
    if assessment.releasable is not None:
        head = assessment.releasable.head(50)
        preview = json.loads(head.astype(object).where(head.notna(), None).to_json(orient="records",
                                                                                    force_ascii=False))
    return CheckResult(
        outcome=assessment.outcome, level=assessment.level,
        canonical_sha256=prepared.sha256() if hasattr(prepared, "sha256") else None,
        artifact=artifact,
        report=audit.json_safe(report_dict), public_report=audit.json_safe(report.public_dict()),
        public_statement=audit.json_safe(dict(report.public_statement)), findings=audit.json_safe(findings),
        rule_fingerprint=audit.json_safe(rules.fingerprint()) if hasattr(rules, "fingerprint") else {},
        releasable_preview=preview)


def check_upload(c, data: bytes, filename: str, mapping: dict | None = None, hierarchy=None,
                 rule_set=None, progress=None) -> CheckResult:
    """Preview: run the engine on an upload without storing anything."""
    name = _check_file(c, data, filename)
    mapping = validate_mapping(mapping)
    h = reference.resolve_hierarchy(c, hierarchy)
    rs = reference.resolve_rule_set(c, rule_set, commit=False)
    try:
        return run_check(c, data, name, mapping, h, rs, progress)
    finally:
        c.session.rollback()  # a preview stores nothing


# --- series -------------------------------------------------------------------------------------------

def slugify(text: str) -> str:
    t = unicodedata.normalize("NFKD", text.replace("ß", "ss")).encode("ascii", "ignore").decode().lower()
    t = re.sub(r"[^a-z0-9]+", "-", t).strip("-")
    return t[:100] or "serie"


def _series(c, actor, ref: Any, title: str) -> Series:
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        s = c.session.get(Series, int(ref))
        if s is None:
            raise E.InvalidInput(Finding(E.NOT_FOUND, {**E.what("Reihe"), "id": ref}, column="series"))
        return s
    slug = slugify(ref or title)
    s = c.session.execute(select(Series).where(Series.slug == slug)).scalar_one_or_none()
    if s is None:
        s = Series(slug=slug, title=(ref if isinstance(ref, str) and ref else title)[:300], mapping={},
                   created_by_id=actor.id, created_at=c.now(), updated_at=c.now())
        c.session.add(s)
        c.session.flush()
        audit.record(c.session, actor, "series.created", s, {"slug": slug, "title": s.title})
    return s


def series_mapping(c, ref: Any) -> dict:
    """The remembered mapping of a series (empty when unknown)."""
    if ref is None:
        return {}
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        s = c.session.get(Series, int(ref))
    else:
        s = c.session.execute(select(Series).where(Series.slug == slugify(ref))).scalar_one_or_none()
    return dict(s.mapping) if s else {}


# --- versions -----------------------------------------------------------------------------------------

def build_version(c, actor, submission: Submission, number: int, *, data: bytes, filename: str, meta: dict,
                  mapping: dict, hierarchy, rule_set, created: list[str]) -> SubmissionVersion:
    """Run the engine, store raw + artifact, add the version row (no commit)."""
    from publisher.services import ledger

    meta = series_population(c, submission, meta)
    corrected = ledger.corrected_entry_for(c, submission.series_id, str(meta.get("reference_period") or ""),
                                           submission.id)
    if corrected is not None and not str(meta.get("correction_reason") or "").strip():
        raise E.InvalidInput(ledger.reason_missing(corrected))  # a correction needs its reason; nothing stored
    result = run_check(c, data, filename, mapping, hierarchy, rule_set)
    raw_row = reference.store_file(c, bytes(data), "raw", _media_type(filename), created)
    art_sha = None
    if result.artifact is not None:
        art_sha = reference.store_file(c, result.artifact, "artifact", "text/csv", created).sha256
    report_bytes = json.dumps(result.report, ensure_ascii=False, sort_keys=True).encode("utf-8")
    report_sha = reference.store_file(c, report_bytes, "report", "application/json", created).sha256
    v = SubmissionVersion(
        submission_id=submission.id, number=number, created_by_id=actor.id, created_at=c.now(), meta=meta,
        hierarchy_id=hierarchy.id, rule_set_id=rule_set.id, raw_sha256=raw_row.sha256, raw_filename=filename,
        raw_sheet=mapping.get("sheet"), mapping=mapping, outcome=result.outcome, level=result.level,
        canonical_sha256=result.canonical_sha256, artifact_sha256=art_sha, report_sha256=report_sha,
        report=result.report, public_report=result.public_report, public_statement=result.public_statement,
        findings=result.findings, rule_fingerprint=result.rule_fingerprint)
    c.session.add(v)
    c.session.flush()
    if v.artifact_sha256:  # issue 8: cross-release checks against the ledger, before the DPO sees it
        from disclosure_rules.crossrelease import XREL_OK

        xrel = ledger.check_version(c, submission, v)
        v.report = {**(v.report or {}), "cross_release": audit.json_safe(xrel.to_dict())}
        # blocking findings, warnings (small corrections, unverified shifted patterns) and the notes for the DPO
        shown = list(xrel.blocking) + [f for f in xrel.findings if f not in xrel.blocking and f.code != XREL_OK]
        v.findings = list(v.findings or []) + [audit.json_safe(f.to_dict()) for f in shown]
        c.session.flush()
    if corrected is not None:  # issue 8: the DPO sees which release this corrects, why, and what changes
        info = ledger.correction_info(c, submission, v)
        v.report = {**(v.report or {}), "correction": audit.json_safe(info)}
        c.session.flush()
    return v


def series_population(c, submission: Submission, meta: dict) -> dict:
    """A series counts one population: a submission without one inherits the population of the series'
    earlier releases (or submissions); naming a different declared population is refused (422), so the
    cross-release checks cannot be steered away from the series' history.  A new series must name one as
    soon as the reference data holds populations (422 ``publisher.population.required``)."""
    from publisher.models_ledger import LedgerEntry
    from publisher.services import populations

    if submission.series_id is None:
        return meta
    known = c.session.execute(select(LedgerEntry.population).where(LedgerEntry.series_id == submission.series_id)
                              .order_by(LedgerEntry.id.desc()).limit(1)).scalar_one_or_none()
    if known is None:
        for s in c.session.execute(select(Submission).where(Submission.series_id == submission.series_id,
                                                            Submission.id != submission.id)
                                   .order_by(Submission.id.desc())).scalars():
            v = s.current_version
            if v is not None and (v.meta or {}).get("population"):
                known = v.meta["population"]
                break
    declared = {p.slug for p in populations.list_populations(c)}
    given = meta.get("population")
    if known is None or known not in declared:
        if not given and populations.list_populations(c, current_only=True):
            # once admins keep populations, every table names one (nothing the checks depend on is left open)
            raise E.InvalidInput(Finding(populations.POPULATION_REQUIRED, {"choices": ", ".join(
                f"{p.slug} ({p.name})" for p in populations.list_populations(c, current_only=True))[:2000]},
                column="population"))
        return meta  # nothing declared yet for this series
    if not given:
        return {**meta, "population": known}
    if given != known:
        raise E.InvalidInput(Finding(populations.POPULATION_SERIES, {
            "series": submission.series.slug, "known": known, "value": given}, column="population"))
    return meta


def _media_type(filename: str) -> str:
    if filename.lower().endswith(".xlsx"):
        return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return "text/csv"


def _require_submitter(actor) -> None:
    if actor is None or Role(actor.role) != Role.SUBMITTER or not actor.active:
        raise E.forbidden_role("upload", getattr(actor, "role", "-"), ["submitter"])


def create_draft(c, actor, *, data: bytes, filename: str, metadata: dict, mapping: dict | None = None,
                 series: Any = None, hierarchy: Any = None, rule_set: Any = None) -> Submission:
    """Upload → engine → new submission in DRAFT (version 1).  Mapping defaults to the series' mapping."""
    _require_submitter(actor)
    name = _check_file(c, data, filename)
    meta = validate_metadata(c, metadata)
    if mapping is None:
        mapping = series_mapping(c, series if series is not None else meta["title"])
    mapping = validate_mapping(mapping)
    h = reference.resolve_hierarchy(c, hierarchy)
    rs = reference.resolve_rule_set(c, rule_set, commit=False)
    created: list[str] = []
    try:
        s = _series(c, actor, series, meta["title"])
        now = c.now()
        sub = Submission(series_id=s.id, submitter_id=actor.id, state=State.DRAFT.value, created_at=now,
                         updated_at=now, state_changed_at=now)
        c.session.add(sub)
        c.session.flush()
        v = build_version(c, actor, sub, 1, data=data, filename=name, meta=meta, mapping=mapping,
                          hierarchy=h, rule_set=rs, created=created)
        sub.current_version_id = v.id
        s.mapping, s.updated_at = mapping, now
        audit.record(c.session, actor, "submission.created", sub,
                     {"version": 1, "file": name, "raw_sha256": v.raw_sha256, "outcome": v.outcome,
                      "level": v.level, "artifact_sha256": v.artifact_sha256, "series": s.slug,
                      "hierarchy": h.label, "rule_set": rs.label, "title": meta["title"]})
        c.session.commit()
    except BaseException:
        c.session.rollback()
        reference.cleanup_files(c, created)
        raise
    c.session.refresh(sub)
    return sub


def get_for_update(c, submission_id: int) -> Submission:
    """Load a submission fresh from the database and lock its row until commit (PostgreSQL: FOR UPDATE)."""
    sub = c.session.execute(
        select(Submission).where(Submission.id == submission_id).with_for_update(of=Submission)
        .execution_options(populate_existing=True)).unique().scalar_one_or_none()
    if sub is None:
        raise E.not_found("Einreichung", submission_id)
    return sub


def new_version(c, actor, sub: Submission, *, data: bytes | None, filename: str | None, metadata: dict | None,
                mapping: dict | None, hierarchy: Any, rule_set: Any, created: list[str]) -> SubmissionVersion:
    """A new version based on the current one, with whatever was given replaced (no commit)."""
    cur = sub.current_version
    if data is not None:
        name = _check_file(c, data, filename or cur.raw_filename)
    else:
        data, name = c.store.get(cur.raw_sha256), cur.raw_filename
    meta = dict(cur.meta)
    if metadata:
        meta.update(validate_metadata(c, metadata, partial=True))
        meta = validate_metadata(c, meta)
    mp = validate_mapping(mapping) if mapping is not None else dict(cur.mapping)
    h = reference.resolve_hierarchy(c, hierarchy) if hierarchy is not None else cur.hierarchy
    # issue 14: a new version is checked under a current rule set (a superseded one moves on to its successor)
    rs = reference.resolve_rule_set(c, rule_set if rule_set is not None else cur.rule_set, commit=False)
    number = max(v.number for v in sub.versions) + 1
    v = build_version(c, actor, sub, number, data=data, filename=name, meta=meta, mapping=mp, hierarchy=h,
                      rule_set=rs, created=created)
    sub.current_version_id = v.id
    sub.series.mapping, sub.series.updated_at = mp, c.now()
    sub.updated_at = c.now()
    return v


def update_draft(c, actor, submission_id: int, *, data: bytes | None = None, filename: str | None = None,
                 metadata: dict | None = None, mapping: dict | None = None, hierarchy: Any = None,
                 rule_set: Any = None) -> Submission:
    """Replace file/metadata/mapping of a DRAFT (new version, engine runs again)."""
    _require_submitter(actor)
    sub = get_for_update(c, submission_id)
    if sub.submitter_id != actor.id:
        raise E.not_author("update", sub.submitter.username)
    if sub.state != State.DRAFT.value:
        raise E.wrong_state("update", sub.state)
    created: list[str] = []
    try:
        v = new_version(c, actor, sub, data=data, filename=filename, metadata=metadata, mapping=mapping,
                        hierarchy=hierarchy, rule_set=rule_set, created=created)
        audit.record(c.session, actor, "submission.draft_updated", sub,
                     {"version": v.number, "raw_sha256": v.raw_sha256, "outcome": v.outcome, "level": v.level,
                      "artifact_sha256": v.artifact_sha256})
        c.session.commit()
    except BaseException:
        c.session.rollback()
        reference.cleanup_files(c, created)
        raise
    c.session.refresh(sub)
    return sub
