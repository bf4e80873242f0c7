"""Licences: Freigabe's licence keys, their dcat-ap.de URIs, and how a portal's licence list names them.

A submission names a licence by key (``dl-de/by-2-0`` ...).  :data:`LICENCES` is the table of known keys;
an unknown key is a typed error (:func:`licence` raises ``catalog.licence.unknown``) at upload, never a
silent substitution.  Each licence carries its DCAT-AP.de URI (``http://dcat-ap.de/def/licenses/...``, the
vocabulary GovData requires on every distribution), its Frictionless name, title and URL.

A restricted release (download area for groups only) never carries an open licence: :func:`for_audience`
gives :data:`CLOSED` (``other-closed``) for it, a documented rule applied to every restricted release.

On a CKAN portal the licence id is found (:func:`portal_license_id`) by, in this order: the operator's
mapping (setting ``FREIGABE_CKAN_LICENSE_MAP``), then the portal's ``license_list`` entry whose id is the
key, the dcat-ap.de URI or its short form (``dl-by-de/2.0``), whose URL is the licence URL or the URI, or
whose title is the licence title.  No match: ``catalog.ckan.license_unknown`` (not retried).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .errors import CKAN_LICENSE_UNKNOWN, LICENCE_UNKNOWN, CatalogError, CkanError, MetadataError

DCATDE_LICENSES = "http://dcat-ap.de/def/licenses/"


@dataclass(frozen=True)
class Licence:
    key: str  # Freigabe's key, as submissions name it
    name: str  # Frictionless licence name
    title: str
    url: str  # the licence text
    uri: str  # DCAT-AP.de licence URI
    open: bool = True

    @property
    def short_id(self) -> str:
        """The URI without the vocabulary prefix, as German CKAN portals often use it (``dl-by-de/2.0``)."""
        return self.uri.removeprefix(DCATDE_LICENSES)

    def frictionless(self) -> dict[str, str]:
        return {"name": self.name, "title": self.title, "path": self.url}


LICENCES: dict[str, Licence] = {
    lic.key: lic
    for lic in (
        Licence("dl-de/by-2-0", "DL-DE-BY-2.0", "Datenlizenz Deutschland – Namensnennung – Version 2.0",
                "https://www.govdata.de/dl-de/by-2-0", DCATDE_LICENSES + "dl-by-de/2.0"),
        Licence("dl-de/zero-2-0", "DL-DE-ZERO-2.0", "Datenlizenz Deutschland – Zero – Version 2.0",
                "https://www.govdata.de/dl-de/zero-2-0", DCATDE_LICENSES + "dl-zero-de/2.0"),
        Licence("cc-by-4.0", "CC-BY-4.0", "Creative Commons Namensnennung – 4.0 International (CC BY 4.0)",
                "https://creativecommons.org/licenses/by/4.0/", DCATDE_LICENSES + "cc-by/4.0"),
        Licence("cc-zero", "CC0-1.0", "Creative Commons CC Zero License (cc-zero)",
                "https://creativecommons.org/publicdomain/zero/1.0/", DCATDE_LICENSES + "cc-zero"),
    )
}
CLOSED = Licence("other-closed", "other-closed", "Andere geschlossene Lizenz",
                 DCATDE_LICENSES + "other-closed", DCATDE_LICENSES + "other-closed", open=False)
DEFAULT_KEY = "dl-de/by-2-0"


def licence(key: str | None) -> Licence:
    """The licence of a key (None/empty: the default); unknown → :class:`MetadataError`."""
    key = (key or DEFAULT_KEY).strip()
    if key in LICENCES:
        return LICENCES[key]
    if key == CLOSED.key:
        return CLOSED
    raise MetadataError([CatalogError(LICENCE_UNKNOWN, licence=key, known=", ".join(sorted(LICENCES)))])


def for_audience(key: str | None, audience: str) -> Licence:
    """The licence a release is published under: restricted releases are never openly licensed."""
    lic = licence(key)
    return CLOSED if audience == "restricted" else lic


def by_uri(uri: str) -> Licence | None:
    for lic in (*LICENCES.values(), CLOSED):
        if uri in (lic.uri, lic.url):
            return lic
    return None


def parse_mapping(text: str | Mapping[str, str] | None) -> dict[str, str]:
    """``"dl-de/by-2-0=dl-by-de/2.0; cc-by-4.0=CC-BY-4.0"`` (setting) → {key: portal id}."""
    if not text:
        return {}
    if isinstance(text, Mapping):
        return {str(k): str(v) for k, v in text.items()}
    out = {}
    for part in str(text).replace("\n", ";").split(";"):
        if "=" in part:
            k, v = part.split("=", 1)
            if k.strip() and v.strip():
                out[k.strip()] = v.strip()
    return out


def portal_license_id(lic: Licence, license_list: Iterable[Mapping[str, str]],
                      mapping: Mapping[str, str] | None = None) -> str:
    """The portal's licence id for ``lic`` (see module docstring); raises ``catalog.ckan.license_unknown``."""
    entries = list(license_list)
    ids = {str(e.get("id")) for e in entries}
    wanted = (mapping or {}).get(lic.key)
    if wanted:
        if wanted in ids:
            return wanted
        raise CkanError(CKAN_LICENSE_UNKNOWN, license_id=wanted, known=", ".join(sorted(ids)))
    for candidates, field in (((lic.key, lic.uri, lic.short_id, lic.name), "id"),
                              ((lic.url, lic.uri), "url"), ((lic.title,), "title")):
        wanted_ci = {c.lower().rstrip("/") for c in candidates}
        for e in entries:
            if str(e.get(field) or "").lower().rstrip("/") in wanted_ci:
                return str(e["id"])
    raise CkanError(CKAN_LICENSE_UNKNOWN, license_id=f"{lic.key} ({lic.uri})", known=", ".join(sorted(ids)))
