"""The Solr stand-in's query subset (scripts/ckan/solr_standin.py): what CKAN's package queries need."""

from __future__ import annotations

import importlib.util
import json
import threading
import urllib.parse
import urllib.request
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

PATH = Path(__file__).resolve().parents[2] / "scripts/ckan/solr_standin.py"
_spec = importlib.util.spec_from_file_location("freigabe_solr_standin", PATH)
solr = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(solr)

DOCS = [
    {
        "index_id": "i1",
        "id": "a",
        "name": "schutzsuchende",
        "title": "Schutzsuchende in Köln",
        "site_id": "default",
        "state": "active",
        "entity_type": "package",
        "capacity": "public",
        "permission_labels": ["public"],
        "owner_org": "org1",
        "tags": ["Migration"],
        "metadata_modified": "2026-01-02T00:00:00Z",
    },
    {
        "index_id": "i2",
        "id": "b",
        "name": "geheim-intern",
        "title": "Interne Liste",
        "site_id": "default",
        "state": "active",
        "entity_type": "package",
        "capacity": "private",
        "permission_labels": ["member-org1"],
        "owner_org": "org1",
        "tags": [],
        "metadata_modified": "2026-01-03T00:00:00Z",
    },
    {
        "index_id": "i3",
        "id": "c",
        "name": "alt",
        "title": "Gelöscht",
        "site_id": "default",
        "state": "deleted",
        "entity_type": "package",
        "capacity": "public",
        "permission_labels": ["public"],
        "owner_org": "org2",
        "tags": ["Migration"],
        "metadata_modified": "2025-01-01T00:00:00Z",
    },
]


def ids(index, **params):
    params = {k: v if isinstance(v, list) else [v] for k, v in params.items()}
    return [d["id"] for d in index.search(params)["response"]["docs"]]


@pytest.fixture
def index():
    ix = solr.Index()
    ix.add([dict(d) for d in DOCS])
    return ix


def test_ckan_package_queries(index):
    base = ['+site_id:"default"', "+state:active"]
    assert ids(index, q="*:*", fq=[*base, '+permission_labels:("public")']) == ["a"]
    assert sorted(ids(index, q="*:*", fq=[*base, '+permission_labels:("public" OR "member-org1")'])) == [
        "a",
        "b",
    ]
    assert ids(index, q='name:"alt" OR id:"alt"', fq='+site_id:"default" +entity_type:package') == ["c"]
    assert ids(index, q="owner_org:org1 -capacity:private") == ["a"]
    assert ids(index, q="köln") == ["a"] and ids(index, q="schutzsuchende köln") == ["a"]
    assert ids(index, q="tags:Migr*", sort="metadata_modified desc") == ["a", "c"]
    assert ids(index, q="NOT state:deleted AND owner_org:org1", sort="name asc") == ["b", "a"]
    assert ids(index, q="metadata_modified:[2026-01-01T00:00:00Z TO *]", sort="id asc") == ["a", "b"]
    assert ids(index, q="*:*", rows="1", start="1", sort="id asc") == ["b"]


def test_facets_and_fl(index):
    out = index.search(
        {
            "q": ["*:*"],
            "fl": ["id name"],
            "facet": ["true"],
            "facet.field": ["tags", "owner_org"],
            "facet.mincount": ["1"],
            "facet.limit": ["-1"],
        }
    )
    assert out["response"]["numFound"] == 3 and set(out["response"]["docs"][0]) == {"id", "name"}
    assert out["facet_counts"]["facet_fields"]["tags"] == ["Migration", 2]
    assert out["facet_counts"]["facet_fields"]["owner_org"] == ["org1", 2, "org2", 1]


def test_http_api_as_pysolr_uses_it():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), solr.make_handler(solr.Index(), "ckan", "2.12"))
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{srv.server_address[1]}/solr/ckan"
    try:
        schema = urllib.request.urlopen(base + "/schema?wt=schema.xml").read()
        assert b'name="ckan-2.12"' in schema
        post = urllib.request.Request(
            base + "/update/?commit=true",
            data=json.dumps(DOCS).encode(),
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(post).read()
        delete = urllib.request.Request(
            base + "/update/?commit=true",
            data=b"<delete><query>state:deleted</query></delete>",
            headers={"Content-Type": "text/xml"},
        )
        urllib.request.urlopen(delete).read()
        form = urllib.parse.urlencode({"q": "*:*", "fl": "id", "wt": "json", "sort": "id asc"}).encode()
        got = json.load(
            urllib.request.urlopen(
                urllib.request.Request(
                    base + "/select/",
                    data=form,
                    headers={"Content-Type": "application/x-www-form-urlencoded"},
                )
            )
        )
        assert [d["id"] for d in got["response"]["docs"]] == ["a", "b"]
        with pytest.raises(urllib.error.HTTPError) as exc:
            urllib.request.urlopen(base + "/select/?q=" + urllib.parse.quote('name:"unclosed'))
        assert exc.value.code == 400
    finally:
        srv.shutdown()
        srv.server_close()
