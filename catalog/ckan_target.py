"""The CKAN portal as a publication target, with history.

**Model: one dataset per series, one set of resources per published version.**  The dataset (name = the
series' stable name) is created by the first release; every version adds its own resources (key
``<version>/<role>``: data CSV, code list, Excel variant, zip, ``datapackage.json``), each with its own stable
URL (``/dataset/<id>/resource/<resource id>/download/<name>-<version>.csv``).  So a new period never
replaces an older one and a correction (patch version of an older period) never hides a newer period.

* The dataset's own fields (title, description, version, temporal coverage, DCAT-AP.de fields) are those
  of its **latest** version: the newest period, and within it the highest version.  A correction of an
  older period adds its resources and leaves them alone.  Resources are ordered newest period first.
* Withdrawing a version deletes exactly its resources (their URLs answer 404); the other versions stay
  public.  If the latest version was withdrawn, the dataset's fields are rebuilt from the ``datapackage.json``
  of the newest version left; with none left the dataset becomes private.
* The data CSV's rows go to the DataStore (all columns text, exactly the published cells), so CKAN's
  preview and Data API work; the version's ``datapackage.json`` points at the CKAN URLs of its data and code
  list and so resolves from CKAN alone.
* EU data themes become CKAN groups (named by the code in lower case; GovData's ``dcatap_de`` profile turns
  them into ``dcat:theme``).  On a ckanext-scheming portal the schema's fields are written instead of
  colliding extras.
* Idempotent: resources are matched by key and sha256 and only re-uploaded on a change; dataset fields are
  revised (``package_revise`` with a match) only when one differs.  After publishing, every file of the
  version is downloaded back anonymously and its sha256 compared (:class:`CkanHashMismatch`), and the
  DataStore row count is checked.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from .ckan import CkanClient, CkanSettings, _extras_dict, _extras_list
from .ckan_release import (
    CORE_FIELDS,
    OWN_EXTRAS,
    ROLES,
    THEME_TITLES,
    CkanRelease,
    CkanResourceSpec,
    ckan_tags,
    scheming_fields,
    version_key,
)
from .errors import (
    CKAN_HASH_MISMATCH,
    CKAN_NOT_FOUND,
    CKAN_NOT_PUBLIC,
    CkanError,
    CkanHashMismatch,
    CkanNotFound,
)
from .licences import by_uri, licence, portal_license_id
from .targets import MetadataProblem, Release, ReleaseRef, package_problems

#: CKAN's own e-mail validator (ckan.logic.validators.email_validator): ASCII only, so "müller@stadt.de" is
#: refused by the portal although it is a valid address elsewhere
CKAN_EMAIL_RE = re.compile(r"^[a-zA-Z0-9.!#$%&'*+/=?^_`{|}~-]+@[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?"
                           r"(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$")


class CkanTarget:
    key = "ckan"
    label = {"name": "Datenportal", "link": "Dieser Datensatz im Open-Data-Portal"}
    public_only = True

    def __init__(self, settings: CkanSettings, client: CkanClient | None = None):
        self.settings = settings
        self.client = client or CkanClient(settings)

    # -- the Target protocol ----------------------------------------------------------------------------------
    def publish(self, release: Release | CkanRelease, *, verify: bool = True) -> dict[str, Any]:
        rel = release if isinstance(release, CkanRelease) else CkanRelease.from_release(release)
        license_id = self.license_id(rel)
        schema = self.client.schema()
        groups = self._groups(rel)
        pkg = self.client.show(rel.name)
        created = pkg is None
        if pkg is None:
            pkg = self.client.create(self._create_dict(rel, license_id, schema, groups))
        others = [r for r in _data_resources(pkg) if r.get("freigabe_version") != rel.version]
        newest = all(_rank(rel.temporal_end, rel.version) >= _rank(r.get("temporal_end"), r.get("freigabe_version"))
                     for r in others)
        published, changed = [], created
        for spec in rel.resources:
            pkg, res, uploaded = self._sync(pkg, spec, rel.licence_uri)
            published.append((spec, res, uploaded))
            changed |= uploaded
        urls = {spec.role: res["url"] for spec, res, _ in published}
        data_spec, data_res, data_uploaded = published[0]
        rows = self.client.datastore_rows(data_res["id"])
        if rows != len(rel.rows) - 1 or data_uploaded:
            self.client.datastore_load(data_res["id"], list(rel.rows[0]), [list(r) for r in rel.rows[1:]])
            pkg, changed = self.client.show(rel.name), True
        if self.client.ensure_views(data_res["id"]):
            changed = True
        dp = rel.datapackage_spec(urls)
        pkg, res, uploaded = self._sync(pkg, dp, rel.licence_uri)
        published.append((dp, res, uploaded))
        changed |= uploaded
        update = self._dataset_update(pkg, rel, license_id, schema, groups) if newest else {}
        if pkg.get("private"):
            update["private"] = False
        if update:
            pkg, changed = self.client.revise(pkg, update), True
        order = _order(pkg)
        if order != [r["id"] for r in pkg.get("resources", [])]:
            self.client.reorder(pkg["id"], order)
        result = {
            "dataset_id": pkg["id"], "dataset_name": pkg["name"], "version": rel.version,
            "dataset_url": f"{self.settings.url}/dataset/{pkg['name']}", "latest": newest, "changed": changed,
            "resources": [{"key": s.key, "id": r["id"], "url": r["url"], "sha256": s.sha256, "uploaded": u}
                          for s, r, u in published],
            "datastore_rows": len(rel.rows) - 1,
        }
        if verify:
            self.verify(rel.name, [s for s, _, _ in published], len(rel.rows) - 1)
        return result

    def withdraw(self, ref: ReleaseRef) -> dict[str, Any]:
        pkg = self.client.show(ref.name)
        if pkg is None:
            return {"withdrawn": False, "version": ref.version, "reason": "not on the portal"}
        mine = [r for r in pkg.get("resources", []) if r.get("freigabe_version") == ref.version]
        for res in mine:
            self.client.delete_resource(res["id"])
        if mine:
            pkg = self.client.show(ref.name) or pkg
        remaining = _data_resources(pkg)
        schema = self.client.schema()
        update: dict[str, Any] = {}
        if not remaining:
            if not pkg.get("private"):
                update["private"] = True
        elif str(pkg.get("version")) == ref.version or _extras_dict(pkg).get("freigabe_latest") == ref.version:
            # the latest version went: the dataset's fields become those of the newest version left
            newest = max(remaining, key=lambda r: _rank(r.get("temporal_end"), r.get("freigabe_version")))
            key = f"{newest['freigabe_version']}/datapackage"
            dp = next((r for r in pkg["resources"] if r.get("freigabe_key") == key), None)
            if dp is not None:
                rel = CkanRelease.from_descriptor(json.loads(self.client.download(dp["url"])))
                update.update(self._dataset_update(pkg, rel, self.license_id(rel), schema, self._groups(rel)))
        if schema is None:  # a plain portal: record the withdrawal (version → notice) in an extra
            extras = _extras_dict({"extras": update["extras"]}) if "extras" in update else _extras_dict(pkg)
            raw = extras.get("freigabe_withdrawn") or "{}"
            withdrawn = json.loads(raw) if _is_json(raw) else {}
            if ref.version not in withdrawn:
                withdrawn[ref.version] = ref.notice or "zurückgezogen / withdrawn"
                extras["freigabe_withdrawn"] = json.dumps(withdrawn, ensure_ascii=False, sort_keys=True)
                update["extras"] = _extras_list(extras)
        if update:
            self.client.revise(pkg, update)
        return {"withdrawn": True, "version": ref.version, "changed": bool(mine or update),
                "deleted_resources": [r["id"] for r in mine],
                "remaining_versions": sorted({r.get("freigabe_version") for r in remaining}, key=version_key)}

    def location(self, result: Mapping[str, Any]) -> str | None:
        url = result.get("dataset_url")
        return url if isinstance(url, str) and url.startswith(("http://", "https://")) else None

    def check_metadata(self, meta) -> list[MetadataProblem]:
        """The package's own rules plus what CKAN validates itself: the contact's and the publisher's e-mail
        (``maintainer_email``/``author_email``) must pass CKAN's e-mail validator."""
        out = package_problems(meta)
        for fieldname, email in (("contact.email", meta.contact.email), ("publisher.email", meta.publisher.email)):
            if email and not CKAN_EMAIL_RE.match(email) and not any(p.field == fieldname for p in out):
                out.append(MetadataProblem(
                    fieldname, f"Das Datenportal (CKAN) lehnt die E-Mail-Adresse „{email}“ ab (nur Buchstaben a-z, "
                    "Ziffern und . _ - vor dem @).",
                    f"The data portal (CKAN) refuses the e-mail address '{email}' (only letters a-z, digits and "
                    ". _ - before the @)."))
        return out

    # -- checks -----------------------------------------------------------------------------------------------
    def verify(self, name: str, specs: list[CkanResourceSpec], datastore_rows: int | None = None) -> None:
        """As an anonymous client: the dataset is visible, every file hashes as approved, the DataStore holds
        every row."""
        pkg = self.client.dataset(name, anonymous=True)
        if pkg is None:
            raise CkanError(CKAN_NOT_PUBLIC, name=name, status=self.client._last_status() or 403)
        by_key = {r.get("freigabe_key"): r for r in pkg.get("resources", [])}
        for spec in specs:
            res = by_key.get(spec.key)
            if res is None:
                raise CkanNotFound(CKAN_NOT_FOUND, what=f"resource {spec.key} of {name}", action="verify")
            actual = self.client.download_sha256(res["url"])
            if actual != spec.sha256:
                raise CkanHashMismatch(CKAN_HASH_MISMATCH, resource=res["url"], expected=spec.sha256, actual=actual)
            if spec.role == "daten" and datastore_rows is not None:
                got = self.client.datastore_rows(res["id"])
                if got != datastore_rows:
                    raise CkanHashMismatch(CKAN_HASH_MISMATCH, resource=f"DataStore {res['id']}",
                                           expected=f"{datastore_rows} rows", actual=f"{got} rows")

    def license_id(self, rel: CkanRelease) -> str:
        lic = by_uri(rel.licence_uri) or licence(rel.licence_key)
        return portal_license_id(lic, self.client.license_list(), self.settings.license_map)

    # -- internals --------------------------------------------------------------------------------------------
    def _groups(self, rel: CkanRelease) -> list[str]:
        names = []
        for code in rel.themes:
            name = code.lower().replace("_", "-")
            self.client.ensure_group(name, THEME_TITLES.get(code, code),
                                     f"EU-Datenkategorie {code} (http://publications.europa.eu/resource/"
                                     f"authority/data-theme/{code})")
            names.append(name)
        return names

    def _wanted(self, rel: CkanRelease, license_id: str, schema: Mapping[str, Any] | None
                ) -> tuple[dict[str, Any], dict[str, str]]:
        core = rel.core(license_id, f"{self.settings.url}/dataset/{rel.name}")
        if schema is None:
            return core, rel.extras()
        fields, extras = scheming_fields(rel, schema)
        return {**core, **fields}, extras

    def _create_dict(self, rel: CkanRelease, license_id: str, schema, groups: list[str]) -> dict[str, Any]:
        fields, extras = self._wanted(rel, license_id, schema)
        out = {"name": rel.name, "owner_org": self.settings.org, "private": False, **fields,
               "tags": [{"name": t} for t in ckan_tags(rel.tags)], "groups": [{"name": g} for g in groups]}
        if extras:
            out["extras"] = _extras_list(extras)
        return out

    def _dataset_update(self, pkg: dict[str, Any], rel: CkanRelease, license_id: str, schema,
                        groups: list[str]) -> dict[str, Any]:
        fields, extras = self._wanted(rel, license_id, schema)
        update: dict[str, Any] = {}
        for k, v in fields.items():
            if k in CORE_FIELDS:
                if (pkg.get(k) or "") != (v or ""):
                    update[k] = v
            elif _norm(pkg.get(k)) != _norm(v):
                update[k] = v
        current = _extras_dict(pkg)
        merged = {k: v for k, v in current.items() if k not in OWN_EXTRAS or k == "freigabe_withdrawn"}
        merged.update(extras)
        if merged != current:
            update["extras"] = _extras_list(merged)
        want_tags = ckan_tags(rel.tags)
        if sorted(t["name"] for t in pkg.get("tags", [])) != sorted(want_tags):
            update["tags"] = [{"name": t} for t in want_tags]
        have = [g["name"] for g in pkg.get("groups", [])]
        if not set(groups) <= set(have):
            update["groups"] = [{"name": g} for g in sorted(set(have) | set(groups))]
        org = pkg.get("organization") or {}
        if org and org.get("name") != self.settings.org and pkg.get("owner_org") != self.settings.org:
            update["owner_org"] = self.settings.org
        return update

    def _sync(self, pkg: dict[str, Any], spec: CkanResourceSpec, licence_uri: str
              ) -> tuple[dict[str, Any], dict[str, Any], bool]:
        mine = [r for r in pkg.get("resources", []) if r.get("freigabe_key") == spec.key]
        for extra in mine[1:]:  # duplicates left by an interrupted run
            self.client.delete_resource(extra["id"])
        fields = spec.fields(licence_uri)
        lists: dict[str, Any] = {}
        if self.client.schema() is not None:
            # scheming: repeating fields are lists; a multipart upload can only send text, so they follow
            # in a JSON resource_patch
            lists["conforms_to"] = list(spec.conforms_to)
            fields.pop("conforms_to")
        if mine:
            res = mine[0]
            same = (res.get("sha256") == spec.sha256 and res.get("url_type") == "upload"
                    and all(_norm(res.get(k)) == _norm(v) for k, v in {**fields, **lists}.items() if k != "size"))
            if same:
                return pkg, res, False
            res = self.client.upload(pkg["id"], fields, spec.filename, spec.data, resource_id=res["id"])
        else:
            res = self.client.upload(pkg["id"], fields, spec.filename, spec.data)
        if lists:
            res = self.client.patch_resource(res["id"], lists)
        return self.client.show(pkg["name"]) or pkg, res, True


def _data_resources(pkg: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [r for r in pkg.get("resources", []) if r.get("freigabe_role") == "daten" and r.get("freigabe_version")]


def _rank(temporal_end: Any, version: Any) -> tuple:
    return str(temporal_end or ""), version_key(str(version or "0"))


def _order(pkg: Mapping[str, Any]) -> list[str]:
    """Newest period first, then the higher version; within a version the roles in ROLES order; foreign
    resources (not Freigabe's) last, in their order."""
    res = list(pkg.get("resources", []))
    ours = [r for r in res if r.get("freigabe_version")]
    foreign = [r for r in res if not r.get("freigabe_version")]
    ours.sort(key=lambda r: (_neg(_rank(r.get("temporal_end"), r.get("freigabe_version"))),
                             ROLES.index(r["freigabe_role"]) if r.get("freigabe_role") in ROLES else 99))
    return [r["id"] for r in ours + foreign]


def _neg(rank: tuple) -> tuple:
    end, version = rank
    return tuple(-ord(ch) for ch in end) + (1,), tuple(-v for v in version)


def _norm(value: Any) -> str:
    if isinstance(value, str) and value[:1] in "[{":
        try:
            value = json.loads(value)
        except ValueError:
            pass
    return json.dumps(value, sort_keys=True, ensure_ascii=False) if value not in (None, "") else ""


def _is_json(text: Any) -> bool:
    try:
        return isinstance(json.loads(text), dict)
    except (TypeError, ValueError):
        return False
