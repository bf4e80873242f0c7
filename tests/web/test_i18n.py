"""UI language: one Flask-Babel catalogue (German ids, English in publisher/translations/en/.../messages.po).

Fails on: a ``_()``/``ngettext``/``N_`` text in Python or a template without English translation (extracted
with Babel's API, as ``make messages`` does), fuzzy, duplicate or unused entries, a stale committed ``.mo``,
English words in the German UI of the main pages, wrong singular/plural forms for 0, 1 and 2, and times that
are not Europe/Berlin with the zone named.
"""
from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest

from publisher import i18n_tools
from publisher.i18n import LANG_COOKIE, format_date, format_datetime, format_number, ntranslate, translate

PLACEHOLDER = re.compile(r"{(\w+)(?::[^}]*)?}")
WORD = re.compile(r"[^\W\d_]+(?:-[^\W\d_]+)*")


@pytest.fixture
def db_url(sqlite_db_url):  # language tests do not depend on the database backend
    return sqlite_db_url


@pytest.fixture(scope="module")
def extracted():
    return i18n_tools.extract()


@pytest.fixture(scope="module")
def english():
    return i18n_tools.read_catalogue("en")


def _ids(catalog):
    return [m.id for m in catalog if m.id]


# --- (a) every text is translated, (b) no duplicates or fuzzy entries, the .mo is current ---------------------

def test_extraction_finds_python_template_and_marked_texts(extracted):
    ids = {m if isinstance(m, str) else m[0] for m in _ids(extracted)}
    assert len(ids) > 300
    assert "Anmelden" in ids  # template
    assert "Die Prüfung ist fehlgeschlagen." in ids  # Python (both())
    assert "Seite nicht gefunden" in ids and "Datenschutzbeauftragte/r" in ids  # N_() in dicts
    assert "Rohdatei" in ids and "Einreichungen" in ids  # nouns of typed errors (not_found, forbidden_view)
    assert "Sekunde" in ids and "Die erste von {total} Zeilen der veröffentlichten Tabelle" in ids  # ngettext


def test_every_text_has_an_english_translation(extracted, english):
    have = {m.id: m for m in english if m.id}
    missing = [m for m in _ids(extracted) if m not in have or not i18n_tools._translated(have[m])]
    assert missing == [], "run `make messages` and translate the empty entries in messages.po"


def test_catalogue_has_no_fuzzy_unused_or_duplicate_entries(extracted, english):
    assert [m.id for m in english if m.id and m.fuzzy] == []
    used = set(_ids(extracted))
    assert [m.id for m in english if m.id and m.id not in used] == [], "run `make messages`"
    text = i18n_tools.po_path("en").read_text(encoding="utf-8")
    ids = [_po_string(block) for block in re.findall(r'^msgid ((?:".*"\n)+)', text, flags=re.M)]
    ids = [i for i in ids if i]
    assert len(ids) > 300
    assert sorted({i for i in ids if ids.count(i) > 1}) == []
    assert "#, fuzzy" not in text and "\n#~ " not in text


def _po_string(block: str) -> str:
    return "".join(re.findall(r'^"(.*)"$', block, flags=re.M))


def test_committed_mo_is_compiled_from_the_po(english):
    mo = i18n_tools.po_path("en").with_suffix(".mo")
    assert i18n_tools.mo_messages(mo.read_bytes()) == i18n_tools.mo_messages(i18n_tools.mo_bytes(english)), \
        "messages.mo is stale: run `make messages` (or `bash scripts/i18n.sh compile`) and commit it"
    assert i18n_tools.problems() == []


def test_translations_keep_their_placeholders(english):
    for m in english:
        if not m.id:
            continue
        if isinstance(m.id, str):
            pairs = [(m.id, m.string)]
        else:
            pairs = [(m.id[0], m.string[0]), (m.id[1], m.string[1])]
        for de, en in pairs:
            assert set(PLACEHOLDER.findall(de)) == set(PLACEHOLDER.findall(en)), de


# --- (d) plurals ------------------------------------------------------------------------------------------

def test_english_catalogue_has_english_plural_forms(english):
    assert english.plural_forms == "nplurals=2; plural=(n != 1);"


def _fill(template: str, n: int) -> str:
    names = set(PLACEHOLDER.findall(template))
    return template.format(**{k: (n if k == "n" else f"<{k}>") for k in names})


def test_every_plural_message_has_the_right_form_for_0_1_and_2(english):
    plural = [m for m in english if m.id and not isinstance(m.id, str)]
    assert len(plural) >= 7
    for m in plural:
        (sg_de, pl_de), (sg_en, pl_en) = m.id, m.string
        extra = {k: f"<{k}>" for k in set(PLACEHOLDER.findall(sg_de + pl_de)) - {"n"}}
        for n, de, en in ((0, pl_de, pl_en), (1, sg_de, sg_en), (2, pl_de, pl_en)):
            assert ntranslate(sg_de, pl_de, n, "de", **extra) == _fill(de, n)
            assert ntranslate(sg_de, pl_de, n, "en", **extra) == _fill(en, n)
        for one, other in ((sg_de, pl_de), (sg_en, pl_en)):  # the forms differ beyond the number
            assert _fill(one, 1).replace("1", "#") != _fill(other, 1).replace("1", "#"), one
        assert ("{n}" in pl_de) == ("{n}" in pl_en), pl_de


def test_no_count_in_a_message_without_plural_forms(extracted):
    """``{n} Einträge`` in ``_()`` reads "1 Einträge": a count followed by a word needs ngettext."""
    singles = [m for m in _ids(extracted) if isinstance(m, str)]
    assert [m for m in singles if re.search(r"{(?:n|n_\w+|count)} [^\W\d_]", m)] == []


def test_engine_word_forms_follow_the_count():
    """The engine keeps its own typed de/en findings; their count-dependent words use {n:one|other}."""
    import disclosure_rules.cells  # noqa: F401  (registers its codes)
    import disclosure_rules.cells.linked  # noqa: F401
    import disclosure_rules.cells.magnitude  # noqa: F401
    from disclosure_rules.findings import CATALOGUE, Finding

    spec = re.compile(r"{(\w+):([^|{}]*)\|([^{}]*)}")
    checked = 0
    for code, tpl in CATALOGUE.items():
        for text in (tpl.de, tpl.en):
            for name, one, other in spec.findall(text):
                checked += 1
                params = {k: "x" for k in PLACEHOLDER.findall(tpl.de) + PLACEHOLDER.findall(tpl.en)}
                for n, form in ((0, other), (1, one), (2, other)):
                    params[name] = n
                    lang = "de" if text is tpl.de else "en"
                    assert form in Finding(code, params).message(lang), (code, n)
    assert checked >= 20
    from disclosure_rules.table import T_UNKNOWN_CODES

    assert Finding(T_UNKNOWN_CODES, {"n": 1, "codes": "0101"}).message("de") == \
        "1 Gebietsschlüssel steht nicht in der Hierarchie: 0101."
    assert Finding(T_UNKNOWN_CODES, {"n": 2, "codes": "0101, 0102"}).message("en") == \
        "2 area codes are not in the hierarchy: 0101, 0102."


def test_reason_for_one_failing_cell_is_singular():
    import importlib

    reasons = importlib.import_module("disclosure_rules.assess")
    assert reasons._reason("cells_below_threshold", 1)[1].startswith("1 Zelle verletzt die Mindestfallzahl")
    assert reasons._reason("cells_below_threshold", 2)[2].startswith("2 cells fail the minimum count")


# --- language selection, formats ------------------------------------------------------------------------

def test_german_is_the_default(client):
    resp = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    html = resp.get_data(as_text=True)
    assert '<html lang="de">' in html
    assert "Anmeldung" in html and "Zum Inhalt springen" in html


def test_english_by_query_and_then_by_cookie(client):
    resp = client.get("/login?lang=en")
    html = resp.get_data(as_text=True)
    assert '<html lang="en">' in html and "Skip to content" in html and ">Log in<" in html
    cookie = [h for h in resp.headers.getlist("Set-Cookie") if h.startswith(LANG_COOKIE + "=en")]
    assert cookie and "HttpOnly" in cookie[0] and "SameSite=Lax" in cookie[0]
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="en">' in html
    html = client.get("/login?lang=de").get_data(as_text=True)
    assert '<html lang="de">' in html
    assert '<html lang="de">' in client.get("/login").get_data(as_text=True)


def test_layout_has_a_language_switch_skip_link_and_landmarks(client):
    html = client.get("/login").get_data(as_text=True)
    assert 'href="?lang=en"' in html and 'lang="en"' in html
    assert '<a class="skip-link" href="#inhalt">' in html and '<main id="inhalt"' in html
    assert "<header" in html and "<nav" in html and "<footer" in html
    assert '<label for="f-username">' in html and 'id="f-username"' in html


def test_german_number_and_date_formats(app):
    winter = dt.datetime(2026, 11, 23, 9, 5, tzinfo=dt.UTC)
    summer = dt.datetime(2026, 7, 1, 7, 0)  # naive = UTC, as stored
    with app.test_request_context("/"):
        assert format_number(1234567) == "1.234.567"
        assert format_number("1234") == "1.234"
        assert format_number(0.5) == "0,5"
        assert format_date(dt.date(2026, 3, 1)) == "01.03.2026"
        assert format_datetime(winter) == "23.11.2026, 10:05 Uhr (MEZ)"  # Europe/Berlin, zone named
        assert format_datetime(summer) == "01.07.2026, 09:00 Uhr (MESZ)"
    with app.test_request_context("/?lang=en"):
        assert format_number(1234567) == "1,234,567"
        assert format_date(dt.date(2026, 3, 1)) == "1 Mar 2026"
        assert format_datetime(winter) == "23 Nov 2026, 10:05 (Europe/Berlin)"


def test_error_pages_follow_the_language(client):
    assert "Seite nicht gefunden" in client.get("/nirgendwo").get_data(as_text=True)
    assert "Page not found" in client.get("/nirgendwo?lang=en").get_data(as_text=True)


def test_service_errors_are_shown_in_the_chosen_language(browser, users, client):
    resp = browser.post("/login?lang=en", "/login?lang=en", {"username": "sabine", "password": "wrong-wrong-wrong"})
    assert resp.status_code == 401
    assert "Wrong user name or password." in resp.get_data(as_text=True)


def test_action_role_state_and_event_labels_are_translated(app):
    from publisher.i18n import ACTION_LABELS, ROLE_LABELS, action_label, role_label
    from publisher.labels import event_label
    from publisher.workflow import ACTIONS, STATE_LABELS, Role, State

    assert set(ACTIONS) <= set(ACTION_LABELS) and {r.value for r in Role} <= set(ROLE_LABELS)
    assert set(State) == set(STATE_LABELS)
    with app.test_request_context("/"):
        assert action_label("approve") == "freigegeben" and role_label("approver") == "Datenschutzbeauftragte/r"
        assert event_label("submission.approved") == "Freigegeben"
    with app.test_request_context("/?lang=en"):
        assert action_label("approve") == "approved" and role_label("approver") == "data-protection officer"
        assert event_label("submission.approved") == "Approved"


def test_every_audit_event_written_by_the_code_has_a_label():
    from pathlib import Path

    from publisher.labels import EVENT_LABELS
    from publisher.workflow import TRANSITIONS

    root = Path(__file__).resolve().parents[2] / "publisher"
    written = {t.audit_event for t in TRANSITIONS}
    pattern = re.compile(r"""(?:record\(|_event\(|_audit_rate_limit\()[^)]*?["']([a-z_]+\.[a-z_]+)["']""", re.S)
    for path in root.rglob("*.py"):
        written |= set(pattern.findall(path.read_text(encoding="utf-8")))
    written |= {f"publication.{p}_done" for p in ("publish", "withdraw")}
    assert len(written) > 30
    assert sorted(written - set(EVENT_LABELS)) == []


def test_typed_errors_name_roles_actions_and_states_in_the_message_language(make_submission, users, ctx):
    from publisher.services import review
    from publisher.services.errors import ServiceError

    sub = make_submission("draft")
    with pytest.raises(ServiceError) as exc:
        review.approve(ctx, users["submitter"], sub.id, sub.current_version.artifact_sha256)
    de, en = exc.value.message("de"), exc.value.message("en")
    assert "„Datenschutzbeauftragte/r“" in de and "freigeben" in de and "„Statistikstelle“" in de
    assert "approver" not in de and "submitter" not in de and "approve" not in de
    assert "'data-protection officer'" in en and "'statistics staff'" in en
    assert exc.value.findings[0].params["role"] == "submitter"  # codes stay for machines
    with pytest.raises(ServiceError) as exc:
        review.approve(ctx, users["approver"], sub.id, sub.current_version.artifact_sha256)
    assert exc.value.message("de") == "Die Aktion „freigeben“ ist im Zustand „Entwurf“ nicht möglich."
    assert exc.value.message("en") == "The action 'approve' is not possible in the state 'Draft'."
    from publisher.services.errors import not_found

    assert not_found("Hierarchie", 7).message("en") == "Hierarchy 7 does not exist."


def test_embargo_entered_in_berlin_time_is_shown_in_berlin_time(browser, auth, make_submission, client):
    sub = make_submission("submitted")
    auth.login("dora")
    page = client.get(f"/review/{sub.id}").get_data(as_text=True)  # issue 14: the form binds the manifest
    manifest = re.search(r'name="manifest_sha256" value="([0-9a-f]{64})"', page).group(1)
    resp = browser.post(f"/review/{sub.id}", f"/review/{sub.id}/approve", {
        "artifact_sha256": sub.current_version.artifact_sha256, "manifest_sha256": manifest, "comment": "",
        "embargo_until": "2030-12-01T09:00"})
    assert resp.status_code in (200, 302, 303), resp.get_data(as_text=True)[:500]
    html = client.get(f"/review/{sub.id}").get_data(as_text=True)
    assert "Sperrfrist bis 01.12.2030, 09:00 Uhr (MEZ)." in html
    cal = client.get("/calendar").get_data(as_text=True)
    assert ">01.12.2030, 09:00 Uhr (MEZ)</time>" in cal and "08:00" not in visible_text(cal)
    cal = client.get("/calendar?lang=en").get_data(as_text=True)
    assert "1 Dec 2030, 09:00 (Europe/Berlin)" in cal


# --- (c) no English leftovers in the German UI --------------------------------------------------------------

class _Visible(HTMLParser):
    """Text a person sees or hears: element text and title/aria-label/placeholder/alt and text data-*
    attributes; script, style and code (hashes, raw details) are left out."""

    SKIP = {"script", "style", "code"}

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
        for name, value in attrs:
            if value and (name in ("title", "aria-label", "placeholder", "alt") or (
                    name.startswith("data-") and "/" not in value and " " in value.strip())):
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Visible()
    parser.feed(html)
    return " ".join(parser.parts)


def visible_words(html: str) -> set[str]:
    return {w.lower() for w in WORD.findall(visible_text(html))}


# words of the English catalogue that German uses too (or that are names), and the test data's own words
SHARED_WORDS = {"csv", "xlsx", "json", "toml", "zip", "api", "sha", "ckan", "din", "excel", "freigabe", "e-mail",
                "name", "status", "version", "details", "parameter", "download", "downloads", "system", "token",
                "open-data", "data", "open", "login", "r",
                "zero",  # the official German licence name "Datenlizenz Deutschland – Zero" (licence choice, issue 17)
                "mark",  # German place names (the demo's "Resser Mark") shown on release pages (issue 17)
                "population"}  # German too ("Population der Prüfungen" in the manifest; issue 18: Grundgesamtheit)


def english_only_words(english) -> set[str]:
    de, en = set(), set()
    for m in english:
        if not m.id:
            continue
        ids = [m.id] if isinstance(m.id, str) else list(m.id)
        strings = [m.string] if isinstance(m.string, str) else list(m.string)
        for text in ids:
            de |= {w.lower() for w in WORD.findall(PLACEHOLDER.sub(" ", text))}
        for text in strings:
            en |= {w.lower() for w in WORD.findall(PLACEHOLDER.sub(" ", text))}
    return {w for w in en - de - SHARED_WORDS if len(w) > 2}


def _pages(app, client, auth, make_submission, users):
    from publisher import worker

    published = make_submission("approved", seed=7)
    assert worker.run(app, once=True) >= 1
    submitted = make_submission("submitted", seed=8)
    returned = make_submission("returned", seed=9)
    draft = make_submission("draft", seed=10)
    pages = {}
    for url in ("/login", "/releases", f"/releases/{published.id}", "/calendar", "/downloads", "/nirgendwo"):
        pages[url] = client.get(url)
    for user, urls in (("sabine", ["/dashboard", "/submissions/new", f"/submissions/{draft.id}", f"/submissions/{returned.id}",
                                   f"/submissions/{submitted.id}", f"/submissions/{published.id}"]),
                       ("dora", ["/dashboard", "/review", f"/review/{submitted.id}", f"/review/{published.id}",
                                 f"/review/{draft.id}", "/downloads"]),
                       ("adele", ["/dashboard", "/admin/users", "/admin/hierarchies", "/admin/rule-sets", "/audit",
                                  "/audit?verify=1"]),
                       ("rita", ["/dashboard", "/downloads", f"/releases/{published.id}"])):
        auth.login(user)
        for url in urls:
            pages[f"{user} {url}"] = client.get(url)
        auth.logout()
    return pages


def test_german_pages_show_no_english_ui_words(app, client, auth, make_submission, users, english):
    deny = english_only_words(english)
    assert {"submission", "approve", "review", "withdrawn", "suppressed", "area"} <= deny
    pages = _pages(app, client, auth, make_submission, users)
    found = {}
    for name, resp in pages.items():
        assert resp.status_code in (200, 403, 404), (name, resp.status_code)
        html = resp.get_data(as_text=True)
        assert '<html lang="de">' in html, name
        leftovers = visible_words(html) & deny
        if leftovers:
            found[name] = sorted(leftovers)
    assert found == {}, "\n".join(f"{k}: {v}" for k, v in found.items())
    assert len([r for r in pages.values() if r.status_code == 200]) >= 20


def test_english_pages_use_the_english_catalogue(app, client, auth, make_submission, users):
    sub = make_submission("submitted")
    auth.login("dora")
    html = client.get(f"/review/{sub.id}?lang=en").get_data(as_text=True)
    assert "Decision" in html and "Entscheidung" not in html and "Approve" in html
    html = client.get("/audit?lang=en").get_data(as_text=True)
    assert "Submitted for review" in html and "submission.submitted" not in visible_words(html)


def test_german_words_translate_in_templates(app):
    with app.test_request_context("/?lang=en"):
        assert translate("Anmelden", "en") == "Log in"
        from flask import render_template_string

        assert render_template_string('{{ ngettext("{n} Sekunde", "{n} Sekunden", 1) }}') == "1 Sekunde"
        assert render_template_string('{{ ngettext("Sekunde", "Sekunden", 2) }}') == "seconds"
        assert render_template_string('{{ _("Willkommen, {name}.", name="Dora") }}') == "Welcome, Dora."
