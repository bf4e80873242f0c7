"""Download-area storage behind a small interface; local file system implementation.

Layout (keys are ``/``-separated relative paths)::

    <topic>/<series>/<version>/<filename>     immutable: a version's files never change
    <topic>/<series>/latest.json              stable pointer {"version": ..., "files": {name: sha256}}

``put`` writes atomically (temporary file in the target directory, fsync, ``os.replace``), so a reader
never sees a half-written file and a crash leaves either the old or the new content.  Writing different
bytes to an existing version key is refused (:class:`StorageError` ``catalog.storage.immutable``); writing
the same bytes again is a no-op, so a retried publication job is harmless.  An S3-compatible store can
implement the same :class:`Storage` protocol later (``put`` with ``If-None-Match``, ``latest`` as object).
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol
from urllib.parse import quote

from .errors import STORAGE_IMMUTABLE, STORAGE_KEY_INVALID, STORAGE_NOT_FOUND, StorageError

_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$")
LATEST = "latest.json"


class Storage(Protocol):
    def put(self, key: str, data: bytes) -> str: ...
    def get(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def url(self, key: str) -> str: ...


def check_key(key: str) -> str:
    if not isinstance(key, str) or not key:
        raise StorageError(STORAGE_KEY_INVALID, key=str(key), reason="leer / empty")
    parts = key.split("/")
    for part in parts:
        if part in ("", ".", "..") or not _SEGMENT.match(part):
            raise StorageError(
                STORAGE_KEY_INVALID,
                key=key,
                reason="Segmente aus A-Z a-z 0-9 . _ - / segments of A-Z a-z 0-9 . _ -",
            )
    return key


def version_key(topic: str, series: str, version: str, filename: str) -> str:
    return check_key(f"{topic}/{series}/{version}/{filename}")


def latest_key(topic: str, series: str) -> str:
    return check_key(f"{topic}/{series}/{LATEST}")


class LocalStorage:
    def __init__(self, root: str | Path, base_url: str | None = None):
        self.root = Path(root).resolve()
        self.root.mkdir(parents=True, exist_ok=True)
        self.base_url = base_url.rstrip("/") if base_url else None

    # -- the interface ------------------------------------------------------------------------------------
    def path(self, key: str) -> Path:
        return self.root.joinpath(*check_key(key).split("/"))

    def url(self, key: str) -> str:
        if self.base_url:
            return self.base_url + "/" + quote(check_key(key))
        return self.path(key).as_uri()

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def get(self, key: str) -> bytes:
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError:
            raise StorageError(STORAGE_NOT_FOUND, key=key) from None

    def sha256(self, key: str) -> str:
        return hashlib.sha256(self.get(key)).hexdigest()

    def put(self, key: str, data: bytes, *, overwrite: bool = False) -> str:
        """Store ``data`` under ``key`` atomically; return its sha256.

        Without ``overwrite`` an existing key with different content is refused (immutable versions).
        """
        digest = hashlib.sha256(data).hexdigest()
        target = self.path(key)
        if target.is_file() and not overwrite:
            existing = hashlib.sha256(target.read_bytes()).hexdigest()
            if existing == digest:
                return digest
            raise StorageError(STORAGE_IMMUTABLE, key=key, existing=existing)
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=target.parent)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            if overwrite:
                os.replace(tmp, target)
            else:
                # link fails if another writer won the race; then compare like above
                try:
                    os.link(tmp, target)
                    os.unlink(tmp)
                except FileExistsError:
                    existing = hashlib.sha256(target.read_bytes()).hexdigest()
                    if existing != digest:
                        raise StorageError(STORAGE_IMMUTABLE, key=key, existing=existing) from None
                    os.unlink(tmp)
                except OSError:  # file system without hard links: rename (last writer wins the race)
                    os.replace(tmp, target)
            tmp = None
            _fsync_dir(target.parent)
        finally:
            if tmp is not None and os.path.exists(tmp):
                os.unlink(tmp)
        return digest

    # -- releases -----------------------------------------------------------------------------------------
    def put_release(self, topic: str, series: str, version: str, files: dict[str, bytes]) -> dict[str, str]:
        """Store a version's files (immutable) and then move the "latest" pointer to it if it is the newest."""
        hashes = {
            name: self.put(version_key(topic, series, version, name), data)
            for name, data in sorted(files.items())
        }
        current = self.latest(topic, series)
        # a correction of an older period (1.0.1 after 1.1.0) never becomes "latest"
        if current is None or _version_sort_key(version) >= _version_sort_key(current):
            self.set_latest(topic, series, version, hashes)
        return hashes

    def set_latest(self, topic: str, series: str, version: str, hashes: dict[str, str] | None = None) -> None:
        pointer = {"version": version, "files": dict(sorted((hashes or {}).items()))}
        data = (json.dumps(pointer, sort_keys=True, indent=2) + "\n").encode()
        self.put(latest_key(topic, series), data, overwrite=True)

    def latest(self, topic: str, series: str) -> str | None:
        key = latest_key(topic, series)
        if not self.exists(key):
            return None
        return json.loads(self.get(key))["version"]

    def resolve(self, topic: str, series: str, version: str, filename: str) -> str:
        """Key of a file; ``version="latest"`` follows the pointer."""
        if version == "latest":
            current = self.latest(topic, series)
            if current is None:
                raise StorageError(STORAGE_NOT_FOUND, key=latest_key(topic, series))
            version = current
        return version_key(topic, series, version, filename)

    def versions(self, topic: str, series: str) -> list[str]:
        base = self.root / check_key(topic) / check_key(series)
        if not base.is_dir():
            return []
        return sorted((p.name for p in base.iterdir() if p.is_dir()), key=_version_sort_key)


def _version_sort_key(v: str):
    parts = v.split(".")
    return tuple((0, int(p)) if p.isdigit() else (1, p) for p in parts)


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
