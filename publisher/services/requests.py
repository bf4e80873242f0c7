"""Individual requests - Einzelanfragen (issue 18 item 4), today answered "per E-Mail".

1. Staff record the request (:func:`record`): who asks (name, e-mail, organisation), what, why, the legal
   basis.  Audited ``request.recorded``.
2. Staff prepare the answer as a normal submission (:func:`prepare`): its own series ``anfrage-<id>``, the
   *population* of the public tables it relates to (so the cross-release checks compare it with them), audience
   ``restricted`` for the group ``anfrage-<id>`` that has no members - so no reader, no portal and no public page
   ever gets it, and every module that knows restricted releases treats it as one.
3. The DPO reviews and approves as usual (four eyes, engine, cross-release checks: a table that would
   difference against a public release is refused with those releases named).
4. Publication writes the release to the download area and its row to the release ledger (a delivery *is* a
   release: later public tables of the population are checked against it too).  The event
   ``publication.completed`` (:func:`on_published`) creates the delivery link and mails it to the requester -
   the table is never in the mail.  ``request.delivered`` audited.
5. The link (sha256 stored only) opens the delivery page; the first download opens a window of
   ``REQUEST_WINDOW_MINUTES`` (repeated or interrupted downloads), after which the link is dead; unused, it dies
   after ``REQUEST_LINK_DAYS``.  Every download is a download record + ``request.downloaded``; refusals are
   audited ``request.link_refused``.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from disclosure_rules.findings import Severity, register
from sqlalchemy import select

from publisher import audit
from publisher.models import Submission, User
from publisher.models_directory import DeliveryLink, IndividualRequest
from publisher.services import errors as E
from publisher.storage import sha256_text
from publisher.workflow import Role, State

GROUP_PREFIX = "anfrage-"

REQUEST_ROLE = register(
    "publisher.request.role", Severity.ERROR,
    "Einzelanfragen erfassen und beantworten darf die Statistikstelle (Rolle submitter).",
    "Individual requests are recorded and answered by statistics staff (role submitter).")
REQUEST_STATE = register(
    "publisher.request.state", Severity.ERROR,
    "Die Anfrage Nr. {id} ist {state_de}; das geht jetzt nicht.",
    "Request no. {id} is {state_en}; this is not possible now.")
LINK_DEAD = register(
    "publisher.request.link_dead", Severity.ERROR,
    "Dieser Download-Link ist erloschen ({reason}). Bitte wenden Sie sich an die Statistikstelle.",
    "This download link has expired ({reason_en}). Please contact the statistics office.")
_STATES = {"open": ("offen", "open"), "delivered": ("beantwortet", "answered"), "closed": ("abgeschlossen", "closed")}
_DEAD = {"window": ("das Download-Fenster ist abgelaufen", "the download window is over"),
         "expired": ("unbenutzt abgelaufen", "expired unused"),
         "revoked": ("widerrufen", "revoked"), "withdrawn": ("die Lieferung wurde zurückgezogen", "the delivery was withdrawn")}


Gone = E.Gone


def _hash(token: str | None) -> str:
    return sha256_text(token or "")


def _staff(actor: User | None) -> None:
    if actor is None or not actor.active or Role(actor.role) != Role.SUBMITTER:
        raise E.Forbidden(REQUEST_ROLE)


def _viewer(actor: User | None) -> None:
    if actor is None or not actor.active or Role(actor.role) not in (Role.SUBMITTER, Role.APPROVER, Role.ADMIN):
        raise E.Forbidden(REQUEST_ROLE)


def group_name(request_id: int) -> str:
    return f"{GROUP_PREFIX}{request_id}"


def record(c, actor: User, *, requester_name: str, requester_email: str, subject: str, purpose: str,
           legal_basis: str, organisation: str = "") -> IndividualRequest:
    from publisher.services.intake import _clean_text
    from publisher.services.invitations import EMAIL_RE

    try:
        _staff(actor)
        problems = []
        values: dict[str, str] = {}
        for key, value, limit, required in (("requester_name", requester_name, 200, True),
                                            ("requester_email", requester_email, 200, True),
                                            ("organisation", organisation, 200, False),
                                            ("subject", subject, 5000, True), ("purpose", purpose, 5000, True),
                                            ("legal_basis", legal_basis, 2000, True)):
            try:
                values[key] = _clean_text(value, key, limit)
            except E.InvalidInput as exc:
                problems += exc.findings
                continue
            if required and not values[key]:
                problems.append(E.invalid_field(key, "Pflichtfeld fehlt.", "required field missing."))
        if values.get("requester_email") and not EMAIL_RE.match(values["requester_email"]):
            problems.append(E.invalid_field("requester_email", "keine gültige E-Mail-Adresse.",
                                            "not a valid e-mail address."))
        if problems:
            raise E.InvalidInput(problems)
        req = IndividualRequest(created_at=c.now(), recorded_by_id=actor.id, state="open", **values)
        req.requester_email = req.requester_email.lower()
        c.session.add(req)
        c.session.flush()
        audit.record(c.session, actor, "request.recorded", req,
                     {"requester": req.requester_name, "email": req.requester_email,
                      "organisation": req.organisation, "legal_basis": req.legal_basis})
        c.session.commit()
        return req
    except BaseException:
        c.session.rollback()
        raise


def get(c, actor: User, request_id: Any) -> IndividualRequest:
    _viewer(actor)
    try:
        req = c.session.get(IndividualRequest, int(request_id))
    except (TypeError, ValueError):
        req = None
    if req is None:
        raise E.not_found("Anfrage", request_id)
    return req


def list_requests(c, actor: User) -> list[IndividualRequest]:
    _viewer(actor)
    return list(c.session.execute(select(IndividualRequest).order_by(IndividualRequest.id.desc())).scalars())


def prepare(c, actor: User, request_id: Any, *, data: bytes, filename: str, metadata: dict, mapping: dict,
            population: str, hierarchy: Any = None, rule_set: Any = None) -> Submission:
    """The answer as a draft submission for exactly this requester (its own series, the given population)."""
    from publisher.services import accounts, intake

    _staff(actor)
    req = get(c, actor, request_id)
    if req.state != "open" or req.submission_id is not None:
        c.session.rollback()
        st = _STATES.get(req.state, (req.state, req.state))
        raise E.WrongState(REQUEST_STATE, id=req.id, state_de=st[0] if req.submission_id is None else "vorbereitet",
                           state_en=st[1] if req.submission_id is None else "prepared")
    if not str(population or "").strip():
        raise E.InvalidInput(E.invalid_field("population", "Pflichtfeld fehlt: die Grundgesamtheit der "
                                             "öffentlichen Tabellen, neben denen diese Tabelle steht.",
                                             "required field missing: the population of the public tables this "
                                             "table stands next to."))
    accounts.ensure_group(c, actor, group_name(req.id))
    about = (f"Einzelanfrage Nr. {req.id} von {req.requester_name}"
             + (f" ({req.organisation})" if req.organisation else "")
             + f". Zweck: {req.purpose[:1500]}. Rechtsgrundlage: {req.legal_basis[:500]}.")
    meta = {"source": "Statistikstelle", **(metadata or {}), "description": about,
            "audience": "restricted", "groups": [group_name(req.id)], "population": str(population).strip()}
    meta.setdefault("title", f"Einzelanfrage Nr. {req.id}")
    sub = intake.create_draft(c, actor, data=data, filename=filename, metadata=meta, mapping=mapping,
                              series=group_name(req.id), hierarchy=hierarchy, rule_set=rule_set)
    try:
        req = c.session.get(IndividualRequest, req.id)
        req.submission_id = sub.id
        audit.record(c.session, actor, "request.prepared", req, {"submission": sub.id,
                                                                 "population": meta["population"]})
        c.session.commit()
    except BaseException:
        c.session.rollback()
        raise
    return sub


def request_for_submission(c, submission_id: int) -> IndividualRequest | None:
    return c.session.execute(select(IndividualRequest).where(IndividualRequest.submission_id == submission_id)
                             ).scalar_one_or_none()


def _new_link(c, req: IndividualRequest, sub: Submission) -> tuple[DeliveryLink, str]:
    token = secrets.token_urlsafe(32)
    days = int(c.settings.get("REQUEST_LINK_DAYS") or 14)
    link = c.session.execute(select(DeliveryLink).where(DeliveryLink.request_id == req.id)).scalar_one_or_none()
    if link is None:
        link = DeliveryLink(request_id=req.id, submission_id=sub.id, token_hash=_hash(token), created_at=c.now(),
                            expires_at=c.now() + dt.timedelta(days=days), downloads=0)
        c.session.add(link)
    else:  # a new link replaces the old one (which dies)
        link.token_hash, link.created_at, link.expires_at = _hash(token), c.now(), c.now() + dt.timedelta(days=days)
        link.first_download_at = link.window_ends_at = link.revoked_at = None
        link.downloads = 0
    c.session.flush()
    return link, token


def _mail_link(c, req: IndividualRequest, link: DeliveryLink, token: str) -> None:
    from publisher.i18n import format_datetime
    from publisher.services import notify

    if notify.enabled(c):
        notify.message(c, None, "request.delivery",
                       {"id": req.id, "subject_short": req.subject[:80] + ("…" if len(req.subject) > 80 else ""),
                        "expires": format_datetime(link.expires_at, "de"),
                        "window": int(c.settings.get("REQUEST_WINDOW_MINUTES") or 30)},
                       f"/delivery/{token}", address=req.requester_email, secret=True)


def on_published(c, sub: Submission) -> list:
    """``publication.completed`` of a request's submission: the delivery link, mailed (caller's transaction)."""
    req = request_for_submission(c, sub.id)
    if req is None or req.state != "open":
        return []
    link, token = _new_link(c, req, sub)
    req.state, req.delivered_at = "delivered", c.now()
    audit.record(c.session, "system", "request.delivered", req,
                 {"submission": sub.id, "link_expires": link.expires_at.isoformat(), "to": req.requester_email})
    _mail_link(c, req, link, token)
    return []


def reissue_link(c, actor: User, request_id: Any) -> str:
    """A fresh link for a delivered request (the old one dies); mailed, and returned (shown once when no mail)."""
    from publisher.services import notify

    try:
        _staff(actor)
        req = get(c, actor, request_id)
        sub = c.session.get(Submission, req.submission_id) if req.submission_id else None
        if req.state != "delivered" or sub is None or sub.state != State.PUBLISHED.value:
            st = _STATES.get(req.state, (req.state, req.state))
            raise E.WrongState(REQUEST_STATE, id=req.id, state_de=st[0], state_en=st[1])
        link, token = _new_link(c, req, sub)
        audit.record(c.session, actor, "request.link_reissued", req, {"link_expires": link.expires_at.isoformat()})
        _mail_link(c, req, link, token)
        c.session.commit()
        return notify.link(c, f"/delivery/{token}")
    except BaseException:
        c.session.rollback()
        raise


def _refuse(c, link: DeliveryLink | None, reason: str) -> Gone:
    c.session.rollback()
    audit.record(c.session, None, "request.link_refused", None,
                 {"request": link.request_id if link else None, "reason": reason},
                 object_type="individual_requests", object_id=link.request_id if link else "", anonymous=True)
    c.session.commit()
    de, en = _DEAD[reason]
    return Gone(LINK_DEAD, reason=de, reason_en=en)


def open_link(c, token: str) -> tuple[DeliveryLink, IndividualRequest, Submission]:
    """The live delivery behind a link (404 unknown; 410 dead, audited)."""
    link = c.session.execute(select(DeliveryLink).where(DeliveryLink.token_hash == _hash(token))).scalar_one_or_none()
    if link is None:
        raise E.not_found("Lieferung", "-")
    now = c.now()
    sub = c.session.get(Submission, link.submission_id)
    reason = ("revoked" if link.revoked_at else "withdrawn" if sub is None or sub.state != State.PUBLISHED.value
              else "window" if link.window_ends_at is not None and link.window_ends_at <= now
              else "expired" if link.first_download_at is None and link.expires_at <= now else None)
    if reason:
        raise _refuse(c, link, reason)
    return link, c.session.get(IndividualRequest, link.request_id), sub


def delivery_files(c, sub: Submission):
    """The released files of the delivery (download area record of the publication job)."""
    from publisher.services.downloads import _releases

    for rel in _releases(c):
        if rel.submission_id == sub.id and not rel.withdrawn:
            return rel
    return None


def download(c, token: str, filename: str) -> tuple[bytes, str, str]:
    """Bytes of one delivered file through the link; opens the download window on first use; recorded."""
    from catalog import LocalStorage
    from catalog.storage import version_key

    from publisher.models_downloads import DownloadRecord
    from publisher.services.downloads import MEDIA_TYPES

    link, req, sub = open_link(c, token)
    rel = delivery_files(c, sub)
    if rel is None or filename not in rel.files:
        raise E.not_found("Datei", filename)
    data = LocalStorage(c.settings["DOWNLOAD_DIR"]).get(version_key(rel.topic, rel.series, rel.version, filename))
    digest = hashlib.sha256(data).hexdigest()
    if digest != rel.files[filename]:
        raise E.not_found("Datei", filename)
    try:
        now = c.now()
        if link.first_download_at is None:
            link.first_download_at = now
            link.window_ends_at = now + dt.timedelta(minutes=int(c.settings.get("REQUEST_WINDOW_MINUTES") or 30))
        link.downloads = (link.downloads or 0) + 1
        who = f"requester:{req.id}"
        rec = DownloadRecord(at=now, user_id=None, username=who, submission_id=sub.id, topic=rel.topic,
                             series=rel.series, version=rel.version, requested=rel.version, filename=filename,
                             sha256=digest, size=len(data))
        c.session.add(rec)
        c.session.flush()
        audit.record(c.session, who, "request.downloaded", req,
                     {"filename": filename, "sha256": digest, "download": link.downloads,
                      "window_ends_at": link.window_ends_at.isoformat()})
        c.session.commit()
    except BaseException:
        c.session.rollback()
        raise
    ext = "." + filename.rsplit(".", 1)[-1] if "." in filename else ""
    return data, MEDIA_TYPES.get(ext, "application/octet-stream"), digest


def close(c, actor: User, request_id: Any, comment: str = "") -> IndividualRequest:
    try:
        _staff(actor)
        req = get(c, actor, request_id)
        if req.state == "closed":
            return req
        req.state, req.closed_at = "closed", c.now()
        link = c.session.execute(select(DeliveryLink).where(DeliveryLink.request_id == req.id)).scalar_one_or_none()
        if link is not None and link.revoked_at is None:
            link.revoked_at = c.now()
        audit.record(c.session, actor, "request.closed", req, {"comment": str(comment or "")[:2000]})
        c.session.commit()
        return req
    except BaseException:
        c.session.rollback()
        raise
