"""Fixtures of the catalog tests: generated tables/metadata and the real CKAN 2.12 test instance.

The ``ckan_instance`` session fixture starts CKAN with scripts/ckan/start.sh (installing it once with
scripts/ckan/install.sh into ~/.cache/freigabe when needed) and stops exactly that with stop.sh.  With
``FREIGABE_TEST_CKAN_URL`` (+ ``FREIGABE_TEST_CKAN_TOKEN``, ``FREIGABE_TEST_CKAN_ORG``) set, that running
instance is used instead and nothing is started or stopped.
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]

from catalog.ckan import CkanSettings
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


@dataclass
class CkanInstance:
    settings: CkanSettings
    state_dir: Path | None  # None: an external instance (FREIGABE_TEST_CKAN_URL)
    web: subprocess.Popen | None = None  # a CKAN web process this fixture restarted (to reap it)

    def stop_web(self) -> None:
        """Stop only the CKAN web process (PostgreSQL, Redis and Solr stand-in keep running)."""
        assert self.state_dir is not None
        pid = int((self.state_dir / "ckan.pid").read_text())
        os.kill(pid, 15)
        if self.web is not None and self.web.pid == pid:
            try:
                self.web.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.web.kill()
                self.web.wait()
            self.web = None
            return
        for _ in range(100):
            if not Path(f"/proc/{pid}").exists():
                return
            time.sleep(0.1)
        os.kill(pid, 9)

    def start_web(self, timeout: float = 60) -> None:
        assert self.state_dir is not None
        with open(self.state_dir / "ckan.log", "ab") as log:
            proc = subprocess.Popen(
                [str(self.state_dir / "serve.sh")],
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.web = proc
        (self.state_dir / "ckan.pid").write_text(str(proc.pid))
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            try:
                urllib.request.urlopen(self.settings.url + "/api/3/action/status_show", timeout=2)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("CKAN web process did not come back")


def _env_file(path: Path) -> dict[str, str]:
    out = {}
    for line in path.read_text().splitlines():
        if "=" in line:
            k, v = line.split("=", 1)
            out[k.strip()] = v.strip()
    return out


def _start_instance(tmp_path_factory, variant: str):
    env_path = tmp_path_factory.mktemp(f"ckan-{variant}") / "ckan.env"
    started = subprocess.run(
        [str(ROOT / "scripts/ckan/start.sh"), str(env_path)],
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
        env={**os.environ, "FREIGABE_CKAN_VARIANT": variant},
    )
    if started.returncode != 0:
        pytest.fail(f"scripts/ckan/start.sh ({variant}) failed:\n{started.stdout}\n{started.stderr}")
    env = _env_file(env_path)
    inst = CkanInstance(CkanSettings.from_mapping(env), Path(env["FREIGABE_CKAN_STATE_DIR"]))
    try:
        yield inst
    finally:
        subprocess.run([str(ROOT / "scripts/ckan/stop.sh"), str(env_path)], timeout=120, check=False)
        if inst.web is not None:
            inst.web.wait(timeout=30)


@pytest.fixture(scope="session")
def ckan_instance(tmp_path_factory):
    """The GovData-like portal: DataStore, ckanext-dcat + GovData's dcatde (profile dcatap_de), licence ids
    as GovData's URIs."""
    url = os.environ.get("FREIGABE_TEST_CKAN_URL")
    if url:
        yield CkanInstance(
            CkanSettings(
                url.rstrip("/"),
                os.environ["FREIGABE_TEST_CKAN_TOKEN"],
                os.environ.get("FREIGABE_TEST_CKAN_ORG", "statistikamt"),
            ),
            None,
        )
        return
    yield from _start_instance(tmp_path_factory, "govdata")


@pytest.fixture(scope="session")
def ckan_scheming_instance(tmp_path_factory):
    """The second portal: ckanext-scheming with ckanext-dcat's DCAT-AP schema (short licence ids)."""
    url = os.environ.get("FREIGABE_TEST_CKAN_SCHEMING_URL")
    if url:
        yield CkanInstance(CkanSettings(url.rstrip("/"), os.environ["FREIGABE_TEST_CKAN_SCHEMING_TOKEN"],
                                        os.environ.get("FREIGABE_TEST_CKAN_ORG", "statistikamt")), None)
        return
    yield from _start_instance(tmp_path_factory, "scheming")
