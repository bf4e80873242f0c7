"""Against the REAL CKAN 2.12 test instance (scripts/ckan/start.sh: DataStore, ckanext-dcat + GovData's dcatde):
history per version, idempotency, withdrawal of one version, DataStore, resolving datapackage.json, typed errors.

Every check of what the public sees is made as an anonymous client with plain HTTP requests, independent
of catalog's own verification.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import socket

import pytest
import requests

from catalog.ckan import CkanSettings
from catalog.ckan_release import CkanRelease
from catalog.ckan_target import CkanTarget
from catalog.datapackage import build_package
from catalog.errors import (
    CkanError,
    CkanHashMismatch,
    CkanNotAuthorized,
    CkanUnreachable,
    CkanValidationError,
    MetadataError,
)
from catalog.targets import Release, ReleaseRef

pytestmark = pytest.mark.ckan

JULY = {"temporal_start": "2026-07-01", "temporal_end": "2026-07-31", "period": "2026-07"}
AUGUST = {"temporal_start": "2026-08-01", "temporal_end": "2026-08-31", "period": "2026-08"}


def anon_action(settings: CkanSettings, action: str, **params) -> requests.Response:
    return requests.get(f"{settings.url}/api/3/action/{action}", params=params, timeout=30)


def anon_dataset(settings: CkanSettings, name: str) -> dict:
    r = anon_action(settings, "package_show", id=name)
    assert r.status_code == 200, r.text[:300]
    return r.json()["result"]


def release_for(make, name: str, seed: int | None = None, **meta) -> Release:
    pkg = build_package(make.table(seed=seed if seed is not None else len(name)), make.codelist(),
                        make.meta(name=name, **meta))
    return Release(pkg)


def by_key(ds: dict) -> dict[str, dict]:
    return {r["freigabe_key"]: r for r in ds["resources"]}


def test_publish_and_check_as_anonymous(ckan_instance, make):
    s = ckan_instance.settings
    rel = release_for(make, "test-publish-anon", **JULY)
    pkg = rel.package
    result = CkanTarget(s).publish(rel)
    assert result["changed"] and result["version"] == "1.0.0" and result["latest"]

    ds = anon_dataset(s, "test-publish-anon")
    assert ds["private"] is False and ds["organization"]["name"] == s.org
    assert ds["title"] == pkg.descriptor["title"] and "Mindestfallzahl 3" in ds["notes"]
    # the portal names its licences by GovData's URIs: found in its license_list, never substituted
    assert ds["license_id"] == "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
    assert ds["version"] == "1.0.0" and ds["maintainer_email"] == "statistik@musterstadt.example"
    assert sorted(t["name"] for t in ds["tags"]) == ["Migration", "Schutzsuchende"]
    assert [g["name"] for g in ds["groups"]] == ["soci"]  # the EU theme as a CKAN group
    extras = {e["key"]: e["value"] for e in ds["extras"]}
    assert extras["temporal_start"] == "2026-07-01" and extras["temporal_end"] == "2026-07-31"
    assert extras["politicalGeocodingLevelURI"] == "http://dcat-ap.de/def/politicalGeocoding/Level/municipality"
    assert json.loads(extras["theme"]) == ["http://publications.europa.eu/resource/authority/data-theme/SOCI"]
    assert extras["frequency"] == "http://publications.europa.eu/resource/authority/frequency/ANNUAL"
    assert extras["access_rights"].endswith("/access-right/PUBLIC")
    assert extras["contributorID"] == "http://dcat-ap.de/def/contributors/stadtNuernberg"
    assert extras["freigabe_digest"] == pkg.digest() and extras["freigabe_latest"] == "1.0.0"

    res = by_key(ds)
    assert set(res) == {f"1.0.0/{role}" for role in ("daten", "gebiete", "excel", "xlsx", "zip", "datapackage")}
    data = res["1.0.0/daten"]
    assert data["format"] == "http://publications.europa.eu/resource/authority/file-type/CSV"
    assert data["mimetype"] == "https://www.iana.org/assignments/media-types/text/csv"
    assert data["license"] == "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
    assert data["hash"] == hashlib.sha256(pkg.data_bytes).hexdigest()  # no "sha256:" prefix
    assert data["hash_algorithm"] == "http://spdx.org/rdf/terms#checksumAlgorithm_sha256"
    assert data["url"].endswith("/test-publish-anon-1.0.0.csv")
    expected = {"1.0.0/daten": pkg.data_bytes, "1.0.0/gebiete": pkg.files[pkg.codelist_path]}
    for key, body in expected.items():
        got = requests.get(res[key]["url"], timeout=30)
        assert got.status_code == 200 and hashlib.sha256(got.content).hexdigest() == hashlib.sha256(body).hexdigest()
    zipped = requests.get(res["1.0.0/zip"]["url"], timeout=30).content
    assert zipped == pkg.to_zip()
    # issue 17: the Excel workbook is a resource of the version, exactly the bytes the release builds
    from catalog.targets import file_names, release_files

    assert res["1.0.0/xlsx"]["format"] == "http://publications.europa.eu/resource/authority/file-type/XLSX"
    assert requests.get(res["1.0.0/xlsx"]["url"], timeout=30).content == release_files(pkg)[
        file_names(pkg.name, pkg.version)["xlsx"]]

    # the rows are in the DataStore: CKAN's preview and Data API, as an anonymous client
    rows = anon_action(s, "datastore_search", resource_id=data["id"], limit=1000).json()["result"]
    assert rows["total"] == len(make.table(seed=len("test-publish-anon")))
    header = pkg.data_bytes.decode().split("\r\n", 1)[0].split(",")
    assert header[:3] == ["ebene", "gebietsschluessel", "gebietsname"] and header[-1] == "anzahl"
    assert [f["id"] for f in rows["fields"] if f["id"] != "_id"] == header
    first = pkg.data_bytes.decode().split("\r\n")[1].split(",")
    assert [rows["records"][0][h] for h in header] == first  # '.'/'-' kept exactly
    views = anon_action(s, "resource_view_list", id=data["id"]).json()["result"]
    assert "datatables_view" in [v["view_type"] for v in views]

    # listed for the public
    found = anon_action(s, "package_search", q="name:test-publish-anon").json()["result"]
    assert [d["name"] for d in found["results"]] == ["test-publish-anon"]


def test_the_pushed_datapackage_resolves_from_ckan_alone(ckan_instance, make, tmp_path):
    """The datapackage.json on CKAN points at the CKAN URLs of its data and code list: frictionless
    validates it from its URL (downloading the files from CKAN, checking hashes and foreign keys)."""
    import frictionless

    s = ckan_instance.settings
    rel = release_for(make, "test-resolving", **JULY)
    CkanTarget(s).publish(rel)
    res = by_key(anon_dataset(s, "test-resolving"))
    descriptor = requests.get(res["1.0.0/datapackage"]["url"], timeout=30).json()
    assert [r["path"] for r in descriptor["resources"]] == [res["1.0.0/daten"]["url"], res["1.0.0/gebiete"]["url"]]
    report = frictionless.Package(res["1.0.0/datapackage"]["url"]).validate()
    assert report.valid, report.flatten(["type", "note"])
    assert sum(int(t.stats.get("rows") or 0) for t in report.tasks) == len(rel.package.data_bytes.split(b"\r\n")) - 2 \
        + len(rel.package.files[rel.package.codelist_path].split(b"\r\n")) - 2


def test_history_two_periods_and_a_correction_each_stay_reachable(ckan_instance, make):
    """July 1.0.0, August 1.1.0, then a correction of July 1.0.1: all three versions are downloadable
    with their own URL and bytes; the dataset's latest is August; withdrawing August leaves July's
    versions public and makes the July correction the latest; withdrawing all makes the dataset private."""
    s = ckan_instance.settings
    target = CkanTarget(s)
    july = release_for(make, "test-history", seed=1, **JULY)
    august = release_for(make, "test-history", seed=2, version="1.1.0", version_notes="Neuer Zeitraum", **AUGUST)
    fix = release_for(make, "test-history", seed=3, version="1.0.1", version_notes="Korrektur Juli", **JULY)
    for rel in (july, august, fix):
        target.publish(rel)
    ds = anon_dataset(s, "test-history")
    assert ds["version"] == "1.1.0"  # latest = the newest period, not the last published
    extras = {e["key"]: e["value"] for e in ds["extras"]}
    assert extras["temporal_end"] == "2026-08-31" and extras["version_notes"] == "Neuer Zeitraum"
    res = by_key(ds)
    # newest period first, then the correction, then the corrected version
    assert [r["freigabe_key"] for r in ds["resources"]][::6] == ["1.1.0/daten", "1.0.1/daten", "1.0.0/daten"]
    urls = {}
    for rel in (july, august, fix):
        url = res[f"{rel.version}/daten"]["url"]
        body = requests.get(url, timeout=30).content
        assert hashlib.sha256(body).hexdigest() == hashlib.sha256(rel.package.data_bytes).hexdigest(), rel.version
        urls[rel.version] = url
    assert len(set(urls.values())) == 3

    # publishing again changes nothing (no upload, same metadata_modified)
    again = target.publish(fix)
    assert not again["changed"] and anon_dataset(s, "test-history")["metadata_modified"] == ds["metadata_modified"]

    out = target.withdraw(ReleaseRef("test-history", "1.1.0", notice="Fehler in der Quelle"))
    assert out["withdrawn"] and out["remaining_versions"] == ["1.0.0", "1.0.1"]
    assert requests.get(urls["1.1.0"], timeout=30).status_code == 404
    for v in ("1.0.0", "1.0.1"):
        assert requests.get(urls[v], timeout=30).status_code == 200
    ds = anon_dataset(s, "test-history")
    extras = {e["key"]: e["value"] for e in ds["extras"]}
    assert ds["version"] == "1.0.1" and extras["temporal_end"] == "2026-07-31"
    assert "1.1.0" in json.loads(extras["freigabe_withdrawn"])
    assert not target.withdraw(ReleaseRef("test-history", "1.1.0"))["deleted_resources"]  # idempotent

    target.withdraw(ReleaseRef("test-history", "1.0.0"))
    target.withdraw(ReleaseRef("test-history", "1.0.1"))
    assert anon_action(s, "package_show", id="test-history").status_code in (403, 404)
    assert not target.client.is_public("test-history")


def test_portal_extras_set_by_staff_survive_a_publication(ckan_instance, make):
    target = CkanTarget(ckan_instance.settings)
    target.publish(release_for(make, "test-foreign-extras", **JULY))
    ds = target.client.show("test-foreign-extras")
    target.client.api.action.package_patch(id=ds["id"], extras=ds["extras"] + [{"key": "portal_note", "value": "x"}])
    target.publish(release_for(make, "test-foreign-extras", version="1.1.0", version_notes="August", **AUGUST))
    extras = {e["key"]: e["value"] for e in target.client.show("test-foreign-extras")["extras"]}
    assert extras["portal_note"] == "x" and extras["version_notes"] == "August"


def test_download_back_mismatch_is_an_error(ckan_instance, make):
    target = CkanTarget(ckan_instance.settings)
    rel = CkanRelease.from_release(release_for(make, "test-hash-check", **JULY))
    target.publish(rel)
    tampered = dataclasses.replace(rel.resources[0], data=rel.resources[0].data + b"x")
    with pytest.raises(CkanHashMismatch) as exc:
        target.verify("test-hash-check", [tampered])
    assert exc.value.code == "catalog.ckan.hash_mismatch" and tampered.sha256 in exc.value.message("en")
    assert not exc.value.retryable


def test_ckan_errors_are_typed(ckan_instance, make):
    s = ckan_instance.settings
    rel = CkanRelease.from_release(release_for(make, "test-errors", **JULY))
    with pytest.raises(CkanNotAuthorized) as exc:
        CkanTarget(dataclasses.replace(s, token="not-a-token")).publish(rel)
    assert exc.value.code == "catalog.ckan.not_authorized" and "Berechtigung" in exc.value.message("de")

    with pytest.raises(CkanValidationError) as exc2:
        CkanTarget(s).publish(dataclasses.replace(rel, name="Nicht Gültig!"))
    assert "name" in exc2.value.fields and exc2.value.code == "catalog.ckan.validation"

    # a licence the portal does not list: a typed error, never a substitution
    with pytest.raises(CkanError) as exc3:
        CkanTarget(s).publish(dataclasses.replace(rel, licence_uri="http://dcat-ap.de/def/licenses/cc-zero",
                                                  licence_key="cc-zero"))
    assert exc3.value.code == "catalog.ckan.license_unknown" and "dl-by-de/2.0" in exc3.value.message("en")
    with pytest.raises(MetadataError) as exc5:  # a licence Freigabe does not know at all
        CkanTarget(s).publish(dataclasses.replace(rel, licence_uri="http://example.org/odbl", licence_key="odbl"))
    assert exc5.value.code == "catalog.licence.unknown"
    # ... also when the operator's mapping names an id the portal does not have
    mapped = dataclasses.replace(s, license_map={"dl-de/by-2-0": "dl-by-de/2.0"})
    with pytest.raises(CkanError) as exc4:
        CkanTarget(mapped).publish(rel)
    assert exc4.value.code == "catalog.ckan.license_unknown"


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_ckan_stopped_is_a_retryable_connection_error(ckan_instance, make):
    s = ckan_instance.settings
    rel = release_for(make, "test-ckan-down", **JULY)
    if ckan_instance.state_dir is None:  # external instance: we may not stop it
        settings = dataclasses.replace(s, url=f"http://127.0.0.1:{_closed_port()}")
        restart = None
    else:
        ckan_instance.stop_web()
        settings, restart = s, ckan_instance.start_web
    try:
        with pytest.raises(CkanUnreachable) as exc:
            CkanTarget(settings).publish(rel)
        assert exc.value.retryable and exc.value.code == "catalog.ckan.unreachable"
        assert "nicht erreichbar" in exc.value.message("de")
    finally:
        if restart:
            restart()
    if restart:  # and once CKAN is back the same publication goes through
        assert CkanTarget(s).publish(rel)["changed"]


def test_duplicates_left_by_an_interrupted_run_are_removed(ckan_instance, make):
    target = CkanTarget(ckan_instance.settings)
    rel = release_for(make, "test-duplicates", **JULY)
    first = target.publish(rel)
    ds = target.client.show("test-duplicates")
    # as if a crashed run had created the data resource a second time
    target.client.api.action.resource_create(package_id=ds["id"], name="dup", freigabe_key="1.0.0/daten",
                                             url="", upload=("x.csv", io.BytesIO(b"stale\n")))
    assert len(target.client.show("test-duplicates")["resources"]) == 7
    again = target.publish(rel)
    ds = anon_dataset(ckan_instance.settings, "test-duplicates")
    assert sorted(r["id"] for r in ds["resources"]) == sorted(r["id"] for r in first["resources"])
    assert [r["id"] for r in again["resources"]] == [r["id"] for r in first["resources"]]


def test_a_correction_carries_version_notes_changelog_and_r_marks_to_ckan(ckan_instance, make):
    from catalog.datapackage import revision_key

    s = ckan_instance.settings
    target = CkanTarget(s)
    target.publish(release_for(make, "test-korrektur", seed=1, version_notes="Neuer Berichtszeitraum", **JULY))
    table = make.table(seed=1)
    row = table.iloc[0]
    log = ({"version": "1.0.0", "date": "2026-08-01", "period": "2026-07", "notes": "Neuer Berichtszeitraum"},
           {"version": "1.0.1", "date": "2026-08-09", "period": "2026-07",
            "notes": "Korrektur von Version 1.0.0: Nachmeldung (1 Zelle berichtigt, gekennzeichnet mit r)"})
    pkg = build_package(table, make.codelist(), make.meta(
        name="test-korrektur", version="1.0.1", version_notes=log[1]["notes"], changelog=log, **JULY,
        revised=frozenset({revision_key(row["level"], row["area"], {"aufenthaltsstatus": row["aufenthaltsstatus"]})})))
    assert target.publish(Release(pkg))["changed"]
    ds = anon_dataset(s, "test-korrektur")
    assert ds["version"] == "1.0.1"  # the correction of the newest (only) period is its latest
    extras = {e["key"]: e["value"] for e in ds["extras"]}
    assert extras["version_notes"] == log[1]["notes"]
    assert [e["version"] for e in json.loads(extras["changelog"])] == ["1.0.0", "1.0.1"]
    data = by_key(ds)["1.0.1/daten"]
    assert "'r' = berichtigte Zahl" in data["description"]
    body = requests.get(data["url"], timeout=30).content
    assert body == pkg.data_bytes and body.split(b"\r\n")[1].endswith(b",r")
    assert requests.get(by_key(ds)["1.0.0/daten"]["url"], timeout=30).status_code == 200
