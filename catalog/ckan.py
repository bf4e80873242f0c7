"""CKAN publication target (via ``ckanapi``): one dataset per series, idempotent, verified.

* One CKAN dataset per series (``name`` = the package's stable series name) in the configured
  organisation; its resources (data CSV, ``datapackage.json``) are created on the first release and
  updated in place by later ones.  Each resource carries ``freigabe_key`` (``daten``/``datapackage``) and
  ``sha256`` of the uploaded bytes, so a re-run recognises what is already there.
* Never ``package_update`` (it deletes whatever is omitted): a new dataset is made with
  ``package_create``; an existing one is changed with ``package_revise`` matched on its ``id`` *and*
  ``metadata_modified`` (a concurrent change makes the revise fail instead of being overwritten), and only
  when a field actually differs.  Resources are changed only when their sha256 differs.  So publishing
  the same release twice changes nothing on CKAN: same resource ids, no duplicates, no new activity.
* After uploading, every resource is downloaded back *anonymously* and its sha256 compared with the
  approved artifact (:class:`CkanHashMismatch` otherwise); the dataset must be visible anonymously.
* Every failure becomes a typed :class:`~catalog.errors.CkanError` with a stable code and German/English
  message; ``retryable`` tells the worker whether to try again later (timeouts, refused connections, 5xx).

Settings are passed in (:class:`CkanSettings`); ``catalog`` reads no environment itself.
:func:`CkanSettings.from_mapping` builds them from ``FREIGABE_CKAN_URL``/``_TOKEN``/``_ORG`` in a mapping
the caller passes (e.g. ``os.environ``) and returns ``None`` when they are absent (CKAN target off).

A :class:`CkanTarget` is meant for one thread (it remembers the last HTTP status per thread).
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import ckanapi
import requests

from .datapackage import DataPackage
from .errors import (
    CKAN_API,
    CKAN_HASH_MISMATCH,
    CKAN_LICENSE_UNKNOWN,
    CKAN_NOT_AUTHORIZED,
    CKAN_NOT_FOUND,
    CKAN_NOT_PUBLIC,
    CKAN_SERVER,
    CKAN_TIMEOUT,
    CKAN_UNREACHABLE,
    CkanError,
    CkanHashMismatch,
    CkanNotAuthorized,
    CkanNotFound,
    CkanServerError,
    CkanTimeout,
    CkanUnreachable,
    CkanValidationError,
)

#: package licence name (Frictionless) -> licence id as GovData-style portals' license_list names it
LICENSE_IDS = {
    "DL-DE-BY-2.0": "dl-by-de/2.0",
    "DL-DE-ZERO-2.0": "dl-zero-de/2.0",
    "CC-BY-4.0": "CC-BY-4.0",
    "CC0-1.0": "CC0-1.0",
}
#: extras this module owns (others on the dataset, e.g. set by portal staff, are kept)
OWN_EXTRAS = (
    "temporal_start",
    "temporal_end",
    "politicalGeocodingURI",
    "politicalGeocodingLevelURI",
    "geocodingText",
    "theme",
    "frequency",
    "language",
    "version_notes",
    "changelog",
    "contributorID",
    "contact_name",
    "contact_email",
    "publisher_name",
    "freigabe_package_id",
    "freigabe_digest",
    "freigabe_withdrawn",
)
CORE_FIELDS = (
    "title",
    "notes",
    "version",
    "license_id",
    "author",
    "author_email",
    "maintainer",
    "maintainer_email",
    "url",
    "private",
)


@dataclass(frozen=True)
class CkanSettings:
    url: str
    token: str
    org: str
    timeout: float = 30.0
    verify_tls: bool = True
    user_agent: str = "Freigabe/0.1 (+ckanapi)"

    @classmethod
    def from_mapping(cls, env: Mapping[str, str], prefix: str = "FREIGABE_CKAN_") -> CkanSettings | None:
        url, token, org = (env.get(prefix + k, "").strip() for k in ("URL", "TOKEN", "ORG"))
        if not (url and token and org):
            return None
        timeout = float(env.get(prefix + "TIMEOUT") or 30)
        return cls(url=url.rstrip("/"), token=token, org=org, timeout=timeout)


@dataclass(frozen=True)
class CkanResourceSpec:
    key: str  # stable role in the dataset: "daten", "datapackage"
    name: str
    filename: str
    data: bytes
    format: str
    mimetype: str
    description: str = ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class CkanRelease:
    name: str
    title: str
    notes: str
    version: str
    license_id: str
    author: str
    maintainer: str
    maintainer_email: str
    resources: tuple[CkanResourceSpec, ...]
    tags: tuple[str, ...] = ()
    extras: Mapping[str, str] = field(default_factory=dict)
    author_email: str = ""
    url: str = ""

    @classmethod
    def from_package(cls, pkg: DataPackage, license_ids: Mapping[str, str] | None = None) -> CkanRelease:
        d = pkg.descriptor
        dcat = d.get("dcat", {})
        lic = d["licenses"][0]["name"]
        ids = {**LICENSE_IDS, **(license_ids or {})}
        publisher = next((c for c in d.get("contributors", []) if c.get("role") == "publisher"), {})
        contact = next((c for c in d.get("contributors", []) if c.get("role") == "contact"), {})
        extras = {
            "temporal_start": dcat.get("temporal", {}).get("start", ""),
            "temporal_end": dcat.get("temporal", {}).get("end", ""),
            "politicalGeocodingURI": dcat.get("politicalGeocodingURI", ""),
            "politicalGeocodingLevelURI": dcat.get("politicalGeocodingLevelURI", ""),
            "geocodingText": dcat.get("geocodingText", ""),
            "theme": dcat.get("theme", ""),
            "frequency": dcat.get("accrualPeriodicity", ""),
            "language": dcat.get("language", ""),
            "version_notes": dcat.get("versionNotes", ""),
            # the series' releases so far (version, date, period, notes), as JSON text
            "changelog": json.dumps(d["changelog"], ensure_ascii=False) if d.get("changelog") else "",
            "contributorID": dcat.get("contributorID", ""),
            "contact_name": contact.get("title", ""),
            "contact_email": contact.get("email", ""),
            "publisher_name": publisher.get("title", ""),
            "freigabe_package_id": d.get("id", ""),
            "freigabe_digest": pkg.digest(),
        }
        resources = (
            CkanResourceSpec(
                "daten",
                d["title"],
                pkg.data_path.rsplit("/", 1)[-1],
                pkg.data_bytes,
                "CSV",
                "text/csv",
                "Tabelle (UTF-8, Komma-getrennt); '.' = geheim gehalten, '-' = nichts vorhanden"
                + ("; Spalte revision: 'r' = berichtigte Zahl" if "r" in d.get("symbols", {}) else ""),
            ),
            CkanResourceSpec(
                "datapackage",
                "datapackage.json",
                "datapackage.json",
                pkg.descriptor_bytes,
                "JSON",
                "application/json",
                "Frictionless Data Package (Metadaten und Schema)",
            ),
        )
        return cls(
            name=pkg.name,
            title=d["title"],
            notes=d.get("description", ""),
            version=pkg.version,
            license_id=ids.get(lic, lic),
            author=publisher.get("title", ""),
            author_email=publisher.get("email", ""),
            maintainer=contact.get("title", ""),
            maintainer_email=contact.get("email", ""),
            resources=resources,
            tags=tuple(d.get("keywords", ())),
            extras={k: v for k, v in extras.items() if v},
            url=publisher.get("path", ""),
        )


@dataclass(frozen=True)
class PublishedResource:
    key: str
    id: str
    url: str
    sha256: str
    uploaded: bool  # False: the same bytes were already there


@dataclass(frozen=True)
class PublishResult:
    dataset_id: str
    dataset_name: str
    dataset_url: str
    metadata_changed: bool
    resources: tuple[PublishedResource, ...]

    @property
    def changed(self) -> bool:
        return self.metadata_changed or any(r.uploaded for r in self.resources)

    def to_dict(self) -> dict[str, Any]:
        return {
            "dataset_id": self.dataset_id,
            "dataset_name": self.dataset_name,
            "dataset_url": self.dataset_url,
            "metadata_changed": self.metadata_changed,
            "changed": self.changed,
            "resources": [r.__dict__ for r in self.resources],
        }


class CkanTarget:
    def __init__(self, settings: CkanSettings, session: requests.Session | None = None):
        self.settings = settings
        self._status = threading.local()
        self.session = session or requests.Session()
        self.session.verify = settings.verify_tls
        self.session.hooks["response"].append(self._remember_status)
        self.api = ckanapi.RemoteCKAN(
            settings.url, apikey=settings.token, user_agent=settings.user_agent, session=self.session
        )
        self.anon_session = requests.Session()
        self.anon_session.verify = settings.verify_tls
        self.anon_session.hooks["response"].append(self._remember_status)
        self.anon = ckanapi.RemoteCKAN(
            settings.url, user_agent=settings.user_agent, session=self.anon_session
        )
        self._licenses: set[str] | None = None

    # -- public API -------------------------------------------------------------------------------------------
    def publish(self, release: CkanRelease, *, verify: bool = True) -> PublishResult:
        """Create or update the series' dataset and its resources; verify anonymously afterwards."""
        self._check_license(release.license_id)
        existing = self._show(release.name)
        if existing is None:
            pkg = self._call("package_create", self._create_dict(release))
            metadata_changed = True
        else:
            pkg, metadata_changed = self._revise(existing, release)
        published = []
        for spec in release.resources:
            pkg, res = self._sync_resource(pkg, spec)
            published.append(res)
        result = PublishResult(
            pkg["id"],
            pkg["name"],
            f"{self.settings.url}/dataset/{pkg['name']}",
            metadata_changed,
            tuple(published),
        )
        if verify:
            self.verify(release, result)
        return result

    def verify(self, release: CkanRelease, result: PublishResult | None = None) -> None:
        """As an anonymous client: the dataset is visible and every resource's bytes hash as approved."""
        try:
            pkg = self._call("package_show", {"id": release.name}, anonymous=True)
        except (CkanNotFound, CkanNotAuthorized):
            raise CkanError(CKAN_NOT_PUBLIC, name=release.name, status=self._last_status() or 403) from None
        by_key = {r.get("freigabe_key"): r for r in pkg.get("resources", [])}
        for spec in release.resources:
            res = by_key.get(spec.key)
            if res is None:
                raise CkanNotFound(
                    CKAN_NOT_FOUND, what=f"resource {spec.key} of {release.name}", action="verify"
                )
            actual = self.download_sha256(res["url"])
            if actual != spec.sha256:
                raise CkanHashMismatch(
                    CKAN_HASH_MISMATCH, resource=res["url"], expected=spec.sha256, actual=actual
                )

    def download_sha256(self, url: str) -> str:
        """sha256 of a resource downloaded without credentials (streamed)."""
        action = f"GET {url}"
        try:
            with self.anon_session.get(
                url, timeout=self.settings.timeout, stream=True, allow_redirects=True
            ) as r:
                if r.status_code in (401, 403):
                    raise CkanError(CKAN_NOT_PUBLIC, name=url, status=r.status_code)
                if r.status_code == 404:
                    raise CkanNotFound(CKAN_NOT_FOUND, what=url, action=action)
                if r.status_code >= 500:
                    raise CkanServerError(
                        CKAN_SERVER, url=self.settings.url, status=r.status_code, action=action
                    )
                if r.status_code != 200:
                    raise CkanError(CKAN_API, action=action, detail=f"HTTP {r.status_code}")
                h = hashlib.sha256()
                for chunk in r.iter_content(1 << 16):
                    h.update(chunk)
                return h.hexdigest()
        except requests.Timeout:
            raise CkanTimeout(
                CKAN_TIMEOUT, url=self.settings.url, seconds=self.settings.timeout, action=action
            ) from None
        except requests.ConnectionError as exc:
            raise CkanUnreachable(
                CKAN_UNREACHABLE, url=self.settings.url, action=action, detail=type(exc).__name__
            ) from None

    def set_private(self, name: str, private: bool = True) -> bool:
        """Make the dataset private (or public again); returns whether anything changed."""
        pkg = self._show(name)
        if pkg is None:
            raise CkanNotFound(CKAN_NOT_FOUND, what=f"dataset {name}", action="set_private")
        if bool(pkg.get("private")) == private:
            return False
        self._call(
            "package_revise",
            {
                "match": {"id": pkg["id"], "metadata_modified": pkg["metadata_modified"]},
                "update": {"private": private},
            },
        )
        return True

    def withdraw(self, name: str, notice: str) -> bool:
        """Withdraw: the dataset becomes private and carries ``freigabe_withdrawn`` = notice."""
        pkg = self._show(name)
        if pkg is None:
            return False  # never published: nothing to withdraw
        extras = _extras_dict(pkg)
        if pkg.get("private") and extras.get("freigabe_withdrawn") == notice:
            return False
        extras["freigabe_withdrawn"] = notice
        self._call(
            "package_revise",
            {
                "match": {"id": pkg["id"], "metadata_modified": pkg["metadata_modified"]},
                "update": {"private": True, "extras": _extras_list(extras)},
            },
        )
        return True

    def is_public(self, name: str) -> bool:
        try:
            self._call("package_show", {"id": name}, anonymous=True)
            return True
        except (CkanNotFound, CkanNotAuthorized):
            return False

    def dataset(self, name: str, anonymous: bool = False) -> dict[str, Any] | None:
        if anonymous:
            try:
                return self._call("package_show", {"id": name}, anonymous=True)
            except (CkanNotFound, CkanNotAuthorized):
                return None
        return self._show(name)

    def status(self) -> dict[str, Any]:
        return self._call("status_show", {}, anonymous=True)

    # -- internals --------------------------------------------------------------------------------------------
    def _check_license(self, license_id: str) -> None:
        if self._licenses is None:
            self._licenses = {lic["id"] for lic in self._call("license_list", {}, anonymous=True)}
        if license_id not in self._licenses:
            raise CkanError(
                CKAN_LICENSE_UNKNOWN, license_id=license_id, known=", ".join(sorted(self._licenses))
            )

    def _show(self, name: str) -> dict[str, Any] | None:
        try:
            return self._call("package_show", {"id": name})
        except CkanNotFound:
            return None

    def _create_dict(self, release: CkanRelease) -> dict[str, Any]:
        return {
            "name": release.name,
            "owner_org": self.settings.org,
            "private": False,
            **{f: getattr(release, f) for f in CORE_FIELDS if f != "private"},
            "tags": [{"name": t} for t in ckan_tags(release.tags)],
            "extras": _extras_list(dict(release.extras)),
        }

    def _revise(self, pkg: dict[str, Any], release: CkanRelease) -> tuple[dict[str, Any], bool]:
        want = self._create_dict(release)
        update: dict[str, Any] = {}
        for f in CORE_FIELDS:
            if (pkg.get(f) or "") != (want[f] or "") and not (f == "private" and bool(pkg.get(f)) == want[f]):
                update[f] = want[f]
        current = _extras_dict(pkg)
        merged = {k: v for k, v in current.items() if k not in OWN_EXTRAS}
        merged.update(release.extras)
        if merged != current:
            update["extras"] = _extras_list(merged)
        if sorted(t["name"] for t in pkg.get("tags", [])) != sorted(t["name"] for t in want["tags"]):
            update["tags"] = want["tags"]
        if (
            pkg.get("organization")
            and pkg["organization"].get("name") != self.settings.org
            and pkg.get("owner_org") != self.settings.org
        ):
            update["owner_org"] = self.settings.org
        if not update:
            return pkg, False
        out = self._call(
            "package_revise",
            {"match": {"id": pkg["id"], "metadata_modified": pkg["metadata_modified"]}, "update": update},
        )
        return out["package"], True

    def _sync_resource(
        self, pkg: dict[str, Any], spec: CkanResourceSpec
    ) -> tuple[dict[str, Any], PublishedResource]:
        mine = [r for r in pkg.get("resources", []) if r.get("freigabe_key") == spec.key]
        for extra in mine[1:]:  # duplicates left by an interrupted run
            self._call("resource_delete", {"id": extra["id"]})
        fields = {
            "name": spec.name,
            "format": spec.format,
            "mimetype": spec.mimetype,
            "description": spec.description,
            "freigabe_key": spec.key,
            "sha256": spec.sha256,
            "hash": "sha256:" + spec.sha256,
            "size": str(len(spec.data)),
        }
        if mine:
            res = mine[0]
            same = (
                res.get("sha256") == spec.sha256
                and all(str(res.get(k) or "") == str(v) for k, v in fields.items() if k != "size")
                and res.get("url_type") == "upload"
            )
            if same:
                return pkg, PublishedResource(spec.key, res["id"], res["url"], spec.sha256, False)
            res = self._call("resource_patch", {"id": res["id"], **fields}, files={"upload": _file(spec)})
        else:
            res = self._call(
                "resource_create",
                {"package_id": pkg["id"], "url": "", **fields},
                files={"upload": _file(spec)},
            )
        pkg = self._call("package_show", {"id": pkg["id"]})
        return pkg, PublishedResource(spec.key, res["id"], res["url"], spec.sha256, True)

    def _remember_status(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._status.value = response.status_code

    def _last_status(self) -> int | None:
        return getattr(self._status, "value", None)

    def _call(
        self,
        action: str,
        data: dict[str, Any],
        *,
        anonymous: bool = False,
        files: dict[str, Any] | None = None,
    ) -> Any:
        api = self.anon if anonymous else self.api
        self._status.value = None
        kwargs = {"timeout": self.settings.timeout}
        try:
            if files:
                # multipart: every field must be a string
                flat = {
                    k: ("true" if v is True else "false" if v is False else str(v)) for k, v in data.items()
                }
                return api.call_action(action, flat, files=files, requests_kwargs=kwargs)
            return api.call_action(action, data, requests_kwargs=kwargs)
        except ckanapi.ValidationError as exc:
            err = exc.error_dict if isinstance(exc.error_dict, dict) else {"error": exc.error_dict}
            raise CkanValidationError(action, err) from None
        except ckanapi.NotAuthorized:
            raise CkanNotAuthorized(CKAN_NOT_AUTHORIZED, action=action, org=self.settings.org) from None
        except ckanapi.NotFound:
            raise CkanNotFound(
                CKAN_NOT_FOUND, what=str(data.get("id") or data.get("package_id") or "?"), action=action
            ) from None
        except requests.Timeout:
            raise CkanTimeout(
                CKAN_TIMEOUT, url=self.settings.url, seconds=self.settings.timeout, action=action
            ) from None
        except requests.ConnectionError as exc:
            raise CkanUnreachable(
                CKAN_UNREACHABLE, url=self.settings.url, action=action, detail=_reason(exc)
            ) from None
        except ckanapi.CKANAPIError as exc:
            status = self._last_status()
            if status is not None and status >= 500:
                raise CkanServerError(
                    CKAN_SERVER, url=self.settings.url, status=status, action=action
                ) from None
            detail = f"HTTP {status}" if status else str(exc)[:300]
            raise CkanError(CKAN_API, action=action, detail=detail) from None


def ckan_tags(keywords: Sequence[str]) -> list[str]:
    """Keywords as valid CKAN tags (2-100 chars of letters, digits, space, ``-_.``), deduplicated."""
    out: list[str] = []
    for k in keywords:
        tag = re.sub(r"\s+", " ", re.sub(r"[^\w \-.]", " ", str(k))).strip()[:100].strip()
        if len(tag) >= 2 and tag not in out:
            out.append(tag)
    return out


def _file(spec: CkanResourceSpec) -> io.BytesIO:
    f = io.BytesIO(spec.data)
    f.name = spec.filename  # requests uses it as the multipart filename (and CKAN in the URL)
    return f


def _extras_dict(pkg: Mapping[str, Any]) -> dict[str, str]:
    return {e["key"]: e["value"] for e in pkg.get("extras", []) or []}


def _extras_list(extras: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"key": k, "value": extras[k]} for k in sorted(extras)]


def _reason(exc: Exception) -> str:
    text = str(exc)
    for marker in ("Connection refused", "Name or service not known", "No route to host", "timed out"):
        if marker in text:
            return marker
    return type(exc).__name__


def release_resources_sha256(release: CkanRelease) -> dict[str, str]:
    return {r.key: r.sha256 for r in release.resources}


__all__: Sequence[str] = (
    "LICENSE_IDS",
    "CkanRelease",
    "CkanResourceSpec",
    "CkanSettings",
    "CkanTarget",
    "PublishResult",
    "PublishedResource",
)
