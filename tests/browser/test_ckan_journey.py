"""The public journey of issue 6 continued onto the real CKAN 2.12 test instance: a member of the public
follows the release page's portal link, finds the dataset on CKAN's own HTML pages (dataset page, then the
resource page) and downloads the CSV from CKAN; the bytes equal the approved artifact (sha256).

CKAN's own pages are not Freigabe's: no axe-core run and no console-error check there (CKAN's front-end
is not ours to fix); the Freigabe pages visited on the way keep both checks.
"""
from __future__ import annotations

import hashlib
import re

import pytest

from catalog import releasetable
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.ckan]



@pytest.fixture
def app_config(app_config, ckan_instance):
    s = ckan_instance.settings
    return {**app_config, "CKAN_URL": s.url, "CKAN_TOKEN": s.token, "CKAN_ORG": s.org}


def test_public_follows_the_portal_link_and_downloads_the_csv_from_ckan(
        make_page, chromium, live_server, make_submission, ckan_instance, a11y, tmp_path):
    sub = make_submission("approved", title="Geflüchtete nach Aufenthaltsstatus, Juli 2026 (Portal)")
    approved = sub.current_version.artifact_sha256
    assert live_server.publish() == 2  # download area + CKAN

    page = make_page()
    page.goto(f"/releases/{sub.id}")
    link = page.get_by_role("link", name="Dieser Datensatz im Open-Data-Portal")
    expect(link).to_be_visible()
    a11y.check(page, "release-with-portal-link")
    portal = link.get_attribute("href")
    assert portal.startswith(ckan_instance.settings.url + "/dataset/"), portal

    # on CKAN: an anonymous visitor in a context of its own (CKAN's scripts are not checked here)
    context = chromium.new_context(accept_downloads=True, locale="de-DE")
    context.set_default_timeout(20_000)
    try:
        ckan = context.new_page()
        response = ckan.goto(portal)
        assert response is not None and response.status == 200, portal
        expect(ckan.locator("h1")).to_contain_text("Juli 2026 (Portal)")
        # the dataset page lists the version's resources (newest period first); the data CSV's resource page
        # offers the download
        ckan.locator("a[href*='/resource/']", has_text="2026-07 – Daten (CSV) – 1.0.0").first.click()
        ckan.wait_for_url(re.compile(r"/resource/[0-9a-f-]+"))
        download_link = ckan.locator("a.resource-url-analytics, a[href*='/download/']").first
        href = download_link.get_attribute("href")
        assert href and "/download/" in href, href
        body = context.request.get(href)
        assert body.status == 200
        assert body.body().startswith(b"ebene,gebietsschluessel,gebietsname,")  # the German published form
        assert hashlib.sha256(releasetable.to_artifact(body.body())).hexdigest() == approved
    finally:
        context.close()
