"""The real CKAN 2.12 test instances, one per variant for the whole test session (registered as fixtures by
tests/conftest.py, so tests/catalog, tests/worker, tests/faults and tests/browser share them).

``ckan_instance`` (the GovData-like portal: DataStore, ckanext-dcat + GovData's dcatde, licence ids as
GovData's URIs) and ``ckan_scheming_instance`` (ckanext-scheming with ckanext-dcat's DCAT-AP schema) start
CKAN with scripts/ckan/start.sh (installing it once with scripts/ckan/install.sh into ~/.cache/freigabe when
needed) and stop exactly that with stop.sh.  With ``FREIGABE_TEST_CKAN_URL`` (+ ``_TOKEN``, ``_ORG``) or
``FREIGABE_TEST_CKAN_SCHEMING_URL`` (+ ``_TOKEN``) set, that running instance is used instead and nothing is
started or stopped.
"""

from __future__ import annotations

import os
import subprocess
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

from catalog.ckan import CkanSettings

ROOT = Path(__file__).resolve().parents[2]


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
        # by its state dir, not the env file: on a shared machine other pytest runs rotate
        # /tmp/pytest-of-<user>/ and may have removed this session's temp dirs by now
        subprocess.run([str(ROOT / "scripts/ckan/stop.sh"), str(inst.state_dir)], timeout=120, check=False)
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
