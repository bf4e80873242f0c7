"""An uploaded file kept between the steps of the upload form (issue 17 item 1: the first upload of a new
series offers the columns found in the file as choices; the person picks them and saves without choosing
the file again).  Works without JavaScript: the form carries a token in a hidden field.

The bytes live under ``<STORAGE_DIR>/staged/<token>.bin`` with ``<token>.json`` (owner, file name, time),
owner-only permissions like the background checks' status files; only the user who uploaded may use a token;
files older than :data:`STALE_SECONDS` are removed whenever a file is staged.  Nothing here is a submission:
the service stores the submission from these bytes exactly as from a fresh upload.
"""
from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path

from flask import current_app

STALE_SECONDS = 3600
_TOKEN_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def _dir() -> Path:
    d = Path(current_app.config["STORAGE_DIR"]) / "staged"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _valid(token: str) -> bool:
    return 20 <= len(token) <= 64 and set(token) <= _TOKEN_CHARS


def _write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    os.replace(tmp, path)


def _sweep(d: Path) -> None:
    now = time.time()
    for p in d.glob("*"):
        try:
            if now - p.stat().st_mtime > STALE_SECONDS:
                p.unlink()
        except OSError:
            pass


def stage(data: bytes, filename: str, user_id: int, token: str | None = None) -> str:
    """Keep ``data`` for ``user_id``; returns the token (the given one when it is still this user's)."""
    d = _dir()
    _sweep(d)
    if not (token and load(token, user_id) is not None):
        token = secrets.token_urlsafe(24)
    _write(d / f"{token}.bin", data)
    _write(d / f"{token}.json", json.dumps({"user": user_id, "filename": filename, "at": time.time()}).encode())
    return token


def load(token: str, user_id: int) -> tuple[bytes, str] | None:
    """(bytes, file name) of a staged upload of ``user_id``; None for an unknown, stale or foreign token."""
    if not token or not _valid(token):
        return None
    d = _dir()
    try:
        info = json.loads((d / f"{token}.json").read_text(encoding="utf-8"))
        if info.get("user") != user_id or time.time() - float(info.get("at", 0)) > STALE_SECONDS:
            return None
        return (d / f"{token}.bin").read_bytes(), str(info.get("filename") or "tabelle.csv")
    except (OSError, ValueError):
        return None


def drop(token: str | None) -> None:
    if not token or not _valid(token):
        return
    for suffix in (".bin", ".json"):
        try:
            (_dir() / f"{token}{suffix}").unlink()
        except OSError:
            pass
