"""What one release version becomes on CKAN: dataset fields (DCAT-AP.de) and the version's resources.

Built from the package descriptor alone (:meth:`CkanRelease.from_descriptor`), so that the dataset-level
fields of the newest period can be rebuilt from the ``datapackage.json`` a version left on CKAN.

Dataset fields (read by ckanext-dcat / GovData's ``dcatap_de`` profile): title, notes, version,
``license_id`` (the portal's id for the licence), ``url`` (dcat:landingPage), tags, and as extras — or, on a
ckanext-scheming portal, as the schema's own fields (:func:`scheming_fields`) — theme, frequency, language,
conforms_to, access_rights, version_notes, temporal_start/_end, politicalGeocodingURI,
politicalGeocodingLevelURI, geocodingText, contributorID, contact and publisher.

Resources of a version (key ``<version>/<role>``): data CSV (also loaded into the DataStore), code list,
Excel variant, zip, and a ``datapackage.json`` whose paths are the CKAN URLs of the data and code list (it
resolves from CKAN alone).  Each carries ``license`` (dcat-ap.de URI), ``format``/``mimetype`` (vocabulary
URIs), ``hash`` (hex) + ``hash_algorithm`` (spdx), ``size``, ``conforms_to`` and ``freigabe_*`` bookkeeping
(version, period, temporal range, sha256).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from .datapackage import DATA_PACKAGE_SPEC, THEME_BASE
from .dcat import RFC4180, SHA256_ALGORITHM, TABLE_SCHEMA_SPEC, file_type
from .targets import Release, file_names, release_files

ROLES = ("daten", "gebiete", "excel", "xlsx", "zip", "datapackage")  # order of a version's resources
ROLE_TITLES = {
    "daten": "Daten (CSV)",
    "gebiete": "Codeliste (CSV)",
    "excel": "Daten für Excel (CSV)",
    "xlsx": "Excel-Arbeitsmappe (XLSX)",
    "zip": "Datenpaket (ZIP)",
    "datapackage": "datapackage.json",
}
ROLE_DESCRIPTIONS = {
    "daten": "Tabelle (UTF-8, Komma-getrennt); '.' = geheim gehalten, '-' = nichts vorhanden",
    "gebiete": "Gebietsschlüssel und -namen der Tabelle (Fremdschlüssel ebene, gebietsschluessel)",
    "excel": "Dieselbe Tabelle für Microsoft Excel: Semikolon, Dezimalkomma, UTF-8 mit BOM",
    "xlsx": "Für Excel und LibreOffice: Tabelle mit Gebietsnamen und Blatt „Hinweise“ (Geheimhaltung, Zeichen, "
            "Quelle, Lizenz, Version)",
    "zip": "Frictionless Data Package mit Daten, Codeliste und datapackage.json",
    "datapackage": "Frictionless Data Package (Metadaten und Schema); die Pfade zeigen auf die Dateien hier",
}
#: German titles of the EU data themes (CKAN groups are named by the code in lower case)
THEME_TITLES = {
    "AGRI": "Landwirtschaft, Fischerei, Forstwirtschaft und Nahrungsmittel", "ECON": "Wirtschaft und Finanzen",
    "EDUC": "Bildung, Kultur und Sport", "ENER": "Energie", "ENVI": "Umwelt", "GOVE": "Regierung und öffentlicher Sektor",
    "HEAL": "Gesundheit", "INTR": "Internationale Themen", "JUST": "Justiz, Rechtssystem und öffentliche Sicherheit",
    "OP_DATPRO": "Vorläufige Daten", "REGI": "Regionen und Städte", "SOCI": "Bevölkerung und Gesellschaft",
    "TECH": "Wissenschaft und Technologie", "TRAN": "Verkehr",
}
#: extras this module owns (others on the dataset, e.g. set by portal staff, are kept)
OWN_EXTRAS = (
    "temporal_start", "temporal_end", "politicalGeocodingURI", "politicalGeocodingLevelURI", "geocodingText",
    "theme", "frequency", "language", "conforms_to", "access_rights", "version_notes", "changelog",
    "contributorID", "contact_name", "contact_email", "publisher_name", "publisher_url", "freigabe_package_id",
    "freigabe_digest", "freigabe_latest", "freigabe_withdrawn",
)
CORE_FIELDS = ("title", "notes", "version", "license_id", "author", "author_email", "maintainer",
               "maintainer_email", "url")


@dataclass(frozen=True)
class CkanResourceSpec:
    key: str  # "<version>/<role>": stable within the dataset
    role: str
    version: str
    name: str
    filename: str
    data: bytes
    format: str  # EU file-type URI
    mimetype: str  # IANA media-type URI
    description: str = ""
    conforms_to: tuple[str, ...] = ()
    extra: Mapping[str, str] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()

    def fields(self, licence_uri: str) -> dict[str, Any]:
        return {
            "name": self.name, "description": self.description, "format": self.format, "mimetype": self.mimetype,
            "license": licence_uri, "hash": self.sha256, "hash_algorithm": SHA256_ALGORITHM,
            "size": str(len(self.data)), "conforms_to": json.dumps(list(self.conforms_to)),
            "freigabe_key": self.key, "freigabe_role": self.role, "freigabe_version": self.version,
            "sha256": self.sha256, **self.extra,
        }


@dataclass(frozen=True)
class CkanRelease:
    name: str
    version: str
    period: str
    temporal_start: str
    temporal_end: str
    title: str
    notes: str
    licence_key: str
    licence_uri: str
    author: str
    author_email: str
    maintainer: str
    maintainer_email: str
    url: str  # landing page ("" → the CKAN dataset page)
    tags: tuple[str, ...]
    themes: tuple[str, ...]  # EU data-theme codes
    dcat: Mapping[str, Any]  # dataset-level DCAT fields (see module docstring), values str or list
    resources: tuple[CkanResourceSpec, ...] = ()  # without the datapackage (built after upload)
    descriptor: Mapping[str, Any] = field(default_factory=dict)
    digest: str = ""
    rows: tuple[tuple[str, ...], ...] = ()  # the data table (header first), for the DataStore

    @classmethod
    def from_descriptor(cls, d: Mapping[str, Any], *, digest: str = "") -> CkanRelease:
        dc = d.get("dcat", {})
        publisher = next((c for c in d.get("contributors", []) if c.get("role") == "publisher"), {})
        contact = next((c for c in d.get("contributors", []) if c.get("role") == "contact"), {})
        temporal = dc.get("temporal", {})
        themes = tuple(t.rsplit("/", 1)[-1] for t in _as_list(dc.get("theme")))
        lic = (d.get("licenses") or [{}])[0]
        from .licences import by_uri

        known = by_uri(dc.get("license") or "") or by_uri(lic.get("path") or "")
        fields = {
            "temporal_start": temporal.get("start", ""), "temporal_end": temporal.get("end", ""),
            "politicalGeocodingURI": dc.get("politicalGeocodingURI", ""),
            "politicalGeocodingLevelURI": dc.get("politicalGeocodingLevelURI", ""),
            "geocodingText": dc.get("geocodingText", ""),
            "theme": [THEME_BASE + t for t in themes],
            "frequency": dc.get("accrualPeriodicity", ""),
            "language": _as_list(dc.get("language")),
            "conforms_to": _as_list(dc.get("conformsTo") or DATA_PACKAGE_SPEC),
            "access_rights": dc.get("accessRights", ""),
            "version_notes": dc.get("versionNotes", ""),
            "changelog": json.dumps(d["changelog"], ensure_ascii=False) if d.get("changelog") else "",
            "contributorID": dc.get("contributorID", ""),
            "contact_name": contact.get("title", ""), "contact_email": contact.get("email", ""),
            "publisher_name": publisher.get("title", ""), "publisher_url": publisher.get("path", ""),
            "freigabe_package_id": d.get("id", ""), "freigabe_digest": digest,
            "freigabe_latest": str(d.get("version", "")),
        }
        return cls(
            name=d["name"], version=str(d["version"]), period=str(dc.get("period") or temporal.get("start", "")),
            temporal_start=temporal.get("start", ""), temporal_end=temporal.get("end", ""),
            title=d["title"], notes=d.get("description", ""),
            licence_key=known.key if known else str(lic.get("name", "")),
            licence_uri=dc.get("license") or (known.uri if known else ""),
            author=publisher.get("title", ""), author_email=publisher.get("email", ""),
            maintainer=contact.get("title", ""), maintainer_email=contact.get("email", ""),
            url=dc.get("landingPage", ""), tags=tuple(d.get("keywords", ())), themes=themes,
            dcat={k: v for k, v in fields.items() if v}, descriptor=dict(d), digest=digest)

    @classmethod
    def from_release(cls, release: Release) -> CkanRelease:
        from .releasetable import read_rows

        pkg = release.package
        base = cls.from_descriptor(pkg.descriptor, digest=pkg.digest())
        files = release_files(pkg)
        names = file_names(pkg.name, pkg.version)
        extra = {"freigabe_period": base.period, "temporal_start": base.temporal_start,
                 "temporal_end": base.temporal_end}
        conforms = {"daten": (RFC4180, TABLE_SCHEMA_SPEC), "gebiete": (RFC4180, TABLE_SCHEMA_SPEC),
                    "excel": (), "xlsx": (), "zip": (DATA_PACKAGE_SPEC,)}
        specs = []
        for role in ROLES[:-1]:
            filename = names[role]
            fmt, media = file_type(filename)
            title = _resource_title(base.period, role, pkg.version)
            desc = ROLE_DESCRIPTIONS[role]
            if role == "daten" and "r" in pkg.descriptor.get("symbols", {}):
                desc += "; Spalte revision: 'r' = berichtigte Zahl"
            specs.append(CkanResourceSpec(f"{pkg.version}/{role}", role, pkg.version, title,
                                          _versioned(filename, pkg.version), files[filename], fmt, media,
                                          desc, conforms[role], extra))
        rows = tuple(tuple(r) for r in read_rows(pkg.data_bytes))
        return cls(**{**base.__dict__, "resources": tuple(specs), "rows": rows})

    def datapackage_spec(self, urls: Mapping[str, str]) -> CkanResourceSpec:
        """The version's ``datapackage.json`` for CKAN: its resource paths are the CKAN URLs in ``urls``
        (role → URL), so it resolves from the portal alone; hashes and schema unchanged."""
        d = json.loads(json.dumps(self.descriptor))
        for res in d.get("resources", []):
            role = "daten" if res.get("name") == "daten" else "gebiete" if res.get("name") == "gebiete" else None
            if role and urls.get(role):
                res["path"] = urls[role]
        data = (json.dumps(d, ensure_ascii=False, indent=2) + "\n").encode("utf-8")
        fmt, media = file_type("datapackage.json")
        return CkanResourceSpec(f"{self.version}/datapackage", "datapackage", self.version,
                                _resource_title(self.period, "datapackage", self.version),
                                "datapackage.json", data, fmt, media, ROLE_DESCRIPTIONS["datapackage"],
                                (DATA_PACKAGE_SPEC,), {"freigabe_period": self.period,
                                                       "temporal_start": self.temporal_start,
                                                       "temporal_end": self.temporal_end})

    # -- the dataset's fields -----------------------------------------------------------------------------
    def core(self, license_id: str, landing_page: str) -> dict[str, Any]:
        return {"title": self.title, "notes": self.notes, "version": self.version, "license_id": license_id,
                "author": self.author, "author_email": self.author_email, "maintainer": self.maintainer,
                "maintainer_email": self.maintainer_email, "url": self.url or landing_page}

    def extras(self) -> dict[str, str]:
        return {k: (json.dumps(v) if isinstance(v, list) else str(v)) for k, v in self.dcat.items() if v}


def scheming_fields(release: CkanRelease, schema: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
    """On a ckanext-scheming portal: (fields of the schema to set, extras that collide with none of them).

    DCAT values go into the schema's own fields where it has them (ckanext-dcat's DCAT-AP schema: theme,
    language, conforms_to — lists —, frequency, access_rights, version_notes, temporal_coverage, contact,
    publisher, spatial_coverage); the rest stays an extra only when no schema field has its name."""
    names = {f["field_name"] for f in schema.get("dataset_fields", [])}
    dc = dict(release.dcat)
    out: dict[str, Any] = {}
    for key in ("theme", "language", "conforms_to"):
        if key in names and dc.get(key):
            out[key] = _as_list(dc.pop(key))
    for key in ("frequency", "access_rights", "version_notes"):
        if key in names and dc.get(key):
            out[key] = dc.pop(key)
    if "temporal_coverage" in names and dc.get("temporal_start"):
        out["temporal_coverage"] = [{"start": dc.pop("temporal_start"), "end": dc.pop("temporal_end", "")}]
    if "contact" in names and (dc.get("contact_name") or dc.get("contact_email")):
        out["contact"] = [{"name": dc.pop("contact_name", ""), "email": dc.pop("contact_email", "")}]
    if "publisher" in names and dc.get("publisher_name"):
        out["publisher"] = [{"name": dc.pop("publisher_name"), "url": dc.pop("publisher_url", "")}]
    if "spatial_coverage" in names and dc.get("politicalGeocodingURI"):
        out["spatial_coverage"] = [{"uri": dc.get("politicalGeocodingURI"), "text": dc.get("geocodingText", "")}]
    extras = {k: (json.dumps(v) if isinstance(v, list) else str(v)) for k, v in dc.items()
              if v and k not in names}
    return out, extras


def _resource_title(period: str, role: str, version: str) -> str:
    """Short (CKAN lists resource names cut at 50 characters): period first, then what it is and the version;
    the dataset's title names the series."""
    return f"{period} – {ROLE_TITLES[role]} – {version}" if period else f"{ROLE_TITLES[role]} – {version}"


def ckan_tags(keywords: Sequence[str]) -> list[str]:
    """Keywords as valid CKAN tags (2-100 chars of letters, digits, space, ``-_.``), deduplicated."""
    out: list[str] = []
    for k in keywords:
        tag = re.sub(r"\s+", " ", re.sub(r"[^\w \-.]", " ", str(k))).strip()[:100].strip()
        if len(tag) >= 2 and tag not in out:
            out.append(tag)
    return out


def version_key(version: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in str(version).split("."))


def _versioned(filename: str, version: str) -> str:
    """The file name on CKAN: unique per version (the URL also carries the resource id)."""
    if filename.endswith((f"-{version}.zip", f"-{version}.xlsx")):
        return filename
    stem, dot, ext = filename.rpartition(".")
    return f"{stem}-{version}.{ext}" if dot else f"{filename}-{version}"


def _as_list(value: Any) -> list[str]:
    if not value:
        return []
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value if v]
    return [str(value)]
