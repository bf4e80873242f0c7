"""Individual requests end to end (issue 18 item 4): record → prepare → DPO approves → published as a release
(ledger) → the requester gets an expiring single-person link by mail (real SMTP) → download once → link dead.
A request that would difference against a public release is refused with that release named - judged also
by an independent attacker over the files actually published (public CSV + the delivered CSV)."""
from __future__ import annotations

from publisher.manifest import current_sha  # noqa: E402

import csv
import datetime as dt
import io
import re

import pytest
from sqlalchemy import select

from publisher import mailer, worker
from publisher.db import utcnow
from publisher.demo import german_csv
from publisher.models import AuditEvent, Submission
from publisher.models_directory import DeliveryLink, IndividualRequest, MailMessage
from publisher.models_downloads import DownloadRecord
from publisher.models_ledger import LedgerEntry
from publisher.services import Ctx, errors as E, intake, reference, review
from publisher.services import requests as rq

POP = "gefluechtete-stadtteile"


@pytest.fixture(autouse=True)
def _population(ctx, users):
    """Issue 13/14 (xrel): a population is admin reference data, never free text of the submitter."""
    from publisher.services import populations

    populations.create_population(ctx, users["admin"], "Geflüchtete (Stadtteile)", slug=POP)
REQ_META = {"title": "Geflüchtete in Altstadt nach Baublock", "reference_period": "2026-07",
            "contact": "statistik@stadt.example"}
BLOCK_MAPPING = {"geo_column": "baublock", "count_columns": ["anzahl"], "layout": "long"}
ST_MAPPING = {"geo_column": "stadtteil", "count_columns": ["anzahl"], "layout": "long", "geo_level": "stadtteil"}


@pytest.fixture
def app_config(app_config, mail_settings):
    return {**app_config, **mail_settings, "MAIL_DAILY_HOUR": 0, "REQUEST_WINDOW_MINUTES": 30}


@pytest.fixture
def world(ctx, users, hierarchy, city):
    """Block → Stadtteil of the test city, and a public Stadtteil table (every Stadtteil 20 people)."""
    reference.ensure_default_rule_set(ctx)
    blocks = list(city.block_codes)
    parent = {b: b[:4] for b in blocks}
    stadtteile = sorted(set(parent.values()))
    return {"blocks": blocks, "parent": parent, "stadtteile": stadtteile}


def _publish_public(ctx, app, users, hierarchy, world):
    rows = [(st, 20) for st in world["stadtteile"]]
    sub = intake.create_draft(ctx, users["submitter"], data=german_csv(["stadtteil", "anzahl"], rows),
                              filename="stadtteile.csv", mapping=ST_MAPPING, series="stadtteile-monatlich",
                              hierarchy=hierarchy.id,
                              metadata={"title": "Geflüchtete nach Stadtteil", "reference_period": "2026-07",
                                        "contact": "statistik@stadt.example", "population": POP})
    sub = review.submit(ctx, users["submitter"], sub.id)
    sub = review.approve(ctx, users["approver"], sub.id, current_sha(ctx, sub))
    assert worker.run(app, once=True) >= 1
    ctx.session.expire_all()
    assert ctx.session.get(Submission, sub.id).state == "published"
    return sub


def _record(ctx, users):
    return rq.record(ctx, users["submitter"], requester_name="Ratsfrau Roth", requester_email="Roth@Rat.example",
                     organisation="Stadtrat", subject="Geflüchtete in der Altstadt je Baublock",
                     purpose="Planung Sprachkurse", legal_basis="Auskunftsrecht der Ratsmitglieder (§ 55 GO NRW)")


def _block_table(world, stadtteil: str, total: int, *, drop_last: bool) -> bytes:
    """The blocks of ``stadtteil`` (all >= 3) summing to ``total``; optionally without the last block."""
    blocks = [b for b in world["blocks"] if world["parent"][b] == stadtteil]
    keep = blocks[:-1] if drop_last else blocks
    vals = [total // len(blocks)] * len(blocks)
    vals[0] += total - sum(vals)
    if drop_last:  # the dropped block keeps 1 person: total - sum(kept) = 1
        vals = [3] * len(keep)
        vals[0] += total - 1 - sum(vals)
    return german_csv(["baublock", "anzahl"], list(zip(keep, vals)))


def _link_from_mail(smtp_server, address) -> str:
    (m,) = [m for m in smtp_server.to(address) if "Anfrage" in m.subject]
    found = re.search(r"https://freigabe\.stadt\.example(/delivery/[A-Za-z0-9_-]+)", m.body)
    assert found, m.body
    return found.group(1)


def test_request_end_to_end_delivery_by_mail_link_download_once_then_dead(app, client, ctx, fresh, users,
                                                                           hierarchy, world, smtp_server,
                                                                           monkeypatch, city):
    public = _publish_public(ctx, app, users, hierarchy, world)
    req = _record(ctx, users)
    assert req.state == "open" and req.requester_email == "roth@rat.example"
    # a request for the blocks of one Stadtteil - another Stadtteil's total than the public one would be
    # inconsistent, so the table adds up to the public 20 with every block shown (no difference possible)
    st = world["stadtteile"][0]
    sub = rq.prepare(ctx, users["submitter"], req.id, data=_block_table(world, st, 20, drop_last=False),
                     filename="altstadt.csv", metadata=REQ_META, mapping=BLOCK_MAPPING, population=POP,
                     hierarchy=hierarchy.id)
    v = sub.current_version
    assert v.meta["audience"] == "restricted" and v.meta["groups"] == [f"anfrage-{req.id}"]
    assert v.meta["population"] == POP and sub.series.slug == f"anfrage-{req.id}"
    assert "Ratsfrau Roth" in v.meta["description"] and "§ 55 GO NRW" in v.meta["description"]
    with pytest.raises(E.WrongState):  # prepared once
        rq.prepare(ctx, users["submitter"], req.id, data=b"x", filename="x.csv", metadata=REQ_META,
                   mapping=BLOCK_MAPPING, population=POP)
    sub = review.submit(ctx, users["submitter"], sub.id)
    with pytest.raises(E.Forbidden):  # four eyes as usual
        review.approve(ctx, users["submitter"], sub.id, current_sha(ctx, sub))
    sub = review.approve(ctx, users["approver"], sub.id, current_sha(ctx, sub))
    smtp_server.clear()
    assert worker.run(app, once=True) >= 1
    mailer.run_until_idle(app)
    c = fresh()
    assert c.session.get(Submission, sub.id).state == "published"
    # a delivery is a release: in the ledger, of the public tables' population, restricted to nobody but the link
    entry = c.session.execute(select(LedgerEntry).where(LedgerEntry.submission_id == sub.id)).scalar_one()
    assert entry.population == POP and entry.audience == "restricted"
    assert c.session.get(IndividualRequest, req.id).state == "delivered"
    # the mail: to the requester only, the link, no table
    (m,) = smtp_server.to("roth@rat.example")
    assert m.subject == f"[Freigabe] Ihre Anfrage Nr. {req.id}: Daten bereit"
    assert "nicht in dieser Nachricht" in m.body
    table_codes = [b for b in world["blocks"] if world["parent"][b] == st]
    assert not any(code in m.body for code in table_codes) and ";" not in m.body.split("Link")[0]
    path = _link_from_mail(smtp_server, "roth@rat.example")
    token = path.rsplit("/", 1)[1]
    assert token not in str([x.body for x in c.session.execute(select(MailMessage)).scalars()])  # scrubbed
    # nobody else reaches it: not public, not for a reader, not in the download area's list for readers
    assert app.test_client().get(f"/releases/{sub.id}").status_code in (403, 404)
    # the link: page, then the CSV (the released bytes), recorded and audited
    anon = app.test_client()
    page = anon.get(path)
    assert page.status_code == 200
    names = re.findall(rf'{path}/([^"]+)"', page.get_data(as_text=True))
    csv_name = f"anfrage-{req.id}.csv"  # the release table (beside it: the Excel variant and the area code list)
    assert csv_name in names
    got = anon.get(f"{path}/{csv_name}")
    assert got.status_code == 200 and got.headers["X-Content-SHA256"]
    rows = list(csv.reader(io.StringIO(got.data.decode("utf-8-sig"))))
    assert {r[rows[0].index("gebietsschluessel")] for r in rows[1:]} == set(table_codes)
    assert anon.get(f"{path}/{csv_name}").status_code == 200  # again, within the window
    c = fresh()
    recs = c.session.execute(select(DownloadRecord).where(DownloadRecord.submission_id == sub.id)).scalars().all()
    assert [r.username for r in recs] == [f"requester:{req.id}"] * 2
    link = c.session.execute(select(DeliveryLink)).scalar_one()
    assert link.downloads == 2 and link.window_ends_at is not None
    # after the first download window the link is dead (page and files), audited
    later = link.window_ends_at + dt.timedelta(seconds=1)
    monkeypatch.setattr(Ctx, "now", lambda self: later)
    dead = anon.get(path)
    assert dead.status_code == 410 and "erloschen" in dead.get_data(as_text=True)
    assert anon.get(f"{path}/{csv_name}").status_code == 410
    events = [e.event for e in fresh().session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()]
    for ev in ("request.recorded", "request.prepared", "request.delivered", "request.downloaded",
               "request.link_refused"):
        assert ev in events, ev
    assert events.count("request.downloaded") == 2
    assert public.id


def test_request_that_would_difference_against_a_public_release_is_blocked_with_it_named(
        app, ctx, fresh, users, hierarchy, world, city):
    public = _publish_public(ctx, app, users, hierarchy, world)
    req = _record(ctx, users)
    st = world["stadtteile"][0]
    # every block of the Stadtteil but one, each >= 3: publishable on its own; with the public Stadtteil total
    # the missing block is 20 - 19 = 1 person
    data = _block_table(world, st, 20, drop_last=True)
    sub = rq.prepare(ctx, users["submitter"], req.id, data=data, filename="altstadt.csv", metadata=REQ_META,
                     mapping=BLOCK_MAPPING, population=POP, hierarchy=hierarchy.id)
    assert sub.current_version.outcome == "publishable"
    sub = review.submit(ctx, users["submitter"], sub.id)
    with pytest.raises(E.WrongState) as exc:
        review.approve(ctx, users["approver"], sub.id, current_sha(ctx, sub))
    msg = exc.value.message("de")
    assert exc.value.http_status == 409 and f"Einreichung {public.id}" in msg and "stadtteile-monatlich" in msg
    c = fresh()
    assert c.session.get(Submission, sub.id).state == "submitted"
    assert c.session.execute(select(LedgerEntry).where(LedgerEntry.submission_id == sub.id)).first() is None
    # the independent judge: from the public CSV and the request's table, one block is exactly 1
    blocks = [b for b in world["blocks"] if world["parent"][b] == st]
    public_total = 20
    shown = {r[0]: int(r[1]) for r in csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=";")
             if r and r[0] != "baublock"}
    missing = [b for b in blocks if b not in shown]
    assert len(missing) == 1 and public_total - sum(shown.values()) == 1


def test_only_staff_record_and_prepare_requests(ctx, users):
    for who in ("approver", "admin", "reader"):
        with pytest.raises(E.Forbidden):
            rq.record(ctx, users[who], requester_name="x", requester_email="x@example.org", subject="s",
                      purpose="p", legal_basis="l")
    with pytest.raises(E.InvalidInput) as exc:
        rq.record(ctx, users["submitter"], requester_name="", requester_email="kaputt", subject="",
                  purpose="p", legal_basis="")
    assert {f.column for f in exc.value.findings} == {"requester_name", "requester_email", "subject", "legal_basis"}
    assert ctx.session.execute(select(IndividualRequest)).first() is None
    assert utcnow()
