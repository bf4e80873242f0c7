"""Content-addressed file storage: files named by their sha256, written atomically.

Layout: ``<root>/<sha[:2]>/<sha>``.  A write goes to a temporary file in the same directory, is fsynced
and renamed into place, so a reader never sees half a file.  Writing the same bytes twice is a no-op.
The database row (:class:`publisher.models.StoredFile`) is written by the services in the same
transaction that references the file; files written by a transaction that then rolls back are orphans
that :meth:`FileStore.orphans` finds (they never carry data anybody can reach).
"""
from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_text(text: str) -> str:
    """sha256 of ``text`` as UTF-8 (how tokens, links and secrets are stored: never the text itself)."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class StorageError(Exception):
    pass


class FileStore:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise StorageError(f"not a sha256: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def put(self, data: bytes) -> str:
        sha = sha256_bytes(data)
        target = self.path(sha)
        if target.exists() and target.stat().st_size == len(data):
            return sha
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.replace(tmp, target)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return sha

    def get(self, sha256: str, verify: bool = True) -> bytes:
        p = self.path(sha256)
        try:
            data = p.read_bytes()
        except FileNotFoundError:
            raise StorageError(f"file {sha256} is not in the storage") from None
        if verify and sha256_bytes(data) != sha256:
            raise StorageError(f"file {sha256} in the storage does not match its hash")
        return data

    def exists(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def delete(self, sha256: str) -> bool:
        p = self.path(sha256)
        try:
            p.unlink()
            return True
        except FileNotFoundError:
            return False

    def all_hashes(self) -> set[str]:
        if not self.root.exists():
            return set()
        return {p.name for p in self.root.glob("??/*") if not p.name.startswith(".")}
