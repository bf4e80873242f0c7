"""The ONE list of downloads on a release page (issue 17 item 3): label, link, format, size and one sentence
on what each file is for ("für Excel: …", "maschinenlesbar: …"), rendered by ``templates/release.html``.

Two ways to add an entry (nothing else in the page needs to change):

* **a file stored with the release** (written by the worker into the download area, e.g. an ``.xlsx``):
  add ONE :class:`FileKind` line to :data:`FILE_KINDS` - it matches the file by its role in
  :func:`catalog.targets.file_names` or by the end of its name; a stored file no kind matches is still
  listed (as "Weitere Datei"), so nothing published is ever hidden;
* **a download drawn on request** (a GeoJSON of the table joined to the boundaries, the map as SVG/PNG, a
  time series of the series): in your own module, decorate a function ``(c, rel, version) -> iterable of
  Download`` with :func:`provider`; the module must be imported when the app starts (a views module is).

Texts are German message ids (``N_``), translated here; ``size`` is in bytes (None: not known in advance,
e.g. drawn on request).  Entries are shown in ``order`` (ties: as added).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterable

from publisher.i18n import N_


@dataclass(frozen=True)
class Download:
    label: str         # shown as the link text (translated)
    href: str
    format: str        # short format name: "CSV", "XLSX", "JSON", "ZIP", "GeoJSON", "SVG", ...
    purpose: str       # ONE sentence: what the file is for (translated)
    size: int | None = None  # bytes
    name: str = ""     # file name (shown small; the saved file's name)
    sha256: str = ""   # of a stored file (shown abbreviated)
    order: int = 50


@dataclass(frozen=True)
class FileKind:
    """How a stored file of a release is shown: matched by ``role`` (catalog.targets.file_names) or ``suffix``."""
    label: str
    format: str
    purpose: str
    order: int
    role: str = ""
    suffix: str = ""

    def matches(self, name: str, roles: dict[str, str]) -> bool:
        if self.role and roles.get(self.role) == name:
            return True
        return bool(self.suffix) and name.endswith(self.suffix)


# files stored with every release, in the order shown; add ONE line per new kind of file
FILE_KINDS: list[FileKind] = [
    FileKind(N_("Excel-Arbeitsmappe (XLSX)"), "XLSX",
             N_("Für Excel und LibreOffice: die Tabelle mit deutschen Spaltennamen und Gebietsnamen, dazu ein "
                "Blatt „Hinweise“ mit Quelle, Lizenz und Geheimhaltung."),
             order=10, role="xlsx", suffix=".xlsx"),
    FileKind(N_("Tabelle für Excel (CSV)"), "CSV",
             N_("Für Excel als CSV: Semikolon als Trennzeichen und Dezimalkomma, öffnet sich mit einem Doppelklick."),
             order=20, role="excel"),
    FileKind(N_("Tabelle (CSV)"), "CSV",
             N_("Maschinenlesbar: UTF-8 mit Komma als Trennzeichen, für Statistikprogramme, Skripte und Datenportale."),
             order=30, role="daten"),
    FileKind(N_("Gebietsliste (CSV)"), "CSV",
             N_("Die Gebietsschlüssel der Tabelle mit ihren Namen, zum Zuordnen der Codes zu Gebieten."),
             order=40, role="gebiete"),
    FileKind(N_("Beschreibung des Datenpakets (JSON)"), "JSON",
             N_("Maschinenlesbar: Spalten, Lizenz und Quelle nach dem Standard Frictionless Data Package."),
             order=80, role="datapackage"),
    FileKind(N_("Metadaten nach DCAT-AP.de (Turtle)"), "TTL",
             N_("Maschinenlesbar: die Beschreibung nach DCAT-AP.de, wie Datenportale wie GovData sie einlesen."),
             order=85, suffix="dcat.ttl"),
    FileKind(N_("Alles in einer Datei (ZIP)"), "ZIP",
             N_("Zum Archivieren: Tabelle, Gebietsliste und Beschreibung zusammen in einem ZIP-Archiv."),
             order=90, role="zip", suffix=".zip"),
]
OTHER_FILE = FileKind(N_("Weitere Datei"), "", N_("Eine weitere Datei dieser Veröffentlichung."), order=95)

Provider = Callable[..., Iterable[Download]]
PROVIDERS: list[Provider] = []


def provider(fn: Provider) -> Provider:
    """Register a function ``(c, rel, version) -> iterable of Download`` adding entries drawn on request."""
    if fn not in PROVIDERS:
        PROVIDERS.append(fn)
    return fn


def _size(c, rel, name: str) -> int | None:
    from catalog import LocalStorage
    from catalog.storage import version_key

    try:
        path = LocalStorage(c.settings["DOWNLOAD_DIR"]).path(version_key(rel.topic, rel.series, rel.version, name))
        return path.stat().st_size
    except (OSError, KeyError, ValueError):
        return None


def stored_files(c, rel) -> list[Download]:
    """One entry per file the download area holds for this version (links to the immutable version)."""
    from flask import url_for

    from catalog.targets import file_names
    from publisher.i18n import gettext as _

    roles = file_names(rel.series, rel.version)
    out = []
    for name in sorted(rel.files):
        kind = next((k for k in FILE_KINDS if k.matches(name, roles)), OTHER_FILE)
        fmt = kind.format or (name.rsplit(".", 1)[-1].upper() if "." in name else "")
        out.append(Download(_(kind.label), url_for("downloads.file", topic=rel.topic, series=rel.series,
                                                   version=rel.version, filename=name),
                            fmt, _(kind.purpose), _size(c, rel, name), name, rel.files[name], kind.order))
    return out


def release_downloads(c, rel, version) -> list[Download]:
    """Every download of a release page, in the order shown (stored files first, then drawn ones)."""
    if rel.withdrawn:
        return []
    entries = stored_files(c, rel)
    for fn in PROVIDERS:
        entries.extend(fn(c, rel, version) or ())
    return sorted(entries, key=lambda d: d.order)  # stable: ties keep the order added


def size_text(size: int | None) -> str:
    """A file size for people: "812 Bytes", "4,2 kB", "1,3 MB" (decimal units, German number format)."""
    from publisher.i18n import format_number, ngettext

    if size is None:
        return ""
    if size < 1000:
        return ngettext("{n} Byte", "{n} Bytes", size, n=format_number(size))
    for unit, factor in (("kB", 1000), ("MB", 1000 ** 2), ("GB", 1000 ** 3)):
        if size < factor * 1000 or unit == "GB":
            value = round(size / factor, 1)
            return f"{format_number(value)} {unit}"
    return ""
