"""Frictionless data packages with DCAT-AP.de properties for approved releases.

Input is plain data (no engine objects):

* the releasable table as a DataFrame with columns ``level``, ``area``, the dimension columns, ``count``
  (nullable Int64, NA where suppressed) and ``status`` (``ok``/``zero``/``primary``/``secondary``), as
  ``Assessment.releasable`` in docs/architecture.md;
* the geography code list as a DataFrame with columns ``level`` and ``code`` (optional ``name``, ``parent``);
* a :class:`PackageMetadata`.

:func:`build_package` returns a :class:`DataPackage`: the files (``datapackage.json``, the data CSV, the
code-list CSV) as bytes with their sha256, built deterministically (same input → same bytes → same hash,
so an approval can be bound to the hashes).  :func:`validate_package` runs ``frictionless`` on those exact
bytes and returns a :class:`ValidationReport`; :func:`build_package` raises :class:`PackageInvalid` (carrying
the report) when the package does not validate.

Public CSV conventions (DIN 55301 symbols, owned by :mod:`catalog.releasetable`): a suppressed count is written ``.`` ("Zahlenwert unbekannt oder
geheim zu halten"), a true zero as ``0`` or, if ``zero_symbol="-"``, as ``-`` ("nichts vorhanden"). Both
are declared as ``missingValues`` of the ``count`` field, so frictionless reads them as null, and their
meaning is documented in the field description and in the package property ``symbols``.  The ``status``
column is *not* published: whether a cell was suppressed primarily or secondarily would tell an attacker
which cells are small.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import uuid
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import (
    META_INVALID,
    TABLE_COLUMN_MISSING,
    CatalogError,
    MetadataError,
    PackageInvalid,
)
from .validation import ValidationProblem, ValidationReport, validate_package  # noqa: F401
from .releasetable import (  # the file format's one owner; re-exported for callers of this module
    NOTHING,
    RESERVED_COLUMNS,
    REVISED,
    REVISION_COLUMN,
    REVISION_SYMBOL,
    SECRET,
    STATUSES,
    SYMBOLS,
    revision_key,
    write_codelist,
    write_table,
)
from . import releasetable

NAME_RE = re.compile(r"^[a-z0-9_-]{2,100}$")
SEMVER_RE = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
DATE_IN_NAME_RE = re.compile(r"(19|20)\d\d")
#: namespace for the deterministic package ids (uuid5 of name and version)
ID_NAMESPACE = uuid.UUID("5b0c7a52-9a1e-4f57-8a43-6f1d2d7f0b11")


DL_DE_BY = {
    "name": "DL-DE-BY-2.0",
    "title": "Datenlizenz Deutschland – Namensnennung – Version 2.0",
    "path": "https://www.govdata.de/dl-de/by-2-0",
}
DL_DE_ZERO = {
    "name": "DL-DE-ZERO-2.0",
    "title": "Datenlizenz Deutschland – Zero – Version 2.0",
    "path": "https://www.govdata.de/dl-de/zero-2-0",
}
THEME_BASE = "http://publications.europa.eu/resource/authority/data-theme/"
FREQUENCY_BASE = "http://publications.europa.eu/resource/authority/frequency/"
LANGUAGE_BASE = "http://publications.europa.eu/resource/authority/language/"
ACCESS_RIGHT_BASE = "http://publications.europa.eu/resource/authority/access-right/"
#: the current vocabulary (http://dcat-ap.de/def/politicalGeocoding/Level), not the outdated .../politicalGeocodingLevel/
GEOCODING_LEVEL_BASE = "http://dcat-ap.de/def/politicalGeocoding/Level/"
#: the EU data-theme vocabulary's codes (a DCAT theme; on CKAN each becomes a group named in lower case)
THEMES = ("AGRI", "ECON", "EDUC", "ENER", "ENVI", "GOVE", "HEAL", "INTR", "JUST", "OP_DATPRO", "REGI", "SOCI",
          "TECH", "TRAN")
ACCESS_RIGHTS = ("PUBLIC", "RESTRICTED", "NON_PUBLIC")
DATA_PACKAGE_SPEC = "https://specs.frictionlessdata.io/data-package/"
FREQUENCIES = (
    "ANNUAL",
    "ANNUAL_2",
    "BIENNIAL",
    "QUARTERLY",
    "MONTHLY",
    "SEMIANNUAL",
    "WEEKLY",
    "DAILY",
    "IRREG",
    "UNKNOWN",
    "NEVER",
    "OTHER",
)
GEOCODING_LEVELS = ("federal", "state", "administrativeDistrict", "municipality")
LANGUAGES = {"de": "DEU", "en": "ENG"}


@dataclass(frozen=True)
class Contact:
    name: str
    email: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class Source:
    title: str
    path: str | None = None


@dataclass(frozen=True)
class PackageMetadata:
    """Everything about a release that is not in the table itself."""

    name: str  # stable series name, valid as a CKAN name: 2-100 chars of a-z0-9_- and no dates
    title: str
    description: str
    public_statement_de: str  # the German public statement of the disclosure rules
    version: str  # semver; new period = minor bump, correction = patch
    created: datetime | str  # when the release was approved; part of the bytes, so passed in
    publisher: Contact
    contact: Contact  # must have an e-mail
    temporal_start: date | str
    temporal_end: date | str
    geocoding_uri: str  # e.g. http://dcat-ap.de/def/politicalGeocoding/municipalityKey/05315000
    geocoding_level: str = "municipality"  # federal/state/administrativeDistrict/municipality
    geocoding_text: str = ""
    keywords: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()
    themes: tuple[str, ...] = ("SOCI",)  # EU data-theme codes, from the series metadata
    frequency: str = "ANNUAL"
    language: str = "de"
    license: Mapping[str, str] = field(default_factory=lambda: dict(DL_DE_BY))
    public_statement_en: str | None = None
    version_notes: str = ""
    id: str | None = None  # default: uuid5(name, version), stable
    zero_symbol: str = "0"  # "0" or "-"
    dimension_titles: Mapping[str, str] = field(default_factory=dict)
    count_title: str = "Anzahl"
    topic: str | None = None  # download-area topic (free, slug)
    # DCAT-AP.de dcatde:contributorID, e.g. http://dcat-ap.de/def/contributors/... (GovData harvesting)
    contributor_id: str | None = None
    licence_uri: str | None = None  # DCAT-AP.de licence URI (http://dcat-ap.de/def/licenses/...)
    access_rights: str = "PUBLIC"  # EU access-right code: PUBLIC, or RESTRICTED for the download area's groups
    landing_page: str | None = None  # the series' page (dcat:landingPage)
    period: str = ""  # the reference period as the submission names it (e.g. 2026-07)
    # a correction: keys of the cells to mark "r" in the column ``revision`` - each key is
    # (level, area, ((dimension, category), ...) sorted by dimension), all strings (see revision_key).
    # None (not a correction): no revision column, the data file is exactly as for a first release.
    revised: frozenset[tuple] | None = None
    # the series' releases so far, oldest first: {version, date, period, notes}; empty: no changelog
    changelog: tuple[Mapping[str, str], ...] = ()



@dataclass(frozen=True)
class DataPackage:
    name: str
    version: str
    descriptor: Mapping[str, Any]
    files: Mapping[str, bytes]  # relative path -> bytes; "datapackage.json" first
    report: ValidationReport | None = None

    @classmethod
    def from_files(cls, files: Mapping[str, bytes]) -> DataPackage:
        """Rebuild from stored bytes (e.g. the approved artifact), without touching them.

        Raises :class:`MetadataError` when ``datapackage.json`` is missing or unreadable or names a file
        that is not there; call :func:`validate_package` to check the rest.
        """
        try:
            descriptor = json.loads(files["datapackage.json"])
            name, version = descriptor["name"], descriptor["version"]
            missing = [r["path"] for r in descriptor["resources"] if r["path"] not in files]
        except (KeyError, TypeError, ValueError) as exc:
            raise MetadataError(
                [
                    CatalogError(
                        META_INVALID,
                        field="datapackage.json",
                        reason=f"unlesbar / unreadable ({type(exc).__name__}: {exc})",
                    )
                ]
            ) from None
        if missing:
            raise MetadataError(
                [
                    CatalogError(
                        META_INVALID,
                        field="resources",
                        reason=f"Datei fehlt / file missing: {', '.join(missing)}",
                    )
                ]
            )
        return cls(name, version, descriptor, dict(files))

    @classmethod
    def from_zip(cls, data: bytes) -> DataPackage:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            return cls.from_files({n: zf.read(n) for n in zf.namelist() if not n.endswith("/")})

    @property
    def data_path(self) -> str:
        return self.descriptor["resources"][0]["path"]

    @property
    def codelist_path(self) -> str:
        return self.descriptor["resources"][1]["path"]

    @property
    def descriptor_bytes(self) -> bytes:
        return self.files["datapackage.json"]

    @property
    def data_bytes(self) -> bytes:
        return self.files[self.data_path]

    def sha256(self) -> dict[str, str]:
        return {path: sha256(data) for path, data in self.files.items()}

    def digest(self) -> str:
        """One hash over all files (paths and contents): what an approval binds to."""
        h = hashlib.sha256()
        for path in sorted(self.files):
            h.update(path.encode() + b"\0" + sha256(self.files[path]).encode() + b"\n")
        return h.hexdigest()

    def write_to(self, directory: str | Path) -> Path:
        root = Path(directory)
        for path, data in self.files.items():
            target = root / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        return root / "datapackage.json"

    def to_zip(self) -> bytes:
        """The package as a zip with ``datapackage.json`` at its root (frictionless reads it directly)."""
        return package_zip(self.files)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------------------------------------
def build_package(
    table: pd.DataFrame,
    codelist: pd.DataFrame,
    meta: PackageMetadata,
    *,
    validate: bool = True,
) -> DataPackage:
    """Build the package's bytes; with ``validate`` (default) raise :class:`PackageInvalid` if invalid."""
    problems = check_metadata(meta)
    dims = _dimensions(table, problems)
    if meta.revised is not None and REVISION_COLUMN in dims:
        problems.append(
            CatalogError(
                META_INVALID,
                field="revised",
                reason=f"Merkmal heißt wie die Spalte {REVISION_COLUMN} / "
                f"dimension named like the column {REVISION_COLUMN}",
            )
        )
    code_cols = _check_codelist(codelist, problems)
    if problems:
        raise MetadataError(problems)
    for d in dims:
        if d in releasetable.PUBLISHED_COLUMNS:
            problems.append(CatalogError(META_INVALID, field="dimension",
                                         reason=f"Merkmal heißt wie die Spalte {d} der veröffentlichten Datei / "
                                         f"dimension named like the published column {d}"))
    if problems:
        raise MetadataError(problems)
    # the published (German) form: the artifact's rows with the area names of the code list (releasetable)
    artifact = write_table(table, zero_symbol=meta.zero_symbol, revised=meta.revised)  # MetadataError
    data_csv = releasetable.publish(artifact, area_names(codelist))
    code_csv = releasetable.publish_codelist(write_codelist(codelist, code_cols))
    # flat layout: the descriptor's relative paths resolve wherever the files lie side by side (zip,
    # download-area version folder)
    files = {
        f"{meta.name}.csv": data_csv,
        f"{meta.name}-gebiete.csv": code_csv,
    }
    descriptor = _descriptor(meta, dims, code_cols, files)
    desc_bytes = (json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
    pkg = DataPackage(meta.name, meta.version, descriptor, {"datapackage.json": desc_bytes, **files})
    if not validate:
        return pkg
    report = validate_package(pkg)
    if not report.valid:
        raise PackageInvalid(report)
    return DataPackage(pkg.name, pkg.version, pkg.descriptor, pkg.files, report)


def check_metadata(meta: PackageMetadata) -> list[CatalogError]:
    out: list[CatalogError] = []

    def bad(fieldname: str, reason: str) -> None:
        out.append(CatalogError(META_INVALID, field=fieldname, reason=reason))

    if not NAME_RE.match(meta.name or ""):
        bad("name", "2–100 Zeichen aus a-z, 0-9, _ und - / 2-100 characters of a-z, 0-9, _ and -")
    elif DATE_IN_NAME_RE.search(meta.name):
        bad(
            "name",
            "enthält eine Jahreszahl; der Name muss über Perioden stabil sein / "
            "contains a year; the name must be stable across periods",
        )
    if not SEMVER_RE.match(meta.version or ""):
        bad("version", "keine Semantic Version MAJOR.MINOR.PATCH / not a semantic version MAJOR.MINOR.PATCH")
    for attr in ("title", "description", "public_statement_de"):
        if not (getattr(meta, attr) or "").strip():
            bad(attr, "leer / empty")
    if not meta.contact.email or "@" not in meta.contact.email:
        bad("contact.email", "Kontakt braucht eine E-Mail-Adresse / contact needs an e-mail address")
    if not (meta.publisher.name or "").strip():
        bad("publisher.name", "leer / empty")
    try:
        start, end = _date(meta.temporal_start), _date(meta.temporal_end)
        if end < start:
            bad("temporal_end", "liegt vor temporal_start / before temporal_start")
    except (TypeError, ValueError):
        bad("temporal_start", "kein Datum JJJJ-MM-TT / not a date YYYY-MM-DD")
    try:
        _created(meta.created)
    except (TypeError, ValueError):
        bad("created", "kein Zeitpunkt ISO 8601 / not an ISO 8601 timestamp")
    if not str(meta.geocoding_uri or "").startswith(("http://", "https://")):
        bad("geocoding_uri", "keine URI / not a URI")
    if meta.geocoding_level not in GEOCODING_LEVELS:
        bad("geocoding_level", f"erlaubt / allowed: {', '.join(GEOCODING_LEVELS)}")
    if meta.frequency not in FREQUENCIES:
        bad("frequency", f"erlaubt / allowed: {', '.join(FREQUENCIES)}")
    if meta.language not in LANGUAGES:
        bad("language", f"erlaubt / allowed: {', '.join(LANGUAGES)}")
    if not meta.themes or any(t not in THEMES for t in meta.themes):
        bad("themes", f"Codes des EU-Vokabulars data-theme / EU data-theme codes: {', '.join(THEMES)}")
    if meta.access_rights not in ACCESS_RIGHTS:
        bad("access_rights", f"erlaubt / allowed: {', '.join(ACCESS_RIGHTS)}")
    if meta.landing_page and not str(meta.landing_page).startswith(("http://", "https://")):
        bad("landing_page", "keine URL / not a URL")
    if meta.zero_symbol not in ("0", NOTHING):
        bad("zero_symbol", "'0' oder '-' / '0' or '-'")
    lic = dict(meta.license or {})
    if not lic.get("name") or not lic.get("path"):
        bad("license", "braucht name und path (URL) / needs name and path (URL)")
    return out


def _date(value: date | str) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def _created(value: datetime | str) -> str:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if not isinstance(value, datetime):
        raise TypeError("created")
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")


def _dimensions(table: pd.DataFrame, problems: list[CatalogError]) -> list[str]:
    for col in ("level", "area", "count"):
        if col not in table.columns:
            problems.append(CatalogError(TABLE_COLUMN_MISSING, table="data", column=col))
    return [str(c) for c in table.columns if str(c) not in RESERVED_COLUMNS]


def _check_codelist(codelist: pd.DataFrame, problems: list[CatalogError]) -> list[str]:
    for col in ("level", "code"):
        if col not in codelist.columns:
            problems.append(CatalogError(TABLE_COLUMN_MISSING, table="codelist", column=col))
    return ["level", "code"] + [c for c in ("name", "parent") if c in codelist.columns]


def package_id(meta: PackageMetadata) -> str:
    return meta.id or str(uuid.uuid5(ID_NAMESPACE, f"{meta.name}@{meta.version}"))


def _descriptor(
    meta: PackageMetadata, dims: list[str], code_cols: list[str], files: Mapping[str, bytes]
) -> dict[str, Any]:
    data_path, code_path = list(files)
    zero_note = (
        " Echte Nullen sind als 0 geschrieben."
        if meta.zero_symbol == "0"
        else " Echte Nullen sind als - (nichts vorhanden) geschrieben."
    )
    count_desc = (
        "Fallzahl (ganze Zahl ≥ 0). '.' = "
        + SYMBOLS[SECRET]["de"]
        + "; '-' = "
        + SYMBOLS[NOTHING]["de"]
        + "."
        + zero_note
        + " Beide Zeichen werden als fehlender Wert (null) gelesen."
    )
    lv, ar, nm, cnt = releasetable.PUB_LEVEL, releasetable.PUB_AREA, releasetable.PUB_NAME, releasetable.PUB_COUNT
    titles = releasetable.PUBLISHED_TITLES
    data_fields: list[dict[str, Any]] = [
        {"name": lv, "type": "string", "title": titles[lv], "constraints": {"required": True}},
        {"name": ar, "type": "string", "title": titles[ar], "constraints": {"required": True}},
        {"name": nm, "type": "string", "title": titles[nm],
         "description": "Name des Gebiets laut Gebietshierarchie der Veröffentlichung (leer: ohne Namen)."},
    ]
    for d in dims:
        data_fields.append(
            {
                "name": d,
                "type": "string",
                "title": meta.dimension_titles.get(d, d),
                "constraints": {"required": True},
            }
        )
    data_fields.append(
        {
            "name": cnt,
            "type": "integer",
            "title": meta.count_title,
            "description": count_desc,
            "bareNumber": True,
            "constraints": {"minimum": 0},
        }
    )
    if meta.revised is not None:
        data_fields.append(
            {
                "name": REVISION_COLUMN,
                "type": "string",
                "title": titles[REVISION_COLUMN],
                "description": "'r' = "
                + REVISION_SYMBOL["de"]
                + "; leer = unverändert gegenüber der korrigierten Version. / 'r' = "
                + REVISION_SYMBOL["en"]
                + "; empty = unchanged.",
                "constraints": {"enum": ["", REVISED]},
            }
        )
    code_fields = [
        {"name": lv, "type": "string", "title": titles[lv], "constraints": {"required": True}},
        {"name": ar, "type": "string", "title": titles[ar], "constraints": {"required": True}},
    ]
    if "name" in code_cols:
        code_fields.append({"name": nm, "type": "string", "title": titles[nm]})
    if "parent" in code_cols:
        code_fields.append({"name": releasetable.PUB_PARENT, "type": "string", "title": "Übergeordnetes Gebiet"})
    description = meta.description.strip() + "\n\n" + meta.public_statement_de.strip()
    license_ = {k: meta.license[k] for k in ("name", "title", "path") if meta.license.get(k)}
    contributors = [
        {
            "title": meta.publisher.name,
            "role": "publisher",
            **({"email": meta.publisher.email} if meta.publisher.email else {}),
            **({"path": meta.publisher.url} if meta.publisher.url else {}),
        },
        {"title": meta.contact.name, "role": "contact", "email": meta.contact.email},
    ]
    start, end = _date(meta.temporal_start), _date(meta.temporal_end)
    descriptor: dict[str, Any] = {
        "profile": "data-package",
        "name": meta.name,
        "id": package_id(meta),
        "title": meta.title,
        "description": description,
        "version": meta.version,
        "created": _created(meta.created),
        "licenses": [license_],
        "contributors": contributors,
        "keywords": list(meta.keywords),
        "sources": [{"title": s.title, **({"path": s.path} if s.path else {})} for s in meta.sources],
        "language": meta.language,
        "symbols": SYMBOLS if meta.revised is None else {**SYMBOLS, REVISED: REVISION_SYMBOL},
        "publicStatement": {
            "de": meta.public_statement_de,
            **({"en": meta.public_statement_en} if meta.public_statement_en else {}),
        },
        "dcat": {
            "temporal": {"start": start.isoformat(), "end": end.isoformat()},
            "politicalGeocodingURI": meta.geocoding_uri,
            "politicalGeocodingLevelURI": GEOCODING_LEVEL_BASE + meta.geocoding_level,
            "geocodingText": meta.geocoding_text,
            "theme": [THEME_BASE + t for t in meta.themes],
            "accrualPeriodicity": FREQUENCY_BASE + meta.frequency,
            "language": LANGUAGE_BASE + LANGUAGES[meta.language],
            "versionNotes": meta.version_notes,
            **({"contributorID": meta.contributor_id} if meta.contributor_id else {}),
            **({"license": meta.licence_uri} if meta.licence_uri else {}),
            "accessRights": ACCESS_RIGHT_BASE + meta.access_rights,
            "conformsTo": DATA_PACKAGE_SPEC,
            **({"landingPage": meta.landing_page} if meta.landing_page else {}),
            **({"period": meta.period} if meta.period else {}),
            "contactPoint": {"name": meta.contact.name, "email": meta.contact.email},
        },
        "resources": [
            {
                "name": "daten",
                "path": data_path,
                "title": meta.title,
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "bytes": len(files[data_path]),
                "hash": "sha256:" + sha256(files[data_path]),
                "dialect": {"delimiter": ",", "doubleQuote": True, "header": True},
                "schema": {
                    "fields": data_fields,
                    "missingValues": [SECRET, NOTHING],
                    "primaryKey": [lv, ar, *dims],
                    "foreignKeys": [
                        {
                            "fields": [lv, ar],
                            "reference": {"resource": "gebiete", "fields": [lv, ar]},
                        }
                    ],
                },
            },
            {
                "name": "gebiete",
                "path": code_path,
                "title": "Gebietsschlüssel (Codeliste)",
                "profile": "tabular-data-resource",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "bytes": len(files[code_path]),
                "hash": "sha256:" + sha256(files[code_path]),
                "dialect": {"delimiter": ",", "doubleQuote": True, "header": True},
                "schema": {"fields": code_fields, "missingValues": [""], "primaryKey": [lv, ar]},
            },
        ],
    }
    if meta.changelog:
        descriptor["changelog"] = [
            {k: str(entry.get(k) or "") for k in ("version", "date", "period", "notes")} for entry in meta.changelog
        ]
    if meta.topic:
        descriptor["topic"] = meta.topic
    return descriptor


def package_zip(files: Mapping[str, bytes], folder: str | None = None) -> bytes:
    """A deterministic zip (fixed timestamps and permissions, sorted entries)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        order = ["datapackage.json"] + sorted(p for p in files if p != "datapackage.json")
        for path in order:
            if path not in files:
                continue
            info = zipfile.ZipInfo(f"{folder}/{path}" if folder else path, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            info.create_system = 3
            zf.writestr(info, files[path])
    return buf.getvalue()


def area_names(codelist: pd.DataFrame) -> dict[tuple[str, str], str]:
    """(level, code) → area name of a code list (empty names left out)."""
    if "name" not in codelist.columns:
        return {}
    out = {}
    for level, code, name in zip(codelist["level"].tolist(), codelist["code"].tolist(), codelist["name"].tolist()):
        if name is not None and not (isinstance(name, float) and pd.isna(name)) and str(name):
            out[(str(level), str(code))] = str(name)
    return out


def codelist_from_hierarchy_rows(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    """Convenience: a code-list frame from dicts with level/code[/name/parent]."""
    rows = list(rows)
    cols: Sequence[str] = ["level", "code"] + [c for c in ("name", "parent") if any(c in r for r in rows)]
    return pd.DataFrame(
        {c: [None if r.get(c) is None else str(r.get(c)) for r in rows] for c in cols}, dtype=object
    )
