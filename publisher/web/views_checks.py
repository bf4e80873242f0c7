"""The upload check in the background (issue 6, item 5): the page does not hang on a long check.

``POST /submissions/check`` takes the same form as the upload page, starts ``intake.check_upload`` (a
preview: it stores nothing in the database) in a background thread and answers ``202`` with a status URL;
``GET /submissions/check/<token>`` answers (403 for an unknown or foreign token) ``{"state": "running"}`` until the result is there, then the
rendered check result (or the error summary).  Used by ``static/freigabe.js``; without JavaScript the
upload page checks synchronously as before.

The status lives in a small JSON file under ``<STORAGE_DIR>/checks/`` (readable by every web process that
shares the storage dir), bound to the user who started it, and is removed once the result was fetched or
after ``STALE_SECONDS``.  While it runs, the file carries the stage (read, prepare, assess, compare) and a
percentage (issue 16: large files show progress; reading reports the share of rows parsed).
"""
from __future__ import annotations

import json
import os
import secrets
import threading
import time
from pathlib import Path

from flask import current_app, jsonify, render_template, request, url_for

from publisher.i18n import N_, both
from publisher.web.blueprint import bp
from publisher.web.security import current_user, requires

STALE_SECONDS = 600
_TOKEN_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
# share of the whole check where each stage starts and ends (reading is measured, the rest is stepped)
STAGES = {"read": (0, 45), "prepare": (45, 75), "assess": (75, 90), "compare": (90, 99)}
STAGE_LABELS = {"read": N_("Datei lesen"), "prepare": N_("Tabelle prüfen"), "assess": N_("Regeln anwenden"),
                "compare": N_("Verfahren vergleichen")}
PROGRESS_EVERY = 0.3  # seconds between writes of the status file


def _dir() -> Path:
    d = Path(current_app.config["STORAGE_DIR"]) / "checks"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _write(path: Path, record: dict) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # issue 14: never world-readable
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(json.dumps(record, ensure_ascii=False))
    os.replace(tmp, path)


def _finding_dicts(exc) -> list[dict]:
    out = []
    for f in getattr(exc, "findings", []):
        out.append({"de": f.message("de"), "en": f.message("en"), "column": f.column,
                    "field": bool(f.column and not f.file and f.row is None)})
    return out


def _run(app, path: Path, record: dict, data: bytes, filename: str, mapping: dict, hierarchy, rule_set):
    from publisher.services import intake, open_ctx
    from publisher.services.errors import InvalidInput

    last = [0.0]

    def progress(stage: str, fraction: float = 0.0) -> None:
        now = time.monotonic()
        if stage == record.get("stage") and now - last[0] < PROGRESS_EVERY:
            return
        lo, hi = STAGES.get(stage, (0, 99))
        last[0] = now
        record.update(stage=stage, percent=int(lo + (hi - lo) * max(0.0, min(1.0, fraction))))
        try:
            _write(path, record)
        except OSError:  # progress is a courtesy; the check goes on
            pass

    try:
        with app.app_context(), open_ctx(app) as c:
            result = intake.check_upload(c, data, filename, mapping, hierarchy=hierarchy, rule_set=rule_set,
                                         progress=progress)
        record.update(state="done", result={
            "outcome": result.outcome, "level": result.level, "public_statement": result.public_statement,
            "report": result.report, "findings": result.findings, "artifact_sha256": result.artifact_sha256,
            "releasable_preview": result.releasable_preview[:200]})
    except InvalidInput as exc:
        record.update(state="error", findings=_finding_dicts(exc))
    except Exception:  # noqa: BLE001 - reported to the page as a general failure, logged here
        app.logger.exception("background check failed")
        record.update(state="error", findings=[{**both("Die Prüfung ist fehlgeschlagen."),
                                                "column": None, "field": False}])
    _write(path, record)


@bp.route("/submissions/check", methods=["POST"])
@requires("submitter")
def start_check():
    from publisher.web.forms import mapping_from_form, upload_from_form

    data, filename = upload_from_form()
    if data is None:
        return jsonify({"state": "error", "html": _errors_html([{
            **both("Bitte eine Datei auswählen."), "column": "file", "field": True}])}), 422
    _sweep()
    token = secrets.token_urlsafe(18)
    path = _dir() / f"{token}.json"
    record = {"state": "running", "user_id": current_user().id, "started": time.time()}
    _write(path, record)
    args = (current_app._get_current_object(), path, dict(record), data, filename, mapping_from_form(),
            request.form.get("hierarchy") or None, request.form.get("rule_set") or None)
    threading.Thread(target=_run, args=args, name=f"check-{token[:6]}", daemon=True).start()
    return jsonify({"state": "running", "status_url": url_for("web.check_status", token=token)}), 202


def _sweep() -> None:
    """Remove status files nobody fetched (older than STALE_SECONDS)."""
    limit = time.time() - STALE_SECONDS
    for p in _dir().glob("*.json"):
        try:
            if p.stat().st_mtime < limit:
                p.unlink(missing_ok=True)
        except OSError:
            pass


def _errors_html(findings: list[dict]) -> str:
    from publisher.i18n import current_lang

    lang = current_lang()
    by_field: dict[str, list[str]] = {}
    general: list[str] = []
    for f in findings:
        (by_field.setdefault(f["column"], []) if f.get("field") else general).append(f.get(lang) or f["de"])
    from publisher.i18n import gettext as _

    general.append(_("Es wurde nichts gespeichert."))
    return render_template("_check_errors.html", errors=by_field, general=general)


@bp.route("/submissions/check/<token>")
@requires("submitter")
def check_status(token: str):
    from publisher.services.errors import forbidden_view

    def not_found(what, _token):  # unknown, finished or someone else's check: one answer for all (403)
        return forbidden_view(what)

    if not token or len(token) > 64 or not set(token) <= _TOKEN_CHARS:
        raise not_found("Prüfung", token)
    path = _dir() / f"{token}.json"
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise not_found("Prüfung", token) from None
    if record.get("user_id") != current_user().id:
        raise not_found("Prüfung", token)
    if record["state"] == "running":
        if time.time() - record.get("started", 0) > STALE_SECONDS:
            path.unlink(missing_ok=True)
            return jsonify({"state": "error", "html": _errors_html([{
                **both("Die Prüfung wurde abgebrochen."), "field": False, "column": None}])})
        from publisher.i18n import gettext

        stage = record.get("stage")
        return jsonify({"state": "running", "seconds": round(time.time() - record.get("started", 0), 1),
                        "stage": stage, "stage_label": gettext(STAGE_LABELS[stage]) if stage in STAGE_LABELS else "",
                        "percent": record.get("percent", 0)})
    path.unlink(missing_ok=True)
    if record["state"] == "error":
        return jsonify({"state": "error", "html": _errors_html(record.get("findings", []))})
    r = record["result"]
    html = render_template("_check_result.html", r=r, preview=r["releasable_preview"], sha=r["artifact_sha256"])
    return jsonify({"state": "done", "html": html, "level": r["level"], "outcome": r["outcome"]})
