"""Help pages (issue 17 item 2): ``/hilfe`` - the glossary every term on the review page links to - and
``/hilfe/regeln`` - docs/rules.md (the disclosure-control rules, German with English) rendered as HTML.

Public pages: they explain terms and rules, nothing internal.  The Markdown subset of docs/rules.md
(headings, paragraphs, lists, tables, code, emphasis) is rendered here with every text escaped."""
from __future__ import annotations

import re
from pathlib import Path

from flask import abort, render_template
from markupsafe import Markup, escape

from publisher.i18n import N_, gettext
from publisher.web.blueprint import bp
from publisher.web.security import public

RULES_MD = Path(__file__).resolve().parents[2] / "docs" / "rules.md"

# (anchor, term, explanation): German message ids, translated where shown
GLOSSARY = [
    ("mindestfallzahl", N_("Mindestfallzahl"),
     N_("Die kleinste Zahl von Personen, die eine veröffentlichte Zelle zählen darf (meist 3). Zellen mit 1 "
        "oder 2 Personen könnten auf einzelne Menschen schließen lassen und werden nicht veröffentlicht.")),
    ("primaere-sperrung", N_("Primäre Sperrung"),
     N_("Eine Zelle unter der Mindestfallzahl wird nicht veröffentlicht, sondern durch einen Punkt („.“) "
        "ersetzt.")),
    ("sekundaere-sperrung", N_("Sekundäre Sperrung"),
     N_("Zusätzlich gesperrte Zellen, damit sich primär gesperrte Werte nicht aus Zeilen- oder Spaltensummen "
        "zurückrechnen lassen.")),
    ("vergroeberung", N_("Vergröberung"),
     N_("Verletzt auf der eingereichten Ebene (z. B. Baublock) eine Zelle die Mindestfallzahl, werden die "
        "Zahlen zur nächstgröberen Ebene (Stadtteil, Stadtbezirk, Gesamtstadt) aufsummiert und erneut geprüft. "
        "Veröffentlicht wird die feinste Ebene ohne Geheimhaltungsfall.")),
    ("angriffspruefung", N_("Angriffsprüfung"),
     N_("Eine unabhängige Rechnung, die versucht, gesperrte Werte aus den veröffentlichten Zahlen und Summen "
        "einzugrenzen. Gelingt das enger als erlaubt, wird nicht veröffentlicht.")),
    ("differenz", N_("Zeitreihen- und Gebietsdifferenz"),
     N_("Aus zwei Veröffentlichungen lässt sich durch Abziehen eine kleine Zahl errechnen: zwischen zwei "
        "Monaten (Zeitreihendifferenz) oder zwischen zwei Gebietsständen (Gebietsdifferenz). Freigabe prüft "
        "jede neue Tabelle gegen alles früher Veröffentlichte.")),
    ("sperrfrist", N_("Sperrfrist"),
     N_("Zeitpunkt (Ortszeit Berlin), vor dem eine freigegebene Tabelle nicht erscheint. Bis dahin steht nur "
        "der Termin im Kalender, ohne Zahlen.")),
    ("daueranfreigabe", N_("Daueranfreigabe"),
     N_("Eine befristete Freigabe der Datenschutzbeauftragten für eine Reihe: solange jede neue Tabelle "
        "ohne Befund bleibt, wird sie ohne erneute Einzelprüfung veröffentlicht.")),
]


@bp.route("/hilfe")
@public
def help_page():
    return render_template("help.html", glossary=GLOSSARY)


@bp.route("/hilfe/regeln")
@public
def help_rules():
    if not RULES_MD.exists():
        abort(404)
    return render_template("help_rules.html", body=markdown_html(RULES_MD.read_text(encoding="utf-8")))


_INLINE = [(re.compile(r"`([^`]+)`"), r"<code>\1</code>"), (re.compile(r"\*\*([^*]+)\*\*"), r"<strong>\1</strong>"),
           (re.compile(r"(?<![\w*])\*([^*]+)\*(?!\w)"), r"<em>\1</em>")]


def _inline(text: str) -> str:
    out = str(escape(text))
    for pattern, repl in _INLINE:
        out = pattern.sub(repl, out)
    return out


def markdown_html(text: str) -> Markup:
    """The Markdown subset of the docs (escaped first, then a few inline marks): h1-h4, p, ul/ol, table, pre."""
    html: list[str] = []
    para: list[str] = []
    lst: list[str] | None = None
    ordered = False
    table: list[list[str]] = []
    code: list[str] | None = None

    def flush():
        nonlocal lst, table
        if para:
            html.append(f"<p>{_inline(' '.join(para))}</p>")
            para.clear()
        if lst is not None:
            tag = "ol" if ordered else "ul"
            html.append(f"<{tag}>" + "".join(f"<li>{_inline(i)}</li>" for i in lst) + f"</{tag}>")
            lst = None
        if table:
            head, body = table[0], [r for r in table[1:] if not all(set(c) <= set("-: ") for c in r)]
            html.append('<div class="table-scroll" tabindex="0" role="region" aria-label="'
                        + str(escape(gettext("Tabelle"))) + '"><table class="data"><thead><tr>'
                        + "".join(f'<th scope="col">{_inline(c)}</th>' for c in head) + "</tr></thead><tbody>"
                        + "".join("<tr>" + "".join(f"<td>{_inline(c)}</td>" for c in r) + "</tr>" for r in body)
                        + "</tbody></table></div>")
            table = []

    for line in text.splitlines():
        if code is not None:
            if line.startswith("```"):
                html.append(f"<pre><code>{escape(chr(10).join(code))}</code></pre>")
                code = None
            else:
                code.append(line)
            continue
        if line.startswith("```"):
            flush()
            code = []
            continue
        m = re.match(r"^(#{1,4})\s+(.*)$", line)
        if m:
            flush()
            level = min(len(m.group(1)) + 1, 4)  # the page's own h1 comes first
            html.append(f"<h{level}>{_inline(m.group(2))}</h{level}>")
            continue
        if line.strip().startswith("|"):
            if para or lst is not None:
                flush()
            table.append([c.strip() for c in line.strip().strip("|").split("|")])
            continue
        m = re.match(r"^\s*(?:([-*])|(\d+)\.)\s+(.*)$", line)
        if m:
            if para or table:
                flush()
            if lst is None:
                lst, ordered = [], m.group(2) is not None
            lst.append(m.group(3))
            continue
        if not line.strip():
            flush()
            continue
        if lst is not None and line.startswith("  "):
            lst[-1] += " " + line.strip()
            continue
        if lst is not None or table:
            flush()
        para.append(line.strip())
    flush()
    return Markup("\n".join(html))
