"""Packaging (Frictionless data packages, DCAT-AP.de metadata) and publication targets.

Imports neither ``publisher`` nor ``disclosure_rules``.

* :mod:`catalog.releasetable` — the one owner of the release-table file format (writer, reader, revision
  column, DIN 55301 symbols).
* :mod:`catalog.datapackage` — :func:`build_package` (table + code list + :class:`PackageMetadata` →
  :class:`DataPackage` with deterministic bytes, validated by frictionless), :func:`validate_package`.
* :mod:`catalog.excel` — :func:`to_excel_csv` (``;``, decimal comma, BOM, formula neutralisation).
* :mod:`catalog.targets` — the publication seam: the ``Target`` protocol, ``Release``, ``ReleaseRef``.
* :mod:`catalog.download_area`, :mod:`catalog.ckan_target` — the targets (download area; CKAN with history,
  via :mod:`catalog.ckan` and :mod:`catalog.ckan_release`), imported explicitly so that using the rest does
  not load ckanapi.
* :mod:`catalog.licences`, :mod:`catalog.dcat` — licences (dcat-ap.de URIs, portal lookup), DCAT vocabulary
  and the release's DCAT-AP.de record.
* :mod:`catalog.storage` — download-area storage (:class:`LocalStorage`).
* :mod:`catalog.errors` — typed errors with stable codes and German/English messages.
"""

from .datapackage import (
    Contact,
    DataPackage,
    PackageMetadata,
    Source,
    ValidationReport,
    build_package,
    validate_package,
)
from .errors import CatalogError, CkanError, MetadataError, PackageInvalid, StorageError
from .excel import to_excel_csv
from .storage import LocalStorage

__all__ = [
    "CatalogError",
    "CkanError",
    "Contact",
    "DataPackage",
    "LocalStorage",
    "MetadataError",
    "PackageInvalid",
    "PackageMetadata",
    "Source",
    "StorageError",
    "ValidationReport",
    "build_package",
    "to_excel_csv",
    "validate_package",
]
