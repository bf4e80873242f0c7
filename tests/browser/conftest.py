"""Browser journeys (issue 6): headless Debian ``chromium`` driven by Playwright, against the real app served
by werkzeug on 127.0.0.1 (free port, SQLite database in the test's tmp dir).

* ``live_server`` — the app of ``tests/conftest.py`` (same config and factories) served in a thread.
* ``page`` — a fresh browser context per test; the strict CSP stays ON (axe-core is injected through the
  DevTools protocol, not as a page script), and any CSP violation or JavaScript error fails the test.
* ``shots`` — ``shots.take(page, "name")``: screenshot into the test's tmp dir (and, with
  ``FREIGABE_UPDATE_SCREENSHOTS=1``, the named ones into ``docs/screenshots/``).
* ``a11y`` — ``a11y.check(page, "name")``: runs axe-core (WCAG 2.0/2.1 A+AA rules) on the page, stores the
  JSON result under ``test-artifacts/axe/`` (or ``$FREIGABE_AXE_DIR``) and fails on serious/critical.

Set-up: ``bash scripts/install-browser.sh`` (chromium from apt, axe-core from npm).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("FREIGABE_CHROMIUM", "/usr/bin/chromium")
AXE_JS = ROOT / "node_modules" / "axe-core" / "axe.min.js"
SCREENSHOT_DIR = ROOT / "docs" / "screenshots"
AXE_DIR = Path(os.environ.get("FREIGABE_AXE_DIR", ROOT / "test-artifacts" / "axe"))

def _require_setup():
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(CHROMIUM)
    if not AXE_JS.exists():
        missing.append(str(AXE_JS))
    if missing:
        pytest.fail(f"browser tests need {', '.join(missing)}: run `bash scripts/install-browser.sh`",
                    pytrace=False)


@pytest.fixture
def db_url(sqlite_template, tmp_path):
    """The browser journeys test what a person sees, not the database: SQLite only (PostgreSQL is covered
    by the service and web tests)."""
    path = tmp_path / "freigabe.sqlite3"
    shutil.copyfile(sqlite_template, path)
    return f"sqlite:///{path}"


@pytest.fixture
def hierarchy(hierarchy, ctx):
    """The shared test hierarchy, with the demo's generated geometries stored (so pages show maps)."""
    from publisher.demo import save_demo_geometries

    save_demo_geometries(ctx, hierarchy)
    return hierarchy


class LiveServer:
    def __init__(self, app):
        from werkzeug.serving import make_server

        self.app = app
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, name="live-server", daemon=True)

    def start(self):
        self._thread.start()
        return self

    def stop(self):
        self._server.shutdown()
        self._server.server_close()  # joins the request threads
        self._thread.join(timeout=5)
        for t in threading.enumerate():  # background checks an upload started (publisher/web/views_checks.py)
            if t.name.startswith("check-"):  # finish before the test's database is dropped
                t.join(timeout=60)

    def publish(self) -> int:
        """Run the in-process publication worker until the outbox is empty; returns the jobs processed."""
        from publisher import worker

        return worker.run(self.app, once=True)


@pytest.fixture
def live_server(app):
    server = LiveServer(app).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def _playwright():
    _require_setup()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def chromium(_playwright):
    browser = _playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                          args=["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"])
    yield browser
    browser.close()


class PageProblems:
    """Console errors (CSP violations, script errors) and uncaught exceptions seen by a page."""

    def __init__(self):
        self.errors: list[str] = []

    def attach(self, page):
        page.on("console", lambda msg: self.errors.append(f"console.{msg.type}: {msg.text}")
                if msg.type == "error" and not _expected_console_error(msg.text) else None)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))


def _expected_console_error(text: str) -> bool:
    # Pages answered with 4xx on purpose (a refused download, a form with errors) log the status.
    return bool(re.search(r"Failed to load resource: the server responded with a status of 4\d\d", text))


@pytest.fixture
def make_page(chromium, live_server):
    """``make_page(lang="de")`` → a page in a fresh context (own cookies) with base URL of the live server."""
    contexts, problems = [], PageProblems()

    def make(lang: str = "de"):
        context = chromium.new_context(base_url=live_server.url, locale=f"{lang}-DE" if lang == "de" else lang,
                                       viewport={"width": 1280, "height": 900}, accept_downloads=True)
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        problems.attach(page)
        return page

    yield make
    for context in contexts:
        context.close()
    assert not problems.errors, "browser console errors:\n" + "\n".join(problems.errors)


@pytest.fixture
def page(make_page):
    return make_page()


class Shots:
    def __init__(self, out: Path):
        self.out = out
        self.update_docs = os.environ.get("FREIGABE_UPDATE_SCREENSHOTS") == "1"
        out.mkdir(parents=True, exist_ok=True)

    def take(self, page, name: str, *, docs: bool = False) -> Path:
        path = self.out / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        assert path.stat().st_size > 1000
        if docs and self.update_docs:
            # README size: from the top of the page to the end of the last map/chart (or the first screen)
            bottom = page.evaluate("""() => {
                const figs = document.querySelectorAll('figure.map, figure.chart');
                if (!figs.length) return 0;
                const r = figs[figs.length - 1].getBoundingClientRect();
                return Math.ceil(r.bottom + window.scrollY + 16);
            }""") or 900
            SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOT_DIR / f"{name}.png"), full_page=True,
                            clip={"x": 0, "y": 0, "width": page.viewport_size["width"], "height": bottom})
        return path


@pytest.fixture
def shots(tmp_path):
    return Shots(tmp_path / "screenshots")


class A11y:
    """axe-core on a page: results stored as JSON, serious/critical violations collected."""

    TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

    def __init__(self, out: Path, test_name: str):
        self.out = out
        self.test_name = test_name
        self.failures: list[str] = []
        self.pages: list[str] = []
        out.mkdir(parents=True, exist_ok=True)

    def check(self, page, name: str) -> dict:
        page.wait_for_load_state("load")
        if not page.evaluate("() => typeof window.axe !== 'undefined'"):
            # evaluate() goes through the DevTools protocol, so the page's strict CSP stays in force.
            page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
        result = page.evaluate(
            "async (tags) => await axe.run(document, {runOnly: {type: 'tag', values: tags},"
            " resultTypes: ['violations']})", self.TAGS)
        record = {"test": self.test_name, "page": name, "url": page.url,
                  "violations": result["violations"], "passes": len(result.get("passes", [])),
                  "incomplete": [v["id"] for v in result.get("incomplete", [])]}
        safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{self.test_name}__{name}")
        (self.out / f"{safe}.json").write_text(json.dumps(record, indent=1, ensure_ascii=False), encoding="utf-8")
        self.pages.append(name)
        for v in result["violations"]:
            if v.get("impact") in ("serious", "critical"):
                targets = "; ".join(", ".join(map(str, n["target"])) for n in v["nodes"][:5])
                self.failures.append(f"{name} ({page.url}): {v['impact']} {v['id']}: {v['help']} → {targets}")
        return record


@pytest.fixture
def a11y(request):
    checker = A11y(AXE_DIR, request.node.name)
    yield checker
    assert not checker.failures, "axe-core serious/critical violations:\n" + "\n".join(checker.failures)


# --- small helpers shared by the journeys -----------------------------------------------------------------

PASSWORD = "korrekt-pferd-batterie-42"  # tests/conftest.py TEST_PASSWORD


def login(page, username: str, a11y=None):
    page.goto("/login")
    if a11y is not None:
        a11y.check(page, "login")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url(re.compile(r"/dashboard"))


def logout(page):
    page.get_by_role("button", name="Abmelden").click()
    page.wait_for_url(re.compile(r"/login"))
