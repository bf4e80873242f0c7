"""Fixtures of the catalog tests: generated tables/metadata and the real CKAN 2.12 test instance.

The CKAN instances (``ckan_instance``, ``ckan_scheming_instance``) are session fixtures of the whole suite,
defined in tests/catalog/instances.py and registered by tests/conftest.py (one instance per variant per
session, shared by tests/catalog, tests/worker, tests/faults and tests/browser).
"""

from __future__ import annotations


import numpy as np
import pandas as pd
import pytest


from catalog.datapackage import Contact, PackageMetadata, Source


def make_codelist(n_areas: int = 6) -> pd.DataFrame:
    bezirke = [f"{b:02d}" for b in range(1, 3)]
    rows = [("stadt", "STADT", "Gesamtstadt", None)]
    rows += [("bezirk", b, f"Bezirk {b}", "STADT") for b in bezirke]
    rows += [
        ("stadtteil", f"{bezirke[i % 2]}{i:02d}", f"Stadtteil {i}", bezirke[i % 2]) for i in range(n_areas)
    ]
    return pd.DataFrame(rows, columns=["level", "code", "name", "parent"])


def make_table(seed: int = 1, n_areas: int = 6) -> pd.DataFrame:
    """A releasable table as the engine hands it over: level, area, dims, count (Int64, NA), status."""
    rng = np.random.default_rng(seed)
    codes = make_codelist(n_areas)
    areas = codes.loc[codes["level"] == "stadtteil", "code"].tolist()
    rows = []
    for a in areas:
        for status_ in ("Asyl", "Duldung", "Schutz nach § 24"):
            n = int(rng.integers(0, 40))
            if n == 0:
                rows.append(("stadtteil", a, status_, 0, "zero"))
            elif n < 3:
                rows.append(("stadtteil", a, status_, None, "primary"))
            elif n < 6:
                rows.append(("stadtteil", a, status_, None, "secondary"))
            else:
                rows.append(("stadtteil", a, status_, n, "ok"))
    df = pd.DataFrame(rows, columns=["level", "area", "aufenthaltsstatus", "count", "status"])
    df["count"] = df["count"].astype("Int64")
    return df


def make_meta(**overrides) -> PackageMetadata:
    base = dict(
        name="schutzsuchende-aufenthaltsstatus",
        title="Schutzsuchende nach Aufenthaltsstatus und Stadtteil",
        description="Anzahl der Schutzsuchenden am Jahresende nach Aufenthaltsstatus.",
        public_statement_de="Werte unter 3 wurden geheim gehalten (Mindestfallzahl 3), "
        "dazu weitere Zellen, damit sie nicht zurückgerechnet werden können.",
        public_statement_en="Values below 3 were suppressed (minimum count 3), plus further cells.",
        version="1.0.0",
        created="2026-03-01T09:30:00Z",
        publisher=Contact(
            "Stadt Musterstadt, Amt für Statistik",
            "statistik@musterstadt.example",
            "https://statistik.musterstadt.example",
        ),
        contact=Contact("Statistikstelle", "statistik@musterstadt.example"),
        temporal_start="2025-01-01",
        temporal_end="2025-12-31",
        geocoding_uri="http://dcat-ap.de/def/politicalGeocoding/municipalityKey/05315000",
        geocoding_text="Musterstadt",
        keywords=("Migration", "Schutzsuchende"),
        sources=(Source("Ausländerzentralregister, Auszug der Ausländerbehörde"),),
        version_notes="Erstveröffentlichung",
        # an IRI from GovData's contributor list (convention K12/13 checks it against that list)
        contributor_id="http://dcat-ap.de/def/contributors/stadtNuernberg",
        licence_uri="http://dcat-ap.de/def/licenses/dl-by-de/2.0",
        dimension_titles={"aufenthaltsstatus": "Aufenthaltsstatus"},
    )
    base.update(overrides)
    return PackageMetadata(**base)


class Factories:
    """Test-data builders, handed to tests through the ``make`` fixture (no conftest imports)."""

    table = staticmethod(make_table)
    codelist = staticmethod(make_codelist)
    meta = staticmethod(make_meta)


@pytest.fixture
def make() -> type[Factories]:
    return Factories
