"""Fixtures of the fault tests: a controllable TCP proxy in front of the real CKAN test instance, a
PostgreSQL-backed app pointed at CKAN through that proxy, and helpers to make approved releases.

The proxy is a real socket relay on 127.0.0.1 (no mocks): ``mode`` switches between ``pass`` (relay),
``drop`` (accept and close at once: connection reset), ``stall`` (accept, read, never answer: client
timeout) and ``cut`` (relay the request, close before the answer: the request may have reached CKAN but the
client never hears back, the hardest case for exactly-once).
"""
from __future__ import annotations

from publisher.manifest import current_sha
import importlib.util
import os
import socket
import sys
import threading
from pathlib import Path
from urllib.parse import urlparse

import pytest

_HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("_faults_catalog_conftest", _HERE.parent / "catalog" / "conftest.py")
_catalog_conftest = importlib.util.module_from_spec(_spec)
sys.modules[_spec.name] = _catalog_conftest
_spec.loader.exec_module(_catalog_conftest)
ckan_instance = _catalog_conftest.ckan_instance


class FaultProxy:
    def __init__(self, upstream_host: str, upstream_port: int):
        self.upstream = (upstream_host, upstream_port)
        self.mode = "pass"
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.closed = threading.Event()
        self.stats = {"pass": 0, "drop": 0, "stall": 0, "cut": 0}
        self._held: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def _accept(self):
        while not self.closed.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            mode = self.mode
            self.stats[mode] += 1
            if mode == "drop":
                conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
                conn.close()
            elif mode == "stall":
                self._held.append(conn)  # never answered; closed at the end
            else:
                threading.Thread(target=self._relay, args=(conn, mode), daemon=True).start()

    def _relay(self, conn: socket.socket, mode: str):
        try:
            up = socket.create_connection(self.upstream, timeout=60)
        except OSError:
            conn.close()
            return

        def pump(src, dst, cut_reply: bool):
            try:
                while True:
                    data = src.recv(65536)
                    if not data or cut_reply:
                        break
                    dst.sendall(data)
            except OSError:
                pass
            finally:
                for s in (src, dst):
                    try:
                        s.shutdown(socket.SHUT_RDWR)
                    except OSError:
                        pass

        t = threading.Thread(target=pump, args=(conn, up, False), daemon=True)
        t.start()
        # cut: the request goes through to CKAN, the answer never comes back
        pump(up, conn, mode == "cut")
        t.join(timeout=60)
        conn.close()
        up.close()

    def close(self):
        self.closed.set()
        self.sock.close()
        for c in self._held:
            c.close()


@pytest.fixture(scope="session")
def ckan_proxy(ckan_instance):
    u = urlparse(ckan_instance.settings.url)
    proxy = FaultProxy(u.hostname, u.port or 80)
    yield proxy
    proxy.close()


_n = iter(range(10**6))


def _admin(url: str, *statements: str) -> None:
    from sqlalchemy import create_engine, text

    eng = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as conn:
            for st in statements:
                conn.execute(text(st))
    finally:
        eng.dispose()


@pytest.fixture
def pg_url(pg_server_url, pg_template):
    """A fresh migrated PostgreSQL database (PostgreSQL only: the fault tests are about real servers)."""
    from sqlalchemy.engine import make_url

    name = f"freigabe_fault{os.getpid()}_{next(_n)}"
    _admin(pg_server_url, f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"')
    yield make_url(pg_server_url).set(database=name).render_as_string(hide_password=False)
    _admin(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def fault_config(pg_url, tmp_path, ckan_instance, ckan_proxy) -> dict:
    s = ckan_instance.settings
    return {
        "TESTING": True,
        "DATABASE_URL": pg_url,
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SESSION_COOKIE_SECURE": False,
        "TWO_APPROVALS": False,
        "CKAN_URL": ckan_proxy.url,
        "CKAN_TOKEN": s.token,
        "CKAN_ORG": s.org,
        "CKAN_TIMEOUT": 2,
        "WORKER_LEASE_SECONDS": 3,
        # the test forces every pending job due at once (no backoff waits), so one job can meet many
        # faults in a row; in production the backoff spreads the 8 attempts over hours
        "WORKER_MAX_ATTEMPTS": 100,
    }


@pytest.fixture
def fault_app(fault_config):
    from publisher import create_app
    from publisher.db import get_db

    application = create_app(fault_config)
    yield application
    get_db(application).dispose()


@pytest.fixture
def approved_releases(fault_app):
    """make(n, prefix) -> [(submission_id, approved sha256, series slug)] via the real service transitions."""
    from publisher.demo import counts_long, german_csv, small_city
    from publisher.services import intake, open_ctx, reference, review

    def make(n: int, prefix: str):
        out = []
        with open_ctx(fault_app) as c:
            from publisher.models import User
            from publisher.services import accounts

            def user(role, name):
                u = c.session.query(User).filter_by(username=name).one_or_none()
                return u or accounts.create_user(c, None, name, role, password="Fehlertest-Passwort-2026")[0]

            city = small_city()
            reference.ensure_default_rule_set(c)
            h = reference.import_hierarchy(c, None, city.hierarchy_csv(), "stadt.csv", "musterstadt")
            sub_user, appr_user = user("submitter", "sabine"), user("approver", "dora")
            for i in range(n):
                rows = counts_long(city, ["2026-07"], seed=100 + i, small_cells=True)
                data = german_csv(["baublock", "monat", "aufenthaltsstatus", "anzahl"], rows)
                meta = {"title": f"Fehlertest {prefix} {i}", "reference_period": "2026-07",
                        "description": "Testdaten", "keywords": ["Test"], "source": "Statistikstelle",
                        "contact": "Statistik <statistik@example.org>", "audience": "public", "groups": []}
                mapping = {"geo_column": "baublock", "count_columns": ["anzahl"],
                           "dimensions": ["monat", "aufenthaltsstatus"], "layout": "long"}
                series = f"{prefix}-{os.getpid()}-{i}"
                sub = intake.create_draft(c, sub_user, data=data, filename="t.csv", metadata=meta,
                                          mapping=mapping, series=series, hierarchy=h.id)
                review.submit(c, sub_user, sub.id)
                sub = review.approve(c, appr_user, sub.id, current_sha(c, sub))
                out.append((sub.id, sub.current_version.artifact_sha256, series))
        return out

    return make
