"""The time series of a series (issue 17 item 4): every published period's values as released, one file.

Built only from what was published to everyone: the download area's files of the series' **public**,
live (not withdrawn) releases, each read back and compared with the sha256 its publish job recorded (so the
values are exactly those of the approved and released version).  A restricted release never contributes a
row, a period or a count, and a series without a public release answers 404 like one that does not exist
(issue 14: nothing about restricted releases leaks).  Per period the newest live public version counts (a
correction replaces the values it corrected; its column ``revision`` marks the changed cells).

The file format (CSV and ``.xlsx``) is :func:`catalog.releasetable.time_series` and :mod:`catalog.xlsx`.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from publisher.models import Series, Submission
from publisher.services.errors import not_found

XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Period:
    period: str
    version: str
    data: bytes  # the published data CSV (German form)
    descriptor: dict


def public_periods(c, series_id: int) -> tuple[Series, list[Period]]:
    """The public, live releases of a series, newest version per period, oldest period first."""
    from catalog import LocalStorage
    from catalog.storage import _version_sort_key, version_key
    from catalog.targets import file_names
    from publisher.services.downloads import _releases

    series = c.session.get(Series, series_id)
    if series is None:
        raise not_found("Reihe", series_id)
    store = LocalStorage(c.settings["DOWNLOAD_DIR"])
    newest: dict[str, tuple] = {}
    for rel in _releases(c):
        if rel.audience != "public" or rel.withdrawn:
            continue
        sub = c.session.get(Submission, rel.submission_id)
        if sub is None or sub.series_id != series_id:
            continue
        names = file_names(rel.series, rel.version)
        try:
            data = store.get(version_key(rel.topic, rel.series, rel.version, names["daten"]))
            desc = store.get(version_key(rel.topic, rel.series, rel.version, names["datapackage"]))
        except Exception:  # noqa: BLE001 - a file missing in the area: that version is not offered
            continue
        if (hashlib.sha256(data).hexdigest() != rel.files.get(names["daten"])
                or hashlib.sha256(desc).hexdigest() != rel.files.get(names["datapackage"])):
            continue  # only exactly the published bytes
        descriptor = json.loads(desc)
        period = str((descriptor.get("dcat") or {}).get("period") or (sub.current_version.meta or {}).get(
            "reference_period") or "")
        key = _version_sort_key(rel.version)
        if period not in newest or key > newest[period][0]:
            newest[period] = (key, Period(period, rel.version, data, descriptor))
    if not newest:
        raise not_found("Reihe", series_id)
    return series, [newest[p][1] for p in sorted(newest)]


def csv_file(c, series_id: int) -> tuple[bytes, str]:
    from catalog.releasetable import write_time_series

    series, periods = public_periods(c, series_id)
    return write_time_series((p.period, p.version, p.data) for p in periods), f"{series.slug}-zeitreihe.csv"


def xlsx_file(c, series_id: int) -> tuple[bytes, str]:
    from catalog.releasetable import published_titles, time_series
    from catalog.xlsx import XlsxNotes, XlsxSheet, build_workbook, dimension_titles, release_notes

    series, periods = public_periods(c, series_id)
    header, rows = time_series((p.period, p.version, p.data) for p in periods)
    titles = published_titles(header, dimension_titles(periods[-1].descriptor))
    count = titles[header.index("anzahl")]
    sheet = XlsxSheet("Zeitreihe", titles, rows, frozenset({count}))
    latest = dict(release_notes(periods[-1].descriptor).lines)
    keep = ("Zeichen „.“", "Zeichen „-“", "Kennzeichen „r“", "Quelle", "Herausgeber", "Kontakt", "Lizenz")
    lines = [("Titel", f"{series.title} – Zeitreihe"),
             ("Zeiträume", ", ".join(f"{p.period} (Version {p.version})" for p in periods)),
             ("Werte", "Je Zeitraum die Werte der neuesten veröffentlichten Version, genau wie freigegeben und "
                       "veröffentlicht."),
             ("Stand", latest.get("Veröffentlicht am", ""))]
    lines += [(f"Geheimhaltung {p.period}", str((p.descriptor.get("publicStatement") or {}).get("de") or ""))
              for p in periods]
    lines += [(k, latest[k]) for k in keep if latest.get(k)]
    data = build_workbook([sheet], XlsxNotes(f"{series.title} – Zeitreihe", lines))
    return data, f"{series.slug}-zeitreihe.xlsx"
