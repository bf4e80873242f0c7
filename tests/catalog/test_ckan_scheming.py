"""A second, real CKAN 2.12 configuration: ckanext-scheming with ckanext-dcat's DCAT-AP schema
(dcat_ap_full.yaml; ``FREIGABE_CKAN_VARIANT=scheming`` in scripts/ckan/start.sh).  Freigabe detects the
schema (``scheming_dataset_schema_show``) and writes its fields instead of colliding extras: create and
update succeed, and the dataset validates against its schema (CKAN re-validates it on a round trip)."""

from __future__ import annotations

import hashlib

import pytest
import requests

from catalog.ckan_target import CkanTarget
from catalog.datapackage import build_package
from catalog.targets import Release, ReleaseRef

pytestmark = pytest.mark.ckan


def test_scheming_portal_create_update_and_schema_validation(ckan_scheming_instance, make):
    s = ckan_scheming_instance.settings
    target = CkanTarget(s)
    schema = target.client.schema()
    assert schema is not None and schema["dataset_type"] == "dataset"
    names = {f["field_name"] for f in schema["dataset_fields"]}
    assert {"theme", "temporal_coverage", "contact", "frequency"} <= names

    july = build_package(make.table(seed=1), make.codelist(),
                         make.meta(name="test-scheming", temporal_start="2026-07-01", temporal_end="2026-07-31",
                                   period="2026-07", frequency="MONTHLY"))
    first = target.publish(Release(july))  # package_create: refused by this portal before issue 15
    assert first["changed"]
    august = build_package(make.table(seed=2), make.codelist(),
                           make.meta(name="test-scheming", version="1.1.0", temporal_start="2026-08-01",
                                     temporal_end="2026-08-31", period="2026-08", frequency="MONTHLY",
                                     version_notes="August"))
    second = target.publish(Release(august))  # package_revise: update
    assert second["changed"] and second["latest"]
    assert not target.publish(Release(august))["changed"]  # idempotent on this portal too

    ds = requests.get(f"{s.url}/api/3/action/package_show", params={"id": "test-scheming"}, timeout=30).json()["result"]
    # the licence list of this portal uses short ids: found by lookup
    assert ds["license_id"] == "dl-by-de/2.0" and ds["version"] == "1.1.0"
    # DCAT values are the schema's own fields, not extras
    assert ds["theme"] == ["http://publications.europa.eu/resource/authority/data-theme/SOCI"]
    assert ds["frequency"] == "http://publications.europa.eu/resource/authority/frequency/MONTHLY"
    assert ds["temporal_coverage"] == [{"start": "2026-08-01", "end": "2026-08-31"}]
    assert ds["contact"][0]["email"] == "statistik@musterstadt.example" and ds["version_notes"] == "August"
    extras = {e["key"] for e in ds.get("extras", [])}
    assert not extras & names, extras & names  # no extra collides with a schema field
    assert "contributorID" in extras  # what the schema has no field for stays an extra
    for field in schema["dataset_fields"]:
        if field.get("required"):
            assert ds.get(field["field_name"]), field["field_name"]
        if field.get("choices") and ds.get(field["field_name"]):
            assert ds[field["field_name"]] in {c["value"] for c in field["choices"]}, field["field_name"]
    # both versions downloadable with their bytes
    by_key = {r["freigabe_key"]: r for r in ds["resources"]}
    for pkg in (july, august):
        body = requests.get(by_key[f"{pkg.version}/daten"]["url"], timeout=30).content
        assert hashlib.sha256(body).hexdigest() == hashlib.sha256(pkg.data_bytes).hexdigest()
        assert by_key[f"{pkg.version}/daten"]["conforms_to"] == ["https://www.rfc-editor.org/rfc/rfc4180",
                                                                  "https://specs.frictionlessdata.io/table-schema/"]

    # the dataset validates against its schema: a full round trip through CKAN's scheming validators
    full = target.client.show("test-scheming")
    target.client.revise(full, {"notes": full["notes"]})  # package_update with every field re-validated
    # ... and ckanext-dcat's scheming profile renders it
    ttl = requests.get(f"{s.url}/dataset/test-scheming.ttl", timeout=60)
    assert ttl.status_code == 200 and b"data-theme/SOCI" in ttl.content and b"frequency/MONTHLY" in ttl.content

    out = target.withdraw(ReleaseRef("test-scheming", "1.1.0", notice="Fehler"))
    assert out["remaining_versions"] == ["1.0.0"]
    ds = target.client.show("test-scheming")
    assert ds["version"] == "1.0.0" and ds["temporal_coverage"] == [{"start": "2026-07-01", "end": "2026-07-31"}]
