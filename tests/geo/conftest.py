"""Fixtures of the boundary tests: the synthetic boundaries of the test city and a publish helper."""
from __future__ import annotations

import copy
import json

import pytest

from publisher import worker
from publisher.demo_geo import demo_boundaries
from publisher.web import release_cache


@pytest.fixture
def geo_doc(city) -> dict:
    return demo_boundaries(city)


def shifted(doc: dict, dlon: float) -> dict:
    """The same boundaries moved east by ``dlon`` degrees (a recognisably different boundary set)."""
    out = copy.deepcopy(doc)

    def move(x):
        return [move(v) for v in x] if isinstance(x[0], list) else [round(x[0] + dlon, 6), x[1]]

    for f in out["features"]:
        f["geometry"]["coordinates"] = move(f["geometry"]["coordinates"])
    return out


def as_bytes(doc: dict) -> bytes:
    return json.dumps(doc).encode("utf-8")


@pytest.fixture
def upload_boundaries(ctx, users, hierarchy):
    from publisher.services import boundaries

    def up(doc: dict, actor=None):
        return boundaries.upload(ctx, actor or users["admin"], hierarchy.id, as_bytes(doc), "grenzen.geojson")

    return up


@pytest.fixture
def publish(app, make_submission):
    def run(**meta):
        sub = make_submission("approved", **meta)
        assert worker.run(app, once=True) >= 1
        return sub

    return run


@pytest.fixture(autouse=True)
def _empty_release_cache():
    release_cache.PAGES.clear()
    release_cache.PARTS.clear()
    release_cache._keys.clear()
    yield
