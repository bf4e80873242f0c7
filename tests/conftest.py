"""Shared fixtures (flaskr style): ``app``, ``client``, ``runner``, ``auth``, ``ctx``, factories.

The database fixture is parametrised over SQLite AND a real PostgreSQL 15.  Without
``FREIGABE_TEST_PG_URL`` a private cluster is started once per session on 127.0.0.1 (free port, data dir
in a temp dir owned by ``postgres``; ``initdb`` via ``runuser -u postgres --``) and stopped at the end.
Each test gets a fresh database: PostgreSQL ``CREATE DATABASE ... TEMPLATE`` of a migrated template,
SQLite a copy of a migrated file.  PostgreSQL variants carry the ``postgres`` marker
(``make test-fast`` leaves them out).

Factories reach every state by running the real service transitions (``make_submission(state=...)``).
"""
from __future__ import annotations

import ast
import itertools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from publisher.manifest import current_sha


def _parse_without_gc(parse):
    """CPython 3.11's ``ast`` keeps one recursion counter per interpreter.  A garbage collection during
    ``ast.parse`` whose finaliser formats a traceback (3.11 tracebacks call ``ast.parse`` for their carets,
    e.g. SQLAlchemy logging a failed rollback of a connection nobody returned) overwrites it:
    ``SystemError: AST constructor recursion depth mismatch`` (the symptom of pytest-dev/pytest#10763; the
    counter's history is python/cpython#106905).  pytest's assertion rewriting parses test modules lazily, so
    an unrelated test errored in CI.  In the test process, ``ast.parse`` runs with the collector paused
    (``tests/test_harness.py`` shows the failure without it)."""
    import functools
    import gc

    @functools.wraps(parse)
    def parse_without_gc(*args, **kwargs):
        if not gc.isenabled():
            return parse(*args, **kwargs)
        gc.disable()
        try:
            return parse(*args, **kwargs)
        finally:
            gc.enable()

    parse_without_gc.unguarded = parse
    return parse_without_gc


# once, although this module is imported twice (as ``conftest`` by pytest and as ``tests.conftest`` by tests)
if sys.version_info < (3, 13) and not hasattr(ast.parse, "unguarded"):
    ast.parse = _parse_without_gc(ast.parse)

PG_BIN = Path(os.environ.get("FREIGABE_PG_BIN", "/usr/lib/postgresql/15/bin"))
ROOT = Path(__file__).resolve().parent.parent


# --- PostgreSQL cluster ---------------------------------------------------------------------------------

def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgCluster:
    def __init__(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="freigabe-pg-"))
        self.data = self.tmp / "data"
        self.port = _free_port()
        self.started = False

    def _as_postgres(self, *cmd, **kw):
        prefix = [] if os.geteuid() != 0 else ["runuser", "-u", "postgres", "--"]
        return subprocess.run(prefix + [str(c) for c in cmd], check=True, capture_output=True, text=True, **kw)

    def start(self) -> str:
        if not (PG_BIN / "initdb").exists():
            raise RuntimeError(f"PostgreSQL 15 not found in {PG_BIN}: run scripts/install-system-deps.sh")
        if os.geteuid() == 0:
            shutil.chown(self.tmp, "postgres", "postgres")
        os.chmod(self.tmp, 0o700)
        self._as_postgres(PG_BIN / "initdb", "-D", self.data, "-U", "postgres", "-A", "trust", "--no-sync",
                          "-E", "UTF8", "--locale=C.UTF-8")
        opts = (f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.tmp} -c fsync=off "
                "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200")
        self._as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-o", opts, "-l", self.tmp / "log", "-w",
                          "-t", "60", "start")
        self.started = True
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        if self.started:
            try:
                self._as_postgres(PG_BIN / "pg_ctl", "-D", self.data, "-m", "immediate", "-w", "stop")
            except subprocess.CalledProcessError:
                pass
        shutil.rmtree(self.tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server_url():
    """URL of a PostgreSQL server database (``.../postgres``) the tests may create databases on."""
    url = os.environ.get("FREIGABE_TEST_PG_URL")
    if url:
        yield url
        return
    cluster = PgCluster()
    try:
        yield cluster.start()
    finally:
        cluster.stop()


def _pg_admin(url: str, *statements: str) -> None:
    from sqlalchemy import create_engine, text

    eng = create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as conn:
            for s in statements:
                conn.execute(text(s))
    finally:
        eng.dispose()


def _drop_test_db(server: str, name: str) -> None:
    """Drop a test's database.  A session the test left in a transaction (e.g. an answer body nobody closed)
    would otherwise be rolled back by the garbage collector after ``DROP DATABASE ... WITH (FORCE)`` cut its
    connection: SQLAlchemy then logs a traceback from a finaliser at a random later point, and on Python 3.11
    that can break an unrelated ``ast.parse`` (see ``_parse_without_gc``).  Such sessions are collected while
    their database exists, and named in the warnings summary."""
    import gc
    import warnings

    from sqlalchemy import create_engine, text

    eng = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with eng.connect() as conn:
            left = conn.execute(text("SELECT count(*) FROM pg_stat_activity WHERE datname = :d "
                                     "AND state LIKE 'idle in transaction%'"), {"d": name}).scalar()
            if left:
                gc.collect()
                warnings.warn(f"{left} database session(s) left in a transaction by this test", ResourceWarning)
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        eng.dispose()


def _with_db(url: str, name: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).set(database=name).render_as_string(hide_password=False)


_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_template(pg_server_url):
    """A migrated template database on the PostgreSQL server."""
    from publisher.migrations import upgrade

    name = f"freigabe_tpl_{os.getpid()}"
    _pg_admin(pg_server_url, f'DROP DATABASE IF EXISTS "{name}"', f'CREATE DATABASE "{name}"')
    upgrade(_with_db(pg_server_url, name))
    yield name
    _pg_admin(pg_server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory):
    from publisher.migrations import upgrade

    path = tmp_path_factory.mktemp("sqlite-template") / "template.sqlite3"
    upgrade(f"sqlite:///{path}")
    return path


@pytest.fixture(params=[pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """A fresh, migrated database for one test (SQLite file or PostgreSQL database)."""
    if request.param == "sqlite":
        path = tmp_path / "freigabe.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    server = request.getfixturevalue("pg_server_url")
    template = request.getfixturevalue("pg_template")
    name = f"freigabe_t{os.getpid()}_{next(_counter)}"
    _pg_admin(server, f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    yield _with_db(server, name)
    _drop_test_db(server, name)


@pytest.fixture
def backend(db_url) -> str:
    return "sqlite" if db_url.startswith("sqlite") else "postgres"


# --- app, client, ctx -----------------------------------------------------------------------------------

@pytest.fixture
def app_config(db_url, tmp_path) -> dict:
    return {
        "TESTING": True,
        "DATABASE_URL": db_url,
        "DATA_DIR": str(tmp_path / "data"),
        "SECRET_KEY": "test-secret-key-not-for-production",
        "SESSION_COOKIE_SECURE": False,
        "LOCKOUT_THRESHOLD": 3,
        "LOCKOUT_MINUTES": 15,
        "RETENTION_DAYS": 30,
        "TWO_APPROVALS": False,
        "MAX_CONTENT_LENGTH": 2 * 1024 * 1024,
    }


@pytest.fixture
def app(app_config):
    from publisher import create_app
    from publisher.db import get_db

    app = create_app(app_config)
    yield app
    get_db(app).dispose()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    """Runs ``freigabe`` CLI commands against this app: ``runner.invoke(args=["audit", "verify"])``."""
    from flask.cli import ScriptInfo

    from publisher.cli import main

    class Runner:
        def __init__(self):
            self._r = app.test_cli_runner()

        def invoke(self, args, input=None):
            return self._r.invoke(main, args, obj=ScriptInfo(create_app=lambda: app), input=input,
                                  catch_exceptions=False)

    return Runner()


@pytest.fixture
def services_settings(app_config) -> dict:
    """The settings dict services see (same as ``app.config`` for this test), without building the app."""
    from publisher.config import load_settings

    return load_settings(environ={}, overrides=app_config)


@pytest.fixture
def database(services_settings):
    from publisher.db import Database

    db = Database(services_settings["DATABASE_URL"])
    yield db
    db.dispose()


@pytest.fixture
def fresh(database, services_settings):
    """``fresh()`` → a new services context (new session): read what is really stored."""
    from publisher.services import Ctx
    from publisher.storage import FileStore

    opened = []

    def make():
        c = Ctx(session=database.session(), settings=dict(services_settings),
                store=FileStore(services_settings["STORAGE_DIR"]))
        opened.append(c)
        return c

    yield make
    for c in opened:
        c.session.close()


@pytest.fixture
def ctx(fresh):
    """A services context (own session) for arranging and checking state.  Does not need the Flask app."""
    return fresh()


# --- users and auth -------------------------------------------------------------------------------------

TEST_PASSWORD = "korrekt-pferd-batterie-42"


@pytest.fixture(scope="session")
def _test_password_hash():
    from publisher.services import accounts

    return accounts.hash_password(TEST_PASSWORD)


@pytest.fixture(autouse=True)
def _fast_test_password(monkeypatch, _test_password_hash):
    """Hash the well-known test password once per session (argon2 costs ~70 ms per hash by design)."""
    from publisher.services import accounts

    real = accounts.hash_password
    monkeypatch.setattr(accounts, "hash_password",
                        lambda pw: _test_password_hash if pw == TEST_PASSWORD else real(pw))


@pytest.fixture
def make_user(ctx):
    from publisher.services import accounts

    n = itertools.count(1)

    def make(role: str = "submitter", username: str | None = None, groups=(), password: str = TEST_PASSWORD):
        name = username or f"{role}{next(n)}"
        user, _ = accounts.create_user(ctx, None, name, role, password=password, groups=groups)
        return user

    return make


@pytest.fixture
def users(make_user):
    """Standard cast: submitter, other submitter, approver, second approver, admin, reader in/out of group."""
    return {
        "submitter": make_user("submitter", "sabine"),
        "other_submitter": make_user("submitter", "otto"),
        "approver": make_user("approver", "dora"),
        "approver2": make_user("approver", "dieter"),
        "admin": make_user("admin", "adele"),
        "reader": make_user("reader", "rita", groups=("sozialplanung",)),
        "outsider": make_user("reader", "rolf", groups=("andere",)),
    }


class AuthActions:
    """flaskr-style: ``auth.login("sabine")`` posts the login form (with its CSRF token when present)."""

    def __init__(self, client, app):
        self._client, self._app = client, app

    def _url(self, suffix: str) -> str:
        for rule in self._app.url_map.iter_rules():
            if rule.endpoint.endswith(suffix) and "<" not in rule.rule:
                return rule.rule
        return "/" + suffix

    def login(self, username: str, password: str = TEST_PASSWORD):
        import re

        url = self._url("login")
        page = self._client.get(url)
        m = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page.data) or re.search(
            rb'value="([^"]+)"[^>]*name="csrf_token"', page.data)
        data = {"username": username, "password": password}
        if m:
            data["csrf_token"] = m.group(1).decode()
        return self._client.post(url, data=data)

    def logout(self):
        """Logout is a CSRF-protected POST: take the token from a page every visitor can open."""
        import re

        page = self._client.get("/releases")
        m = re.search(rb'name="csrf_token"[^>]*value="([^"]+)"', page.data) or re.search(
            rb'value="([^"]+)"[^>]*name="csrf_token"', page.data)
        resp = self._client.post(self._url("logout"), data={"csrf_token": m.group(1).decode()} if m else {})
        assert resp.status_code in (302, 303), resp.status_code
        return resp


@pytest.fixture
def auth(client, app):
    return AuthActions(client, app)


# --- reference data and submissions ---------------------------------------------------------------------

@pytest.fixture
def city():
    from publisher.demo import small_city

    return small_city()


@pytest.fixture
def hierarchy(ctx, city):
    from publisher.services import reference

    return reference.import_hierarchy(ctx, None, city.hierarchy_csv(), "stadt.csv", "musterstadt")


LONG_MAPPING = {"geo_column": "baublock", "count_columns": ["anzahl"], "dimensions": ["monat", "aufenthaltsstatus"],
                "layout": "long"}
LONG_HEADER = ["baublock", "monat", "aufenthaltsstatus", "anzahl"]


@pytest.fixture
def table_bytes(city):
    """``table_bytes(seed=1, small=True, **csv_kwargs)`` → a generated German CSV of block counts."""
    from publisher.demo import counts_long, german_csv

    def make(seed: int = 1, small: bool = True, months=("2026-07",), add: int = 0, **kw):
        rows = counts_long(city, list(months), seed=seed, small_cells=small)
        if add:  # a later period of the same table: every non-zero count grows by ``add`` (issue 13: a change
            rows = [(*r[:-1], r[-1] + add if r[-1] else 0) for r in rows]  # below min_count would be refused)
        return german_csv(LONG_HEADER, rows, **kw)

    return make


def meta(**kw) -> dict:
    # correction_reason: many tests publish the same period of "testreihe" more than once; each later one is a
    # correction (issue 8) and needs a reason - for a first release of a period the field is simply unused
    m = {"title": "Geflüchtete nach Aufenthaltsstatus", "reference_period": "2026-07",
         "description": "Testdaten", "keywords": ["Test"], "source": "Statistikstelle", "contact": "x@example.org",
         "correction_reason": "Testdaten erneut geliefert"}
    m.update(kw)
    return m


@pytest.fixture
def make_submission(ctx, users, hierarchy, table_bytes):
    """``make_submission(state="approved", submitter=..., seed=...)`` - reached via the real transitions."""
    from publisher.services import intake, review, reference
    from publisher.workflow import State

    reference.ensure_default_rule_set(ctx)
    seeds = itertools.count(100)

    def make(state: str = "draft", submitter=None, approver=None, seed: int | None = None, add: int = 0, **metadata):
        state = State(state)
        sub_user = submitter or users["submitter"]
        appr = approver or users["approver"]
        sub = intake.create_draft(ctx, sub_user, data=table_bytes(seed=seed or next(seeds), add=add),
                                  filename="tabelle.csv",
                                  metadata=meta(**metadata), mapping=LONG_MAPPING, series="testreihe",
                                  hierarchy=hierarchy.id)
        if state == State.DRAFT:
            return sub
        if state == State.WITHDRAWN:
            return review.withdraw(ctx, sub_user, sub.id)
        sub = review.submit(ctx, sub_user, sub.id)
        if state == State.SUBMITTED:
            return sub
        if state in (State.RETURNED,):
            return review.return_submission(ctx, appr, sub.id, "Bitte prüfen.")
        if state == State.REJECTED:
            return review.reject(ctx, appr, sub.id, "Nicht veröffentlichen.")
        sub = review.approve(ctx, appr, sub.id, current_sha(ctx, sub))
        if ctx.settings.get("TWO_APPROVALS"):
            sub = review.approve(ctx, users["approver2"], sub.id, current_sha(ctx, sub))
        if state == State.APPROVED:
            return sub
        sub = review.start_publishing(ctx, sub.id)
        if state == State.PUBLISHING:
            return sub
        return review.complete_publication(ctx, sub.id, {"test": True})

    return make


# --- targets (issue 15): the CKAN test instances, one per variant for the whole session ---------------------
def _load_ckan_instances():
    import importlib.util
    import sys

    name = "_freigabe_ckan_instances"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / "catalog" / "instances.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


ckan_instance = _load_ckan_instances().ckan_instance
ckan_scheming_instance = _load_ckan_instances().ckan_scheming_instance


# --- issue 18: test CA, SMTP server (aiosmtpd), OpenLDAP slapd (tests/servers_directory.py) ---------------
from tests.servers_directory import (  # noqa: E402,F401
    ldap_settings, mail_settings, slapd, smtp_server, test_ca,
)
