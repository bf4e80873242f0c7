"""Against the REAL CKAN 2.12 test instance (scripts/ckan/start.sh): publish, verify, idempotency, private.

Every check of what the public sees is made as an anonymous client with plain HTTP requests, independent
of catalog.ckan's own verification.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import socket

import pytest
import requests

from catalog.ckan import CkanRelease, CkanSettings, CkanTarget
from catalog.datapackage import build_package
from catalog.errors import (
    CkanError,
    CkanHashMismatch,
    CkanNotAuthorized,
    CkanUnreachable,
    CkanValidationError,
)

pytestmark = pytest.mark.ckan


def anon_action(settings: CkanSettings, action: str, **params) -> requests.Response:
    return requests.get(f"{settings.url}/api/3/action/{action}", params=params, timeout=30)


def release_for(make, name: str, **meta) -> tuple:
    pkg = build_package(make.table(seed=len(name)), make.codelist(), make.meta(name=name, **meta))
    return pkg, CkanRelease.from_package(pkg)


def test_publish_and_check_as_anonymous(ckan_instance, make):
    s = ckan_instance.settings
    pkg, release = release_for(make, "test-publish-anon")
    result = CkanTarget(s).publish(release)
    assert result.changed

    r = anon_action(s, "package_show", id="test-publish-anon")
    assert r.status_code == 200, r.text
    ds = r.json()["result"]
    assert ds["private"] is False and ds["organization"]["name"] == s.org
    assert ds["title"] == pkg.descriptor["title"] and "Mindestfallzahl 3" in ds["notes"]
    assert ds["license_id"] == "dl-by-de/2.0" and ds["license_title"].startswith("Datenlizenz Deutschland")
    assert ds["version"] == "1.0.0"
    assert ds["maintainer_email"] == "statistik@musterstadt.example"
    assert sorted(t["name"] for t in ds["tags"]) == ["Migration", "Schutzsuchende"]
    extras = {e["key"]: e["value"] for e in ds["extras"]}
    assert extras["temporal_start"] == "2025-01-01" and extras["temporal_end"] == "2025-12-31"
    assert extras["politicalGeocodingURI"].endswith("/05315000")
    assert extras["politicalGeocodingLevelURI"].endswith("/municipality")
    assert extras["theme"].endswith("/SOCI") and extras["version_notes"] == "Erstveröffentlichung"
    assert extras["contact_email"] == "statistik@musterstadt.example"
    assert extras["contributorID"] == "http://dcat-ap.de/def/contributors/musterstadt"
    assert extras["freigabe_digest"] == pkg.digest()

    by_key = {res["freigabe_key"]: res for res in ds["resources"]}
    assert set(by_key) == {"daten", "datapackage"}
    expected = {"daten": pkg.data_bytes, "datapackage": pkg.descriptor_bytes}
    for key, data in expected.items():
        body = requests.get(by_key[key]["url"], timeout=30)
        assert body.status_code == 200
        assert hashlib.sha256(body.content).hexdigest() == hashlib.sha256(data).hexdigest()
    assert by_key["daten"]["url"].endswith("/test-publish-anon.csv")

    # listed for the public: search by name and the organisation's listing
    found = anon_action(s, "package_search", q="name:test-publish-anon").json()["result"]
    assert [d["name"] for d in found["results"]] == ["test-publish-anon"]
    org = anon_action(s, "organization_show", id=s.org, include_datasets="true").json()["result"]
    assert "test-publish-anon" in [d["name"] for d in org["packages"]]


def test_publish_twice_changes_nothing_and_new_version_updates_in_place(ckan_instance, make):
    s = ckan_instance.settings
    target = CkanTarget(s)
    # a keyword CKAN would refuse as a tag ("§") is cleaned, and the comparison on re-run uses the clean form
    pkg, release = release_for(make, "test-idempotent", keywords=("Schutz nach § 24", "Migration"))
    first = target.publish(release)
    before = target.dataset("test-idempotent")

    again = target.publish(release)
    after = target.dataset("test-idempotent")
    assert not again.changed
    assert [r.id for r in again.resources] == [r.id for r in first.resources]
    assert after["metadata_modified"] == before["metadata_modified"]
    assert len(after["resources"]) == 2
    assert sorted(t["name"] for t in after["tags"]) == ["Migration", "Schutz nach 24"]

    # the next period: same dataset, same resource ids, new bytes and version
    pkg2, release2 = release_for(
        make,
        "test-idempotent",
        keywords=("Schutz nach § 24", "Migration"),
        version="1.1.0",
        temporal_start="2026-01-01",
        temporal_end="2026-12-31",
        version_notes="Berichtsjahr 2026",
    )
    assert pkg2.data_bytes != pkg.data_bytes or pkg2.descriptor_bytes != pkg.descriptor_bytes
    third = target.publish(release2)
    assert third.changed and [r.id for r in third.resources] == [r.id for r in first.resources]
    ds = anon_action(s, "package_show", id="test-idempotent").json()["result"]
    assert ds["version"] == "1.1.0" and len(ds["resources"]) == 2
    extras = {e["key"]: e["value"] for e in ds["extras"]}
    assert extras["temporal_start"] == "2026-01-01" and extras["version_notes"] == "Berichtsjahr 2026"
    got = requests.get({r["freigabe_key"]: r for r in ds["resources"]}["datapackage"]["url"], timeout=30)
    assert got.content == pkg2.descriptor_bytes


def test_portal_extras_set_by_staff_survive_a_publication(ckan_instance, make):
    target = CkanTarget(ckan_instance.settings)
    _, release = release_for(make, "test-foreign-extras")
    target.publish(release)
    ds = target.dataset("test-foreign-extras")
    target.api.action.package_patch(id=ds["id"], extras=ds["extras"] + [{"key": "portal_note", "value": "x"}])
    _, release2 = release_for(make, "test-foreign-extras", version="1.0.1", version_notes="Korrektur")
    target.publish(release2)
    extras = {e["key"]: e["value"] for e in target.dataset("test-foreign-extras")["extras"]}
    assert extras["portal_note"] == "x" and extras["version_notes"] == "Korrektur"


def test_make_private_and_withdraw_hide_it_from_anonymous(ckan_instance, make):
    s = ckan_instance.settings
    target = CkanTarget(s)
    _, release = release_for(make, "test-private")
    result = target.publish(release)
    data_url = result.resources[0].url
    assert requests.get(data_url, timeout=30).status_code == 200

    assert target.set_private("test-private") is True
    assert target.set_private("test-private") is False  # already private: nothing changes
    assert anon_action(s, "package_show", id="test-private").status_code == 403
    assert requests.get(data_url, timeout=30).status_code in (403, 404)
    search = anon_action(s, "package_search", q="name:test-private").json()["result"]
    assert search["count"] == 0
    assert not target.is_public("test-private")
    with pytest.raises(CkanError) as exc:
        target.verify(release)
    assert exc.value.code == "catalog.ckan.not_public"

    target.set_private("test-private", private=False)
    assert target.is_public("test-private")
    assert target.withdraw("test-private", "Zurückgezogen: Fehler in der Quelle") is True
    assert target.withdraw("test-private", "Zurückgezogen: Fehler in der Quelle") is False
    assert not target.is_public("test-private")
    extras = {e["key"]: e["value"] for e in target.dataset("test-private")["extras"]}
    assert extras["freigabe_withdrawn"].startswith("Zurückgezogen")
    assert target.withdraw("never-published-series", "x") is False


def test_download_back_mismatch_is_an_error(ckan_instance, make):
    target = CkanTarget(ckan_instance.settings)
    _, release = release_for(make, "test-hash-check")
    target.publish(release)
    tampered = dataclasses.replace(release.resources[0], data=release.resources[0].data + b"x")
    other = dataclasses.replace(release, resources=(tampered,) + release.resources[1:])
    with pytest.raises(CkanHashMismatch) as exc:
        target.verify(other)
    assert exc.value.code == "catalog.ckan.hash_mismatch" and tampered.sha256 in exc.value.message("en")
    assert not exc.value.retryable


def test_ckan_errors_are_typed(ckan_instance, make):
    s = ckan_instance.settings
    _, release = release_for(make, "test-errors")
    with pytest.raises(CkanNotAuthorized) as exc:
        CkanTarget(dataclasses.replace(s, token="not-a-token")).publish(release)
    assert exc.value.code == "catalog.ckan.not_authorized" and "Berechtigung" in exc.value.message("de")

    bad = dataclasses.replace(release, name="Nicht Gültig!")
    with pytest.raises(CkanValidationError) as exc2:
        CkanTarget(s).publish(bad)
    assert "name" in exc2.value.fields and exc2.value.code == "catalog.ckan.validation"

    with pytest.raises(CkanError) as exc3:
        CkanTarget(s).publish(dataclasses.replace(release, license_id="cc-by-nc"))
    assert exc3.value.code == "catalog.ckan.license_unknown" and "dl-by-de/2.0" in exc3.value.message("en")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_ckan_stopped_is_a_retryable_connection_error(ckan_instance, make):
    s = ckan_instance.settings
    _, release = release_for(make, "test-ckan-down")
    if ckan_instance.state_dir is None:  # external instance: we may not stop it
        settings = dataclasses.replace(s, url=f"http://127.0.0.1:{_closed_port()}")
        restart = None
    else:
        ckan_instance.stop_web()
        settings, restart = s, ckan_instance.start_web
    try:
        with pytest.raises(CkanUnreachable) as exc:
            CkanTarget(settings).publish(release)
        assert exc.value.retryable and exc.value.code == "catalog.ckan.unreachable"
        assert "nicht erreichbar" in exc.value.message("de")
    finally:
        if restart:
            restart()
    if restart:  # and once CKAN is back the same publication goes through
        assert CkanTarget(s).publish(release).changed


def test_duplicates_left_by_an_interrupted_run_are_removed(ckan_instance, make):
    target = CkanTarget(ckan_instance.settings)
    _, release = release_for(make, "test-duplicates")
    first = target.publish(release)
    ds = target.dataset("test-duplicates")
    # as if a crashed run had created the data resource a second time
    target.api.action.resource_create(
        package_id=ds["id"],
        name="dup",
        freigabe_key="daten",
        url="",
        upload=("x.csv", io.BytesIO(b"stale\n")),
    )
    assert len(target.dataset("test-duplicates")["resources"]) == 3
    again = target.publish(release)
    ds = anon_action(ckan_instance.settings, "package_show", id="test-duplicates").json()["result"]
    assert sorted(r["id"] for r in ds["resources"]) == sorted(r.id for r in first.resources)
    assert [r.id for r in again.resources] == [r.id for r in first.resources]


def test_worker_flow_from_stored_artifact(ckan_instance, make, tmp_path):
    """What the worker does: rebuild from the approved zip, check the digest, publish, store the files."""
    from catalog import DataPackage, LocalStorage, to_excel_csv, validate_package

    pkg = build_package(make.table(seed=11), make.codelist(), make.meta(name="test-worker-flow"))
    artifact, approved = pkg.to_zip(), pkg.digest()

    stored = DataPackage.from_zip(artifact)
    assert stored.digest() == approved and validate_package(stored).valid
    result = CkanTarget(ckan_instance.settings).publish(CkanRelease.from_package(stored))
    assert result.to_dict()["changed"] is True
    ds = anon_action(ckan_instance.settings, "package_show", id="test-worker-flow").json()["result"]
    assert {e["key"]: e["value"] for e in ds["extras"]}["freigabe_digest"] == approved

    area = LocalStorage(tmp_path / "download")
    hashes = area.put_release(
        "migration",
        stored.name,
        stored.version,
        {
            "datapackage.json": stored.descriptor_bytes,
            "daten.csv": stored.data_bytes,
            "daten-excel.csv": to_excel_csv(stored.data_bytes),
            f"{stored.name}-{stored.version}.zip": artifact,
        },
    )
    assert hashes["daten.csv"] == result.resources[0].sha256
    assert area.get(area.resolve("migration", stored.name, "latest", "daten.csv")) == pkg.data_bytes


def test_a_correction_carries_version_notes_changelog_and_r_marks_to_ckan(ckan_instance, make):
    import json

    from catalog.datapackage import revision_key

    s = ckan_instance.settings
    target = CkanTarget(s)
    _, first = release_for(make, "test-korrektur", version_notes="Neuer Berichtszeitraum 2025")
    target.publish(first)
    table = make.table()
    row = table.iloc[0]
    log = ({"version": "1.0.0", "date": "2026-03-01", "period": "2025", "notes": "Neuer Berichtszeitraum 2025"},
           {"version": "1.0.1", "date": "2026-03-09", "period": "2025",
            "notes": "Korrektur von Version 1.0.0: Nachmeldung (1 Zelle berichtigt, gekennzeichnet mit r)"})
    pkg = build_package(table, make.codelist(), make.meta(
        name="test-korrektur", version="1.0.1", version_notes=log[1]["notes"], changelog=log,
        revised=frozenset({revision_key(row["level"], row["area"], {"aufenthaltsstatus": row["aufenthaltsstatus"]})})))
    result = target.publish(CkanRelease.from_package(pkg))
    assert result.changed
    ds = anon_action(s, "package_show", id="test-korrektur").json()["result"]
    assert ds["version"] == "1.0.1"
    extras = {e["key"]: e["value"] for e in ds["extras"]}
    assert extras["version_notes"] == log[1]["notes"]
    assert [e["version"] for e in json.loads(extras["changelog"])] == ["1.0.0", "1.0.1"]
    data = {r["freigabe_key"]: r for r in ds["resources"]}["daten"]
    assert "'r' = berichtigte Zahl" in data["description"]
    body = requests.get(data["url"], timeout=30).content
    assert body == pkg.data_bytes and body.split(b"\r\n")[1].endswith(b",r")
