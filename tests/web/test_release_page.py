"""The public release page for citizens and journalists (issue 17 item 3): the one list of downloads with a
sentence per file, the legend of the DIN 55301 symbols, the publication date, the wide preview, no internal
values.  Releases reach the page through the real workflow and the real publication worker."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from publisher import worker
from publisher.models import PublicationJob
from publisher.web import release_cache, release_downloads
from publisher.web.release_downloads import Download


def _publish(app, make_submission, **meta):
    sub = make_submission("approved", **meta)
    assert worker.run(app, once=True) >= 1
    return sub


def _result(fresh, sub_id) -> dict:
    job = fresh().session.execute(select(PublicationJob).where(PublicationJob.submission_id == sub_id,
                                                               PublicationJob.target == "download")).scalar_one()
    assert job.state == "done", job.last_error
    return job.result


@pytest.fixture(autouse=True)
def _empty_stores():
    release_cache.PAGES.clear()
    release_cache.PARTS.clear()
    release_cache._keys.clear()
    yield


def _downloads_section(html: str) -> str:
    return html[html.index('<section aria-labelledby="downloads">'):].split("</section>")[0]


def test_every_published_file_is_listed_once_with_format_size_and_what_it_is_for(app, client, make_submission,
                                                                                  fresh):
    sub = _publish(app, make_submission)
    r = _result(fresh, sub.id)
    html = client.get(f"/releases/{sub.id}").get_data(as_text=True)
    section = _downloads_section(html)
    items = re.findall(r"<li>(.*?)</li>", section, re.S)
    assert len(items) == len(r["files"])
    for name in r["files"]:
        url = f"/downloads/{r['topic']}/{r['series']}/{r['version']}/{name}"
        item = next(i for i in items if f'href="{url}"' in i)
        size = len(client.get(url).data)
        # the size shown is the served file's size (German units)
        shown = re.search(r"\((\w+), ([\d.,]+) (Bytes|kB|MB)", item)
        assert shown, item
        number = float(shown.group(2).replace(".", "").replace(",", "."))
        factor = {"Bytes": 1, "kB": 1000, "MB": 1000 ** 2}[shown.group(3)]
        assert abs(number * factor - size) <= 0.05 * factor + 1
    excel = next(i for i in items if "-excel.csv" in i)
    assert "Für Excel" in excel
    data = next(i for i in items if f"{r['series']}.csv\"" in i)
    assert "Maschinenlesbar:" in data
    # the Excel entry comes first: most readers want it
    assert section.index("-excel.csv") < section.index(f"/{r['series']}.csv\"")
    en = _downloads_section(client.get(f"/releases/{sub.id}?lang=en").get_data(as_text=True))
    assert "For Excel" in en and "Für Excel" not in en


def test_a_registered_provider_adds_an_entry_drawn_on_request(app, client, make_submission):
    sub = _publish(app, make_submission)

    @release_downloads.provider
    def _extra(c, rel, version):
        yield Download("Karte (SVG)", f"/releases/{rel.submission_id}/karte.svg", "SVG",
                       "Zum Einbinden: die Karte als Vektorgrafik.", order=60)

    try:
        html = client.get(f"/releases/{sub.id}").get_data(as_text=True)
    finally:
        release_downloads.PROVIDERS.remove(_extra)
    section = _downloads_section(html)
    assert f'href="/releases/{sub.id}/karte.svg"' in section and "Zum Einbinden" in section
    # ordered by `order`: after the area list (40), before the package description (80)
    assert section.index("-gebiete.csv") < section.index("karte.svg") < section.index("datapackage.json")


def test_size_text_in_german_units():
    from flask import Flask

    app = Flask(__name__)
    from publisher import i18n

    i18n.init_app(app)
    with app.test_request_context("/?lang=de"):
        assert release_downloads.size_text(1) == "1 Byte"
        assert release_downloads.size_text(812) == "812 Bytes"
        assert release_downloads.size_text(4200) == "4,2 kB"
        assert release_downloads.size_text(1_300_000) == "1,3 MB"
        assert release_downloads.size_text(None) == ""


def _dump(html, name):
    import os

    os.makedirs("/tmp/pt-ui/html", exist_ok=True)
    open(f"/tmp/pt-ui/html/{name}.html", "w").write(html)


def test_wide_preview_areas_by_categories_with_names_legend_date_and_no_internal_values(
        app, client, make_submission, fresh, hierarchy, city, ctx):
    import csv
    import io

    from publisher.models import Series

    sub = _publish(app, make_submission, title="Geflüchtete nach Aufenthaltsstatus, Juli 2026")
    series = ctx.session.get(Series, sub.series_id)
    series.title = "Geflüchtete nach Aufenthaltsstatus"  # a person's title (the fixture names it like its slug)
    ctx.session.commit()
    r = _result(fresh, sub.id)
    html = client.get(f"/releases/{sub.id}").get_data(as_text=True)
    _dump(html, "release")
    published = client.get(f"/downloads/{r['topic']}/{r['series']}/{r['version']}/{r['series']}.csv")
    rows = list(csv.reader(io.StringIO(published.get_data(as_text=True))))
    head = rows[0]
    area_i = head.index("area") if "area" in head else head.index("gebietsschluessel")
    count_i = head.index("count") if "count" in head else head.index("anzahl")
    dims = [i for i, h in enumerate(head) if h not in ("level", "area", "count", "status", "revision", "ebene",
                                                        "gebietsschluessel", "gebietsname", "anzahl")]
    constant = [i for i in dims if len({row[i] for row in rows[1:]}) == 1]  # e.g. the month: said once
    categories = list(dict.fromkeys(" · ".join(row[i] for i in dims if i not in constant) for row in rows[1:]))
    wide = html[html.index('<table class="data wide">'):].split("</table>")[0]
    header_cells = re.findall(r'<th scope="col"[^>]*>(.*?)</th>', wide)
    assert header_cells == ["Gebiet"] + categories  # one column per category, in the file's order
    # every area of the file is a row, its name next to its code (names from the published code list)
    names = {row[level]: row[f"{level}_name"] for row in csv.DictReader(io.StringIO(city.hierarchy_csv().decode()))
             for level in ("baublock", "stadtteil", "stadtbezirk")}
    first = rows[1]
    row_html = re.search(rf'<th scope="row">([^<]*) <span class="code">{re.escape(first[area_i])}</span></th>(.*?)</tr>',
                         wide, re.S)
    assert row_html, wide[:2000]
    assert row_html.group(1) == names[first[area_i]]
    values = [row[count_i] for row in rows[1:] if row[area_i] == first[area_i]]
    shown = re.findall(r'<td class="num">(.*?)</td>', row_html.group(2))
    assert [re.sub(r"<[^>]+>", "", s).strip() for s in shown] == [v if v in (".", "-") else f"{int(v):,}".replace(",", ".")
                                                                 for v in values]
    for i in constant:
        assert f"{head[i].capitalize()} in der ganzen Tabelle: {rows[1][i]}" in html
    # the legend explains both DIN 55301 symbols
    legend = html[html.index('<dl class="legend"'):].split("</dl>")[0]
    assert "<code>.</code>" in legend and "geheim gehalten" in legend and "<code>-</code>" in legend
    # the publication date in Berlin time with the zone named
    assert re.search(r"Veröffentlicht am</dt><dd><time datetime=\"[^\"]+\">\d\d\.\d\d\.\d{4}, \d\d:\d\d Uhr \((MEZ|MESZ)\)",
                     html)
    # no internal values: slug, topic key, level key
    text = re.sub(r"<[^>]+>", " ", html.split("<main", 1)[1])
    assert "Geflüchtete nach Aufenthaltsstatus</dd>" in html
    assert r["series"] not in text.replace(f"{r['series']}.csv", "").replace(f"{r['series']}-", "")
    assert not re.search(r"Thema\s+statistik", text) and f"/{r['topic']}/" not in text
    assert not re.search(rf"\b{sub.current_version.level}\b", text)  # the key; its label is capitalised
    assert re.search(rf"Gebietsebene\s+{sub.current_version.level.capitalize()}\b", text)
    assert "Gebietsebene" in html


def test_version_history_lists_the_series_versions_with_notes(app, client, make_submission):
    a = _publish(app, make_submission, title="Geflüchtete, Juni 2026", reference_period="2026-06", seed=11)
    b = _publish(app, make_submission, title="Geflüchtete, Juli 2026", reference_period="2026-07", seed=11, add=3)
    html = client.get(f"/releases/{b.id}").get_data(as_text=True)
    section = html[html.index('<section aria-labelledby="versionen">'):].split("</section>")[0]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", section.split("<tbody>")[1], re.S)
    assert len(rows) == 2
    assert f'href="/releases/{a.id}"' in rows[0] and "Neuer Bezugszeitraum 2026-06" in rows[0]
    assert "diese Seite" in rows[1] and "Neuer Bezugszeitraum 2026-07" in rows[1]
    assert re.search(r"\d\d\.\d\d\.\d{4}, \d\d:\d\d Uhr", rows[0])
    en = client.get(f"/releases/{b.id}?lang=en").get_data(as_text=True)
    assert "New reference period 2026-07" in en and "Versions" in en
