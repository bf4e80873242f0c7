"""Uploading boundaries (issue 17 item 3): stored with its sha256 and audit row in one transaction; nothing
half-stored on failure; admins only (web page, CLI)."""
from __future__ import annotations

import hashlib
import json
import re

import pytest
from sqlalchemy import func, select

from publisher.geo_validate import canonical_bytes
from publisher.models import AuditEvent, StoredFile
from publisher.models_geo import BoundarySet
from publisher.services import boundaries
from publisher.services.errors import Forbidden, InvalidInput

from tests.geo.conftest import as_bytes, shifted


def counts(ctx) -> dict:
    s = ctx.session
    return {"sets": s.execute(select(func.count()).select_from(BoundarySet)).scalar_one(),
            "files": s.execute(select(func.count()).select_from(StoredFile)
                               .where(StoredFile.kind == "boundaries")).scalar_one(),
            "audit": s.execute(select(func.count()).select_from(AuditEvent)).scalar_one(),
            "store": sorted(p.name for p in ctx.store.root.rglob("*") if p.is_file())}


def test_upload_stores_sha256_revision_and_audit_in_one_transaction(ctx, users, hierarchy, geo_doc):
    bs = boundaries.upload(ctx, users["admin"], hierarchy.id, as_bytes(geo_doc), "grenzen.geojson")
    assert (bs.revision, bs.filename, bs.warnings) == (1, "grenzen.geojson", [])
    assert bs.upload_sha256 == hashlib.sha256(as_bytes(geo_doc)).hexdigest()
    stored = ctx.store.get(bs.sha256)
    assert hashlib.sha256(stored).hexdigest() == bs.sha256
    assert stored == canonical_bytes(boundaries.document(ctx, bs.sha256))
    assert bs.features["baublock"] == len(geo_doc["features"]) and bs.features["stadt"] == 1
    ev = ctx.session.execute(select(AuditEvent).where(AuditEvent.event == "boundaries.uploaded")).scalar_one()
    details = json.loads(ev.details) if isinstance(ev.details, str) else ev.details
    assert details["sha256"] == bs.sha256 and details["revision"] == 1
    second = boundaries.upload(ctx, users["admin"], hierarchy.id, as_bytes(shifted(geo_doc, 0.01)), "neu.geojson")
    assert second.revision == 2 and second.sha256 != bs.sha256
    assert [s.revision for s in boundaries.list_for(ctx, hierarchy.id)] == [2, 1]
    assert boundaries.newest(ctx, hierarchy.id).id == second.id


def test_invalid_upload_stores_nothing(ctx, users, hierarchy, geo_doc):
    before = counts(ctx)
    bad = json.loads(json.dumps(geo_doc))
    bad["features"][0]["geometry"] = {"type": "Point", "coordinates": [7, 51]}
    with pytest.raises(InvalidInput) as exc:
        boundaries.upload(ctx, users["admin"], hierarchy.id, as_bytes(bad), "grenzen.geojson")
    assert [(f.code, f.params["feature"]) for f in exc.value.findings] == [("geo.geometry_type", 0)]
    assert counts(ctx) == before


def test_failure_inside_the_transaction_leaves_no_file_and_no_row(ctx, users, hierarchy, geo_doc, monkeypatch):
    from publisher import audit

    before = counts(ctx)

    def broken(*a, **kw):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(audit, "record", broken)
    with pytest.raises(RuntimeError):
        boundaries.upload(ctx, users["admin"], hierarchy.id, as_bytes(geo_doc), "grenzen.geojson")
    monkeypatch.undo()
    assert counts(ctx) == before  # the normalised file written before the failure was removed again


def test_only_admins_upload(ctx, users, hierarchy, geo_doc):
    before = counts(ctx)
    for who in ("submitter", "approver", "reader"):
        with pytest.raises(Forbidden):
            boundaries.upload(ctx, users[who], hierarchy.id, as_bytes(geo_doc), "grenzen.geojson")
    assert counts(ctx) == before


def test_admin_page_uploads_and_shows_findings(client, auth, ctx, users, hierarchy, geo_doc):
    auth.login("adele")
    url = f"/admin/hierarchies/{hierarchy.id}/boundaries"
    page = client.get(url)
    assert page.status_code == 200 and "Noch keine Gebietsgrenzen" in page.get_data(as_text=True)
    assert f'href="{url}"' in client.get("/admin/hierarchies").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True)).group(1)
    import io

    bad = json.loads(json.dumps(geo_doc))
    bad["features"][4]["properties"]["code"] = "0000000"
    resp = client.post(url, data={"csrf_token": token, "file": (io.BytesIO(as_bytes(bad)), "grenzen.geojson")},
                       content_type="multipart/form-data")
    body = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "features[4]" in body and "„0000000“" in body
    assert boundaries.list_for(ctx, hierarchy.id) == []
    resp = client.post(url, data={"csrf_token": token, "file": (io.BytesIO(as_bytes(geo_doc)), "grenzen.geojson")},
                       content_type="multipart/form-data")
    assert resp.status_code == 303
    page = client.get(url).get_data(as_text=True)
    (bs,) = boundaries.list_for(ctx, hierarchy.id)
    assert bs.sha256[:12] in page and "gespeichert" in page


def test_cli_uploads_and_lists(runner, ctx, hierarchy, geo_doc, tmp_path):
    f = tmp_path / "grenzen.geojson"
    f.write_bytes(as_bytes(geo_doc))
    res = runner.invoke(args=["hierarchy", "boundaries", str(hierarchy.id), str(f)])
    assert res.exit_code == 0, res.output
    (bs,) = boundaries.list_for(ctx, hierarchy.id)
    assert bs.sha256 in res.output
    bad = tmp_path / "kaputt.geojson"
    bad.write_text('{"type": "FeatureCollection", "features": [{"properties": {}}]}')
    res = runner.invoke(args=["hierarchy", "boundaries", str(hierarchy.id), str(bad)])
    assert res.exit_code == 2 and "geo.no_code" in res.output and "features[0]" in res.output
    res = runner.invoke(args=["hierarchy", "boundaries", str(hierarchy.id)])
    assert res.exit_code == 0 and bs.sha256 in res.output
