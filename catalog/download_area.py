"""The restricted download area as a publication target (files in :class:`catalog.storage.LocalStorage`).

Layout: ``<topic>/<series>/<version>/<file>`` (immutable) and ``<topic>/<series>/latest.json``.  A version
folder holds every file of :func:`catalog.targets.release_files` side by side, so its ``datapackage.json``
resolves there (relative paths), plus ``dcat.ttl``, the release's DCAT-AP.de record (public or restricted).

Who may download what is decided by Freigabe (``publisher.services.downloads``: audience, groups, the
submission's state), so :meth:`DownloadAreaTarget.withdraw` changes no file: a withdrawn version is no
longer served and never becomes "latest" again (the pointer moves to the newest version still published).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .storage import LocalStorage
from .targets import MetadataProblem, Release, ReleaseRef, package_problems, release_files


class DownloadAreaTarget:
    key = "download"
    label = {"name": "Download-Bereich", "link": "Diese Version im Download-Bereich"}
    public_only = False

    def __init__(self, root: str, base_url: str | None = None):
        self.store = LocalStorage(root, base_url)

    def publish(self, release: Release) -> dict[str, Any]:
        from .dcat import release_turtle
        from .storage import version_key

        pkg = release.package
        files = release_files(pkg)
        urls = {n: (self.store.url(version_key(release.topic, pkg.name, pkg.version, n)) if self.store.base_url
                    else None) for n in files}
        files["dcat.ttl"] = release_turtle(pkg, urls, files)
        hashes = self.store.put_release(release.topic, pkg.name, pkg.version, files)
        return {"topic": release.topic, "series": pkg.name, "version": pkg.version, "files": hashes,
                "digest": pkg.digest(), "audience": release.audience, "groups": list(release.groups)}

    def withdraw(self, ref: ReleaseRef) -> dict[str, Any]:
        return {"withdrawn": True, "version": ref.version}  # access is checked against the submission state

    def location(self, result: Mapping[str, Any]) -> str | None:
        return None  # served by Freigabe's own download pages (they know the audience)

    def check_metadata(self, meta) -> list[MetadataProblem]:
        return package_problems(meta)  # the area stores the validated package as it is
