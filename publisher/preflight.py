"""What the targets of a release would refuse, checked at upload (issue 14 item 10).

The release metadata is built exactly as the worker will build it (:func:`publisher.publication.
package_metadata` from the submission's metadata and the settings; only the version, date and statement are
placeholders) and handed to :meth:`catalog.targets.Target.check_metadata` of every target the registry would
publish this audience to.  Each refusal becomes a typed finding naming the submission's field (``contact``,
``title``...), so a release that a target would refuse (e.g. a contact without an e-mail address, or an
e-mail address the portal's validator rejects) is refused at upload, not after approval.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from disclosure_rules.findings import Finding

#: PackageMetadata field -> the submission's metadata field (or the setting) a person fixes
FIELDS = {"contact.email": "contact", "contact.name": "contact", "title": "title", "description": "description",
          "temporal_start": "reference_period", "temporal_end": "reference_period", "frequency": "frequency",
          "themes": "themes", "license": "licence", "publisher.email": "FREIGABE_PUBLISHER_EMAIL",
          "publisher.name": "FREIGABE_PUBLISHER_NAME", "geocoding_uri": "FREIGABE_GEOCODING_URI",
          "landing_page": "FREIGABE_PUBLIC_URL"}


def settings_info(settings: Mapping[str, Any]) -> dict[str, Any]:
    """The :class:`publisher.publication.ReleaseInfo` fields that come from the settings (shared with the
    worker, so the check at upload sees what the worker will see)."""
    return {
        "publisher_name": settings.get("PUBLISHER_NAME") or "Statistikstelle",
        "publisher_email": settings.get("PUBLISHER_EMAIL") or None,
        "geocoding_uri": settings.get("GEOCODING_URI") or "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/00000000",
        "topic": settings.get("DOWNLOAD_TOPIC") or "statistik",
        "contributor_id": settings.get("CONTRIBUTOR_ID") or None,
        "default_themes": tuple(t.strip().upper() for t in str(settings.get("DEFAULT_THEMES") or "SOCI").split(",")
                                if t.strip()),
    }


def problems(c, meta: Mapping[str, Any], series_slug: str = "vorpruefung") -> list[Finding]:
    """Findings (``publisher.invalid_field``) for every field a target of this release would refuse."""
    from publisher.publication import PublicationRefused, ReleaseInfo, package_metadata
    from publisher.services import errors as E
    from publisher.targets import registry

    info = ReleaseInfo(series_slug=series_slug, series_title=str(meta.get("title") or ""), meta=dict(meta),
                       public_statement={"de": "Vorprüfung"}, approved_at=dt.datetime.now(dt.timezone.utc),
                       version="1.0.0", hierarchy_rows=[], **settings_info(c.settings))
    try:
        pm = package_metadata(info)
    except PublicationRefused:  # an unknown licence: refused by the licence check of intake already
        return []
    reg = registry(c.settings)
    out: list[Finding] = []
    seen: set[tuple[str, str]] = set()
    for key in reg.for_audience(str(meta.get("audience") or "public")):
        target = reg.get(key)
        check = getattr(target, "check_metadata", None)
        for p in (check(pm) if check is not None else []):
            field = FIELDS.get(p.field)
            if field is None or (field, p.de) in seen:
                continue  # placeholders (name, version, date) are not the submitter's
            seen.add((field, p.de))
            out.append(E.invalid_field(field, p.de, p.en))
    return out
