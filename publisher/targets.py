"""The registry of publication targets: built from the settings, the ONE place that names targets.

The worker, the review service (which jobs an approval queues), the downloads service and the views ask
the registry; none of them names a target.  A target implements :class:`catalog.targets.Target` (publish a
release, withdraw a version, report where it lives).  To add one (WebDAV, S3...), see "Add a target" in
docs/architecture.md: implement the protocol in ``catalog/``, build it here from its settings.

* ``download`` — the restricted download area (:class:`catalog.download_area.DownloadAreaTarget`), always on;
* ``ckan`` — the open-data portal (:class:`catalog.ckan_target.CkanTarget`), on when ``FREIGABE_CKAN_URL``,
  ``_TOKEN`` and ``_ORG`` are set; public releases only.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from catalog.errors import TARGET_UNKNOWN, TargetUnknown
from catalog.targets import Target
from publisher.i18n import N_

#: the targets' labels (catalog.*.label), so that `make messages` extracts them
LABEL_IDS = (N_("Download-Bereich"), N_("Diese Version im Download-Bereich"), N_("Datenportal"),
             N_("Dieser Datensatz im Open-Data-Portal"))

#: the download area's key: the downloads service reads its jobs' results to serve files
DOWNLOAD_AREA = "download"
PORTAL = "ckan"


def _download(settings: Mapping[str, Any]) -> Target:
    from catalog.download_area import DownloadAreaTarget

    public = (settings.get("PUBLIC_URL") or "").rstrip("/")
    return DownloadAreaTarget(settings["DOWNLOAD_DIR"], f"{public}/downloads" if public else None)


def _ckan(settings: Mapping[str, Any]) -> Target | None:
    from catalog.ckan import CkanSettings
    from catalog.ckan_target import CkanTarget

    cfg = CkanSettings.from_mapping({
        "FREIGABE_CKAN_URL": settings.get("CKAN_URL") or "",
        "FREIGABE_CKAN_TOKEN": settings.get("CKAN_TOKEN") or "",
        "FREIGABE_CKAN_ORG": settings.get("CKAN_ORG") or "",
        "FREIGABE_CKAN_TIMEOUT": str(settings.get("CKAN_TIMEOUT") or ""),
        "FREIGABE_CKAN_LICENSE_MAP": settings.get("CKAN_LICENSE_MAP") or "",
    })
    return CkanTarget(cfg) if cfg else None


#: key -> builder (None when the target is not configured); order = order of the jobs an approval queues
BUILDERS = {DOWNLOAD_AREA: _download, PORTAL: _ckan}


@dataclass(frozen=True)
class Registry:
    targets: Mapping[str, Target]

    def keys(self) -> list[str]:
        return list(self.targets)

    def get(self, key: str) -> Target:
        try:
            return self.targets[key]
        except KeyError:
            raise TargetUnknown(TARGET_UNKNOWN, target=key, known=", ".join(self.targets) or "-") from None

    def for_audience(self, audience: str) -> list[str]:
        """Targets an approved release of this audience is published to (restricted: never a public one)."""
        return [k for k, t in self.targets.items() if not (audience == "restricted" and t.public_only)]

    def locations(self, results: Mapping[str, Mapping[str, Any]]) -> list[tuple[str, Mapping[str, str], str]]:
        """(key, label, URL) of where a version lives, from its done publish jobs' results (key → result)."""
        out = []
        for key, result in results.items():
            target = self.targets.get(key)
            url = target.location(result or {}) if target is not None else None
            if url:
                out.append((key, target.label, url))
        return out


def label_of(key: str) -> str:
    """The German message id of a target's name (from its class, without building it); the key if unknown."""
    from catalog.ckan_target import CkanTarget
    from catalog.download_area import DownloadAreaTarget

    classes = {DOWNLOAD_AREA: DownloadAreaTarget, PORTAL: CkanTarget}
    return classes[key].label["name"] if key in classes else key


def registry(settings: Mapping[str, Any]) -> Registry:
    built = {}
    for key, build in BUILDERS.items():
        target = build(settings)
        if target is not None:
            built[key] = target
    return Registry(built)
