"""Issue 18 item 5: the German one-page guides for the DPO and for staff (/help), from ``docs/``.

The guides are Markdown files in ``docs/``; this view renders the small subset they use (headings, paragraphs,
numbered and bulleted lists, **bold**, *italic*, `code`) with every character escaped first, so nothing in a
guide can become markup or script.
"""
from __future__ import annotations

import re

from flask import abort, render_template
from markupsafe import Markup, escape

from publisher.config import REPO_ROOT
from publisher.i18n import N_
from publisher.web.blueprint import bp
from publisher.web.security import requires

GUIDES = {"datenschutz": ("leitfaden-datenschutz.md", N_("Leitfaden für Datenschutzbeauftragte")),
          "statistikstelle": ("leitfaden-statistikstelle.md", N_("Leitfaden für die Statistikstelle"))}


def _inline(text: str) -> str:
    s = str(escape(text))
    s = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", s)
    s = re.sub(r"\*(.+?)\*", r"<em>\1</em>", s)
    return re.sub(r"`(.+?)`", r"<code>\1</code>", s)


def render_guide(text: str) -> tuple[str, Markup]:
    """(title, HTML) of a guide; the first ``# `` heading is the title."""
    title, out, para, lst = "", [], [], None

    def flush():
        nonlocal para, lst
        if para:
            out.append("<p>" + _inline(" ".join(para)) + "</p>")
            para = []
        if lst:
            tag = lst[0]
            out.append(f"<{tag}>" + "".join(f"<li>{_inline(i)}</li>" for i in lst[1]) + f"</{tag}>")
            lst = None

    for line in text.splitlines():
        s = line.strip()
        m_ol, m_ul = re.match(r"^\d+\.\s+(.*)$", s), re.match(r"^[-*]\s+(.*)$", s)
        if not s:
            flush()
        elif s.startswith("# "):
            flush()
            title = s[2:].strip()
        elif s.startswith("## "):
            flush()
            out.append(f"<h2>{_inline(s[3:].strip())}</h2>")
        elif m_ol or m_ul:
            tag = "ol" if m_ol else "ul"
            if para:
                flush()
            if lst is None or lst[0] != tag:
                flush()
                lst = (tag, [])
            lst[1].append((m_ol or m_ul).group(1))
        elif lst is not None and line.startswith("   "):
            lst[1][-1] += " " + s
        else:
            if lst is not None:
                flush()
            para.append(s)
    flush()
    return title, Markup("\n".join(out))


@bp.route("/help")
@requires()
def help_index():
    return render_template("help_guides.html", guides=GUIDES)


@bp.route("/help/<name>")
@requires()
def help_guide(name: str):
    if name not in GUIDES:
        abort(404)
    path = REPO_ROOT / "docs" / GUIDES[name][0]
    if not path.exists():
        abort(404)
    title, html = render_guide(path.read_text(encoding="utf-8"))
    return render_template("help_guide.html", title=title, html=html, guides=GUIDES)
