"""The download area as one account sees it over WebDAV (issue 15 item 5): folders, files, sign-in.

Read side only; the single writer of download records stays :func:`publisher.services.downloads.open_file`
(every file a WebDAV client reads goes through it, so it gets the same download record and ``download.file``
audit row as a download on the web, and a refused one the same ``download.refused`` row).

Tree (paths below the mount point, e.g. ``/dav/``)::

    <topic>/<series>/<version>/<file>     every version the account may see that is not withdrawn
    <topic>/<series>/latest/<file>        the newest such version (as ``/downloads/.../latest/...``)

Visibility is :func:`publisher.services.downloads.may_see`, the web's rule: public releases and the
restricted releases of the account's groups (approvers and admins see all).  Withdrawn versions are left out
entirely, and so is a series or topic with nothing left to show, so a folder of another group is never listed
and answers 404 like a path that never existed.

Sign-in (:func:`authenticate`): HTTP Basic with the account's user name and one of its API tokens (an "app
password", ``freigabe token create NAME --label webdav``).  The account's own password is never accepted here:
a mapped drive keeps its credentials in the Windows credential store and sends them with every request, and a
token can be revoked for one device without touching the sign-in of the web UI.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from publisher.services import downloads
from publisher.services.errors import TOKEN_INVALID, AuthenticationFailed

LATEST = "latest"


@dataclass(frozen=True)
class DavFile:
    topic: str
    series: str
    requested: str  # the folder name: a version or "latest"
    version: str  # the resolved version
    filename: str
    sha256: str
    size: int
    modified: dt.datetime | None


@dataclass
class DavFolder:
    name: str
    folders: dict[str, "DavFolder"] = field(default_factory=dict)
    files: dict[str, DavFile] = field(default_factory=dict)
    modified: dt.datetime | None = None

    def names(self) -> list[str]:
        return sorted(self.folders) + sorted(self.files)


def authenticate(c, username: str, secret: str):
    """The active account ``username`` if ``secret`` is one of its valid API tokens (else 401, never says why)."""
    from publisher.services import accounts

    user = accounts.user_for_token(c, (secret or "").strip())
    if user.username.casefold() != (username or "").strip().casefold():
        raise AuthenticationFailed(TOKEN_INVALID)
    return user


def _size(c, topic: str, series: str, version: str, filename: str) -> int | None:
    from catalog import LocalStorage
    from catalog.errors import StorageError
    from catalog.storage import version_key

    try:
        key = version_key(topic, series, version, filename)
        return LocalStorage(c.settings["DOWNLOAD_DIR"]).path(key).stat().st_size
    except (OSError, StorageError):  # missing file, or a key outside the store's alphabet
        return None


def _later(a: dt.datetime | None, b: dt.datetime | None) -> dt.datetime | None:
    return max((x for x in (a, b) if x is not None), default=None)


def tree(c, actor) -> DavFolder:
    """Everything ``actor`` may read over WebDAV (see the module text); files missing in the store are left out."""
    root = DavFolder("")
    for topic, series_list in downloads.list_series(c, actor).items():
        for sv in series_list:
            live = [r for r in sv.versions if not r.withdrawn]
            if not live:
                continue
            folder = DavFolder(sv.series)
            for rel in live:
                _add_version(c, folder, rel, rel.version)
                if rel.version == sv.latest:
                    _add_version(c, folder, rel, LATEST)
            if folder.folders:
                t = root.folders.setdefault(topic, DavFolder(topic))
                t.folders[sv.series] = folder
                folder.modified = max((f.modified for f in folder.folders.values() if f.modified), default=None)
                t.modified = _later(t.modified, folder.modified)
                root.modified = _later(root.modified, t.modified)
    return root


def _add_version(c, series_folder: DavFolder, rel, name: str) -> None:
    vf = DavFolder(name, modified=rel.published_at)
    for filename, sha in sorted(rel.files.items()):
        size = _size(c, rel.topic, rel.series, rel.version, filename)
        if size is not None:
            vf.files[filename] = DavFile(rel.topic, rel.series, name, rel.version, filename, sha, size,
                                         rel.published_at)
    if vf.files:
        series_folder.folders[name] = vf


def lookup(root: DavFolder, parts: list[str]) -> DavFolder | DavFile | None:
    node: DavFolder | DavFile | None = root
    for i, part in enumerate(parts):
        if not isinstance(node, DavFolder):
            return None
        if part in node.folders:
            node = node.folders[part]
        elif part in node.files and i == len(parts) - 1:
            node = node.files[part]
        else:
            return None
    return node


def read(c, actor, topic: str, series: str, requested: str, filename: str) -> tuple[bytes, DavFile]:
    """The bytes of one file through :func:`downloads.open_file`: permission check, download record and audit
    exactly as on the web.  Raises the same typed errors (403/404/410); the caller answers all of them 404."""
    data, _media, rel = downloads.open_file(c, actor, topic, series, requested, filename)
    return data, DavFile(topic, series, requested, rel.version, filename, rel.files[filename], len(data),
                         rel.published_at)


def media_type(filename: str) -> str:
    ext = "." + filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    return downloads.MEDIA_TYPES.get(ext, "application/octet-stream")
