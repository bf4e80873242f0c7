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
    assert "Für Excel:" in excel
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
