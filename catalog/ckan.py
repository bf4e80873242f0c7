"""CKAN client (via ``ckanapi``): typed errors, anonymous download-back, DataStore, groups, scheming detection.

The publication logic (one dataset per series, resources per version, DCAT-AP.de fields) is
:mod:`catalog.ckan_target`; the fields of a release are built in :mod:`catalog.ckan_release`.  This module
only talks to CKAN:

* never ``package_update`` (it deletes whatever is omitted): ``package_create`` for a new dataset,
  ``package_revise`` matched on ``id`` *and* ``metadata_modified`` (a concurrent change makes the revise
  fail instead of being overwritten);
* every failure becomes a typed :class:`~catalog.errors.CkanError` with a stable code and German/English
  message; ``retryable`` tells the worker whether to try again later (timeouts, refused connections, 5xx);
* :meth:`CkanClient.download_sha256` downloads a file back *without* credentials (what the public gets);
* :meth:`CkanClient.schema` detects a ckanext-scheming portal (``scheming_dataset_schema_show``) so that its
  fields are written instead of colliding extras.

Settings are passed in (:class:`CkanSettings`); ``catalog`` reads no environment itself.
:func:`CkanSettings.from_mapping` builds them from ``FREIGABE_CKAN_URL``/``_TOKEN``/``_ORG`` in a mapping
the caller passes (e.g. ``os.environ``) and returns ``None`` when they are absent (CKAN target off).
A client is meant for one thread (it remembers the last HTTP status per thread).
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import ckanapi
import requests

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

@dataclass(frozen=True)
class CkanSettings:
    url: str
    token: str
    org: str
    timeout: float = 30.0
    verify_tls: bool = True
    user_agent: str = "Freigabe/0.1 (+ckanapi)"
    #: Freigabe licence key -> the portal's licence id (setting FREIGABE_CKAN_LICENSE_MAP); else looked up
    license_map: Mapping[str, str] = field(default_factory=dict)
    #: rows per DataStore call
    datastore_chunk: int = 5000

    @classmethod
    def from_mapping(cls, env: Mapping[str, str], prefix: str = "FREIGABE_CKAN_") -> CkanSettings | None:
        url, token, org = (env.get(prefix + k, "").strip() for k in ("URL", "TOKEN", "ORG"))
        if not (url and token and org):
            return None
        timeout = float(env.get(prefix + "TIMEOUT") or 30)
        from .licences import parse_mapping

        return cls(url=url.rstrip("/"), token=token, org=org, timeout=timeout,
                   license_map=parse_mapping(env.get(prefix + "LICENSE_MAP") or ""))


class CkanClient:
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
        self.anon = ckanapi.RemoteCKAN(settings.url, user_agent=settings.user_agent, session=self.anon_session)
        self._licenses: list[dict[str, Any]] | None = None
        self._schema: dict[str, Any] | None | bool = False  # False: not asked yet

    # -- reading ----------------------------------------------------------------------------------------------
    def dataset(self, name: str, anonymous: bool = False) -> dict[str, Any] | None:
        try:
            return self._call("package_show", {"id": name}, anonymous=anonymous)
        except (CkanNotFound, CkanNotAuthorized):
            if anonymous:
                return None
            raise
        except CkanError:
            raise

    def show(self, name: str) -> dict[str, Any] | None:
        """The dataset as the publishing user sees it (None: not there)."""
        try:
            return self._call("package_show", {"id": name})
        except CkanNotFound:
            return None

    def is_public(self, name: str) -> bool:
        return self.dataset(name, anonymous=True) is not None

    def status(self) -> dict[str, Any]:
        return self._call("status_show", {}, anonymous=True)

    def license_list(self) -> list[dict[str, Any]]:
        if self._licenses is None:
            self._licenses = list(self._call("license_list", {}, anonymous=True))
        return self._licenses

    def schema(self) -> dict[str, Any] | None:
        """The portal's ckanext-scheming dataset schema, or None on a portal without scheming."""
        if self._schema is False:
            try:
                self._schema = self._call("scheming_dataset_schema_show", {"type": "dataset"}, anonymous=True)
            except (CkanNotFound, CkanNotAuthorized, CkanValidationError):
                self._schema = None
            except CkanError as exc:  # a portal without the action answers 400 "action not found"
                if getattr(exc, "retryable", False):
                    raise
                self._schema = None
        return self._schema  # type: ignore[return-value]

    def download_sha256(self, url: str) -> str:
        """sha256 of a resource downloaded without credentials (streamed)."""
        return hashlib.sha256(self.download(url)).hexdigest()

    def download(self, url: str) -> bytes:
        """A file as an anonymous client gets it."""
        action = f"GET {url}"
        try:
            with self.anon_session.get(url, timeout=self.settings.timeout, stream=True, allow_redirects=True) as r:
                if r.status_code in (401, 403):
                    raise CkanError(CKAN_NOT_PUBLIC, name=url, status=r.status_code)
                if r.status_code == 404:
                    raise CkanNotFound(CKAN_NOT_FOUND, what=url, action=action)
                if r.status_code >= 500:
                    raise CkanServerError(CKAN_SERVER, url=self.settings.url, status=r.status_code, action=action)
                if r.status_code != 200:
                    raise CkanError(CKAN_API, action=action, detail=f"HTTP {r.status_code}")
                return b"".join(r.iter_content(1 << 16))
        except requests.Timeout:
            raise CkanTimeout(CKAN_TIMEOUT, url=self.settings.url, seconds=self.settings.timeout,
                              action=action) from None
        except requests.ConnectionError as exc:
            raise CkanUnreachable(CKAN_UNREACHABLE, url=self.settings.url, action=action,
                                  detail=type(exc).__name__) from None

    # -- writing ----------------------------------------------------------------------------------------------
    def create(self, data: dict[str, Any]) -> dict[str, Any]:
        return self._call("package_create", data)

    def revise(self, pkg: dict[str, Any], update: dict[str, Any]) -> dict[str, Any]:
        """``package_revise`` matched on id and metadata_modified; returns the new dataset.

        List values (extras, tags, groups, scheming's repeating fields) replace the current list: they are
        filtered out first, because ``package_revise`` merges lists element by element (a shorter or
        reordered extras list would otherwise leave stale or duplicate keys)."""
        data: dict[str, Any] = {"match": {"id": pkg["id"], "metadata_modified": pkg["metadata_modified"]},
                                "update": update}
        lists = sorted(k for k, v in update.items() if isinstance(v, list))
        if lists:
            data["filter"] = [f"-{k}" for k in lists]
        out = self._call("package_revise", data)
        return out["package"]

    def upload(self, package_id: str, fields: dict[str, Any], filename: str, data: bytes,
               resource_id: str | None = None) -> dict[str, Any]:
        """Create (or, with ``resource_id``, replace) an uploaded resource."""
        f = io.BytesIO(data)
        f.name = filename  # requests uses it as the multipart filename (and CKAN in the URL)
        if resource_id:
            return self._call("resource_patch", {"id": resource_id, **fields}, files={"upload": f})
        return self._call("resource_create", {"package_id": package_id, "url": "", **fields}, files={"upload": f})

    def patch_resource(self, resource_id: str, fields: dict[str, Any]) -> dict[str, Any]:
        return self._call("resource_patch", {"id": resource_id, **fields})

    def delete_resource(self, resource_id: str) -> None:
        try:
            self._call("resource_delete", {"id": resource_id})
        except CkanNotFound:
            pass

    def reorder(self, package_id: str, order: list[str]) -> None:
        self._call("package_resource_reorder", {"id": package_id, "order": order})

    def datastore_rows(self, resource_id: str) -> int | None:
        """Rows in the DataStore for a resource (anonymously); None when it has none."""
        try:
            out = self._call("datastore_search", {"resource_id": resource_id, "limit": 0}, anonymous=True)
        except (CkanNotFound, CkanNotAuthorized, CkanValidationError):
            return None
        return int(out.get("total") or 0)

    def datastore_load(self, resource_id: str, header: list[str], rows: list[list[str]]) -> None:
        """Replace the resource's DataStore table with these rows (all text: exactly the published cells,
        DIN 55301 symbols included)."""
        try:
            self._call("datastore_delete", {"resource_id": resource_id, "force": True})
        except (CkanNotFound, CkanValidationError):
            pass
        fields = [{"id": h, "type": "text"} for h in header]
        chunk = max(1, int(self.settings.datastore_chunk))
        first = [dict(zip(header, r)) for r in rows[:chunk]]
        self._call("datastore_create", {"resource_id": resource_id, "force": True, "fields": fields,
                                        "records": first})
        for i in range(chunk, len(rows), chunk):
            self._call("datastore_upsert", {"resource_id": resource_id, "force": True, "method": "insert",
                                            "records": [dict(zip(header, r)) for r in rows[i:i + chunk]]})

    def ensure_views(self, resource_id: str) -> bool:
        """CKAN's default views (the DataStore preview) of a datastore_active resource; True if created."""
        views = self._call("resource_view_list", {"id": resource_id})
        if any(v.get("view_type") == "datatables_view" for v in views):
            return False
        resource = self._call("resource_show", {"id": resource_id})
        created = self._call("resource_create_default_resource_views",
                             {"resource": resource, "create_datastore_views": True})
        return bool(created)

    def ensure_group(self, name: str, title: str, description: str = "") -> None:
        try:
            self._call("group_show", {"id": name}, anonymous=True)
        except (CkanNotFound, CkanNotAuthorized):
            self._call("group_create", {"name": name, "title": title, "description": description})

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


__all__: Sequence[str] = ("CkanClient", "CkanSettings")
