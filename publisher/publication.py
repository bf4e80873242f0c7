"""From an approved submission version to the files that are published.

Pure functions over the stored, approved bytes: the worker calls them after it has claimed a job.
Nothing here writes state; :mod:`publisher.services.publication` does that.

The approved artifact is the releasable table as CSV, exactly as the catalog renders a data package's data
file.  The package built here must contain those bytes unchanged (sha256 compared), and the rules are run
again on the numbers in it before anything leaves Freigabe.
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import pandas as pd

from catalog import Contact, DataPackage, PackageMetadata, Source, build_package
from catalog import licences, releasetable
from catalog.errors import MetadataError
from catalog.datapackage import codelist_from_hierarchy_rows
from publisher.storage import sha256_bytes


class PublicationRefused(Exception):
    """The approved artifact cannot be published (hash mismatch, rules fail, invalid package). Not retried."""

    def __init__(self, code: str, de: str, en: str, details: dict | None = None):
        self.code, self.de, self.en, self.details = code, de, en, details or {}
        super().__init__(en)

    def message(self, lang: str = "de") -> str:
        return self.en if lang == "en" else self.de

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "message_de": self.de, "message_en": self.en, "details": self.details}


def render_artifact(releasable: pd.DataFrame, zero_symbol: str = "0") -> bytes:
    """The releasable table in the release-table format (the bytes an approval binds); the same writer
    as ``freigabe check`` and the data packages (:mod:`catalog.releasetable`)."""
    return releasetable.write_table(releasable, zero_symbol=zero_symbol)


def parse_artifact(data: bytes) -> pd.DataFrame:
    """Read an artifact back into the releasable frame layout (count NA where suppressed)."""
    try:
        return releasetable.read_table(data)
    except (releasetable.TableFormatError, UnicodeDecodeError) as exc:
        what = "header" if str(exc) == "header" else "value"
        raise PublicationRefused(
            "FG-PUB-ARTIFACT-FORMAT",
            "Das freigegebene Artefakt hat nicht das erwartete Format." if what == "header"
            else "Das freigegebene Artefakt enthält ungültige Werte.",
            "The approved artifact does not have the expected format." if what == "header"
            else "The approved artifact holds invalid values.") from None


def recheck(artifact: bytes, approved_sha256: str, min_count: int, zeros_are_disclosive: bool) -> pd.DataFrame:
    """Hash check and a fresh run of the threshold rule on every published number of the artifact."""
    actual = sha256_bytes(artifact)
    if actual != approved_sha256:
        raise PublicationRefused(
            "FG-PUB-HASH-MISMATCH",
            f"Das gespeicherte Artefakt ({actual[:12]}…) ist nicht das freigegebene ({approved_sha256[:12]}…).",
            f"The stored artifact ({actual[:12]}…) is not the approved one ({approved_sha256[:12]}…).",
            {"expected": approved_sha256, "actual": actual})
    frame = parse_artifact(artifact)
    values = frame["count"].dropna().astype("int64")
    failing = (values < min_count) if zeros_are_disclosive else ((values > 0) & (values < min_count))
    if bool(failing.any()):
        raise PublicationRefused(
            "FG-PUB-RULES-FAIL",
            f"Die Regeln schlagen beim erneuten Prüfen an: {int(failing.sum())} veröffentlichte Werte unter "
            f"{min_count}. Die Veröffentlichung ist gestoppt.",
            f"The rules fail on the re-check: {int(failing.sum())} published values below {min_count}. "
            "Publication stopped.",
            {"failing_values": int(failing.sum())})
    return frame


@dataclass(frozen=True)
class ReleaseInfo:
    """What the worker knows about the release besides the artifact (all from the approved version)."""

    series_slug: str
    series_title: str
    meta: dict
    public_statement: dict
    approved_at: dt.datetime
    version: str
    hierarchy_rows: list[dict]
    publisher_name: str
    publisher_email: str | None
    geocoding_uri: str
    topic: str
    version_notes: str = ""
    changelog: tuple[dict, ...] = ()  # the series' releases so far and this one: {version, date, period, notes}
    revised: frozenset[tuple] | None = None  # a correction: keys of the cells marked "r"; None: not a correction
    contributor_id: str | None = None  # DCAT-AP.de contributorID (setting FREIGABE_CONTRIBUTOR_ID)
    default_themes: tuple[str, ...] = ("SOCI",)  # setting FREIGABE_DEFAULT_THEMES, when the series names none
    landing_page: str | None = None  # the release's public page (setting FREIGABE_PUBLIC_URL)


strip_revision_column = releasetable.strip_revision_column


def build_release_package(artifact: bytes, frame: pd.DataFrame, info: ReleaseInfo) -> DataPackage:
    """The data package for an approved artifact; its data file must be the artifact, byte for byte, once
    the published form's additions are taken out (:func:`catalog.releasetable.to_artifact`: the area names of
    the approved hierarchy version and, for a correction, the column ``revision`` with ``r`` where the
    published value differs from the corrected release)."""
    meta = package_metadata(info)
    codes = codelist_from_hierarchy_rows(info.hierarchy_rows)
    pkg = build_package(frame, codes, meta)  # raises PackageInvalid with the frictionless report
    data = pkg.files[pkg.data_path]
    try:  # the published (German) file, names and a correction's column ``revision`` taken out, is the artifact
        inner = releasetable.to_artifact(data)
    except releasetable.TableFormatError:
        inner = b""
    if inner != artifact:
        raise PublicationRefused(
            "FG-PUB-PACKAGE-DIFFERS",
            "Die Datendatei des Pakets weicht vom freigegebenen Artefakt ab; es wird nichts veröffentlicht.",
            "The package's data file differs from the approved artifact; nothing is published.",
            {"expected": sha256_bytes(artifact), "actual": sha256_bytes(pkg.files[pkg.data_path])})
    return pkg


def package_metadata(info: ReleaseInfo) -> PackageMetadata:
    m = info.meta
    start, end = parse_period(m.get("reference_period", ""), info.approved_at.date())
    audience = m.get("audience") or "public"
    try:  # an unknown licence was refused at upload; never replaced silently here
        lic = licences.for_audience(m.get("licence"), audience)
    except MetadataError as exc:
        raise PublicationRefused("FG-PUB-LICENCE-UNKNOWN", exc.message("de"), exc.message("en")) from None
    contact_email = _email(m.get("contact", "")) or info.publisher_email
    statement = info.public_statement or {}
    description = (m.get("description") or m.get("title") or "").strip()
    if statement.get("de"):
        description = f"{description}\n\n{statement['de']}".strip()
    return PackageMetadata(
        name=package_name(info.series_slug),
        title=m.get("title") or info.series_title,
        description=description,
        public_statement_de=statement.get("de", ""),
        public_statement_en=statement.get("en"),
        version=info.version,
        created=info.approved_at.replace(microsecond=0),
        publisher=Contact(info.publisher_name, info.publisher_email),
        contact=Contact((m.get("contact") or info.publisher_name).strip() or info.publisher_name, contact_email),
        temporal_start=start,
        temporal_end=end,
        geocoding_uri=info.geocoding_uri,
        geocoding_text=info.meta.get("geocoding_text") or "",
        keywords=tuple(m.get("keywords") or ()),
        sources=(Source(m["source"]),) if m.get("source") else (),
        frequency=m.get("frequency") or frequency_of(m.get("reference_period", "")),
        themes=tuple(m.get("themes") or info.default_themes),
        license=lic.frictionless(),
        licence_uri=lic.uri,
        access_rights="RESTRICTED" if audience == "restricted" else "PUBLIC",
        contributor_id=info.contributor_id or None,
        landing_page=info.landing_page,
        period=str(m.get("reference_period") or ""),
        topic=info.topic,
        version_notes=info.version_notes,
        changelog=tuple(info.changelog),
        revised=info.revised,
    )


_NAME_RE = re.compile(r"[^a-z0-9_-]+")


def package_name(slug: str) -> str:
    """A stable CKAN-valid name (2–100 chars of a-z0-9_-), without dates."""
    name = _NAME_RE.sub("-", slug.lower()).strip("-_")
    name = re.sub(r"-?(19|20)\d\d(-\d\d){0,2}", "", name).strip("-_") or "freigabe"
    if len(name) < 2:
        name = f"{name}-daten"
    return name[:100]


_MONTH_RE = re.compile(r"^\s*(\d{4})-(\d{2})\s*$")
_YEAR_RE = re.compile(r"^\s*(\d{4})\s*$")
_DATE_RE = re.compile(r"(\d{4}-\d{2}-\d{2})|(\d{1,2})\.(\d{1,2})\.(\d{4})")


def parse_period(text: str, default: dt.date) -> tuple[dt.date, dt.date]:
    """'2026-10' → whole month; '2026' → year; '2026-01-01/2026-03-31' or '31.10.2026' → the dates."""
    text = text or ""
    if m := _MONTH_RE.match(text):
        y, mo = int(m.group(1)), int(m.group(2))
        if 1 <= mo <= 12:
            nxt = dt.date(y + (mo == 12), mo % 12 + 1, 1)
            return dt.date(y, mo, 1), nxt - dt.timedelta(days=1)
    if m := _YEAR_RE.match(text):
        y = int(m.group(1))
        return dt.date(y, 1, 1), dt.date(y, 12, 31)
    dates = []
    for iso, d, mo, y in _DATE_RE.findall(text):
        try:
            dates.append(dt.date.fromisoformat(iso) if iso else dt.date(int(y), int(mo), int(d)))
        except ValueError:
            continue
    if dates:
        return min(dates), max(dates)
    return default, default


def frequency_of(period: str) -> str:
    """The EU frequency code a reference period implies when the series names none: a month → MONTHLY,
    a year → ANNUAL, a quarter → QUARTERLY, anything else → IRREG."""
    period = period or ""
    if _MONTH_RE.match(period):
        return "MONTHLY"
    if _YEAR_RE.match(period):
        return "ANNUAL"
    if re.match(r"^\s*\d{4}-?Q[1-4]\s*$", period, re.I):
        return "QUARTERLY"
    return "IRREG"


def _email(text: str) -> str | None:
    m = re.search(r"[\w.+-]+@[\w-]+(\.[\w-]+)+", text or "")
    return m.group(0) if m else None
