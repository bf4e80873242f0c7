"""Issue 17 item 2: the DPO decides from one screen - summary in plain German above the decision, one comment
field for approve / return / reject, a cell-level diff to the series' previous period, a sortable review list
and the help pages the terms link to."""
from __future__ import annotations

import csv
import io
import re

from publisher.models import Submission
from publisher.services.review_summary import cell_diff


def state_of(fresh, sub_id) -> str:
    return fresh().session.get(Submission, sub_id).state


def _rows(store, sha) -> list[dict]:
    text = store.get(sha).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";" if text[:2000].count(";") > text[:2000].count(",")
                               else ","))


def test_cell_diff_drops_the_period_column_and_marks_new_changed_and_same_cells():
    old = [{"level": "stadtteil", "area": "0101", "monat": "2026-07", "status": "A", "count": "5"},
           {"level": "stadtteil", "area": "0101", "monat": "2026-07", "status": "B", "count": ""},
           {"level": "stadtteil", "area": "0102", "monat": "2026-07", "status": "A", "count": "7"},
           {"level": "stadtteil", "area": "0103", "monat": "2026-07", "status": "A", "count": "4"}]
    new = [{"level": "stadtteil", "area": "0101", "monat": "2026-08", "status": "A", "count": "5"},
           {"level": "stadtteil", "area": "0101", "monat": "2026-08", "status": "B", "count": "3"},
           {"level": "stadtteil", "area": "0102", "monat": "2026-08", "status": "A", "count": "9"},
           {"level": "stadtteil", "area": "0104", "monat": "2026-08", "status": "A", "count": ""}]
    # "status" is the release format's flag column (not a key): the category column has its own name
    for r in old + new:
        r["merkmal"] = r.pop("status")
    d = cell_diff(old, new)
    assert d["period_columns"] == ["monat"]
    assert (d["same"], d["changed"], d["new"], d["removed"]) == (1, 2, 1, 1)
    assert d["categories"] == ["A", "B"]
    cells = {row["area"]: row["cells"] for row in d["rows"]}
    assert cells["0101"][1] == {"now": "3", "before": None, "state": "changed"}  # was suppressed (".")
    assert cells["0102"][0] == {"now": "9", "before": "7", "state": "changed"}
    assert cells["0104"][0] == {"now": None, "before": None, "state": "new"} and cells["0104"][1] is None


def test_review_page_starts_with_the_summary_then_one_decision_form(auth, client, users, make_submission, ctx):
    sub = make_submission("submitted", seed=12, title="Geflüchtete, August", reference_period="2026-08")
    for seed in range(13, 30):  # an earlier release of the series at the same level (else: nothing comparable)
        prev = make_submission("approved", seed=seed)
        if prev.current_version.level == sub.current_version.level:
            break
    else:
        raise AssertionError("no seed gives the same level")
    auth.login("dora")
    html = client.get(f"/review/{sub.id}").get_data(as_text=True)
    i_summary, i_decision = html.index('id="summary-heading"'), html.index('id="decision-heading"')
    i_details = html.index('id="manifest-heading"')
    assert i_summary < i_decision < i_details < html.index('id="raw-heading"')
    summary = html[i_summary:i_decision]
    v = sub.current_version
    rows = _rows(ctx.store, v.artifact_sha256)
    assert f"{len(rows)} Zeilen auf Ebene" in summary
    suppressed = sum(1 for r in rows if not r["count"])
    assert (f"davon {suppressed} gesperrte Zelle" in summary) if suppressed else ("keine gesperrte Zelle" in summary)
    assert "Öffentlich: alle, ohne Anmeldung" in summary and "Sofort nach der Freigabe" in summary
    assert "Das Verfahren legt das Regelwerk fest" in summary
    # the cell diff, computed here independently from the two released tables
    old = {tuple((k, r[k]) for k in r if k not in ("count", "status", "level")): r["count"]
           for r in _rows(ctx.store, prev.current_version.artifact_sha256)}
    changed = sum(1 for r in rows if (key := tuple((k, r[k]) for k in r if k not in ("count", "status", "level")))
                  in old and old[key] != r["count"])
    assert changed > 0
    assert f"{changed} Zellen geändert" in summary or f"{changed} Zelle geändert" in summary
    assert summary.count('class="num cell-changed"') == min(changed, 60 * 12)
    # terms link to the glossary
    for anchor in ("vergroeberung", "differenz"):
        assert f'href="/hilfe#{anchor}"' in html
    decision = html[i_decision:i_details]
    assert decision.count("<textarea") == 1 and 'name="comment"' in decision
    assert decision.count("<form") == 1
    assert re.search(r'formaction="/review/\d+/return"', decision) and re.search(r'formaction="/review/\d+/reject"',
                                                                                 decision)
    assert 'name="manifest_sha256" value="' in decision and v.artifact_sha256 in decision


def test_one_comment_field_return_needs_it_approve_does_not(browser, auth, client, users, make_submission, fresh):
    sub = make_submission("submitted")
    auth.login("dora")
    page = f"/review/{sub.id}"
    resp = browser.post(page, f"/review/{sub.id}/reject", {"comment": "  "})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'id="e-comment"' in html and 'aria-describedby="e-comment"' in html
    assert state_of(fresh, sub.id) == "submitted"
    html = client.get(page).get_data(as_text=True)
    sha = re.search(r'name="manifest_sha256" value="([0-9a-f]{64})"', html).group(1)
    resp = browser.post(page, f"/review/{sub.id}/approve", {"manifest_sha256": sha, "comment": ""})
    assert resp.status_code == 303 and state_of(fresh, sub.id) == "approved"


def test_a_previous_release_at_another_level_is_named_not_diffed():
    old = [{"level": "stadtbezirk", "area": "01", "count": "5"}]
    new = [{"level": "stadtteil", "area": "0101", "count": "3"}]
    assert cell_diff(old, new) == {"level_changed": True, "previous_level_title": "Stadtbezirk"}


def test_review_list_shows_outcome_level_findings_waiting_and_sorts(auth, client, users, make_submission, ctx):
    import datetime as dt

    a = make_submission("submitted", seed=21, title="Alpha")
    b = make_submission("submitted", seed=22, title="Beta")
    s = ctx.session.get(Submission, a.id)
    s.state_changed_at = s.state_changed_at - dt.timedelta(days=2, hours=3)
    ctx.session.commit()
    auth.login("dora")
    html = client.get("/review").get_data(as_text=True)
    for head in ("Ergebnis", "Ebene", "Befunde", "Wartet seit"):
        assert head in html
    assert "2 Tage, 3 Stunden" in html and "veröffentlichbar" in html
    assert html.index("Alpha") < html.index("Beta")  # default: longest waiting first
    assert 'aria-sort="descending"' in html
    html = client.get("/review?sort=waiting&dir=asc").get_data(as_text=True)
    assert html.index("Beta") < html.index("Alpha") and 'aria-sort="ascending"' in html
    html = client.get("/review?sort=title&dir=desc").get_data(as_text=True)
    assert html.index("Beta") < html.index("Alpha")
    level = ctx.session.get(Submission, b.id).current_version.level
    assert level.capitalize() in html or level in html
    assert client.get("/review?sort=nonsense").status_code == 200


def test_help_page_explains_every_term_and_the_rules_document_is_reachable(client):
    html = client.get("/hilfe").get_data(as_text=True)
    for anchor, word in (("mindestfallzahl", "Mindestfallzahl"), ("primaere-sperrung", "Primäre Sperrung"),
                         ("sekundaere-sperrung", "Sekundäre Sperrung"), ("vergroeberung", "Vergröberung"),
                         ("angriffspruefung", "Angriffsprüfung"), ("differenz", "Zeitreihen- und Gebietsdifferenz"),
                         ("sperrfrist", "Sperrfrist"), ("daueranfreigabe", "Daueranfreigabe")):
        assert f'<dt id="{anchor}">{word}</dt>' in html
    assert 'href="/hilfe/regeln"' in html
    rules = client.get("/hilfe/regeln").get_data(as_text=True)
    assert "<h2>Geheimhaltungsregeln / Disclosure-control rules</h2>" in rules
    assert "<h3>2. Die Mindestfallzahl / The minimum-frequency rule</h3>" in rules
    assert "<code>min_count</code>" in rules
    en = client.get("/hilfe?lang=en").get_data(as_text=True)
    assert "Minimum count" in en or "minimum" in en.lower()


def test_markdown_subset_escapes_html():
    from publisher.web.help_views import markdown_html

    out = str(markdown_html("# T <b>\n\ntext **fett** <script>x</script>\n\n- a\n- `b`\n\n| x | y |\n|---|---|\n| 1 | 2 |\n"))
    assert "<script>" not in out and "&lt;script&gt;" in out and "<strong>fett</strong>" in out
    assert "<ul><li>a</li><li><code>b</code></li></ul>" in out and "<td>1</td>" in out and "<h2>T &lt;b&gt;</h2>" in out


def test_rule_report_reads_as_sentences_and_tables_not_a_dump(auth, client, users, make_submission):
    from tests.web.test_i18n import visible_text

    sub = make_submission("submitted")
    v = sub.current_version
    auth.login("dora")
    html = client.get(f"/review/{sub.id}").get_data(as_text=True)
    report = html.split('id="report-heading"', 1)[1].split("</section>", 1)[0]
    rs = v.report["rule_set"]
    assert f"Regelwerk {rs['name']}, Version {rs['version']}" in report
    assert re.search(rf"<th scope=\"row\">Mindestfallzahl</th><td>{rs['parameters']['min_count']}</td>", report)
    loss = v.report["information_loss"]
    assert f"Eingereicht wurden {loss['cells_submitted']} Zellen" in report
    assert f"veröffentlicht werden {loss['cells_released']} Zellen" in report
    text = visible_text(html)
    for raw in ("scope_comparison", "protection_width", "message_en", "message_de", "information_loss",
                "cells_submitted", "{'", '{"'):
        assert raw not in text, raw


def test_review_list_search(auth, client, users, make_submission):
    a = make_submission("submitted", seed=31, title="Alpha Tabelle")
    b = make_submission("submitted", seed=32, title="Beta Tabelle")
    auth.login("dora")
    html = client.get("/review?q=beta").get_data(as_text=True)
    assert f"/review/{b.id}" in html and f"/review/{a.id}\"" not in html
    assert f'href="/review?sort=title&amp;dir=desc&amp;q=beta"' in html  # sorting keeps the search
    assert "Keine Einreichung passt zu „gamma“." in client.get("/review?q=gamma").get_data(as_text=True)
