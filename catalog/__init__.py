"""Packaging (Frictionless data packages, DCAT-AP.de metadata) and publication targets.

Imports neither ``publisher`` nor ``disclosure_rules``.

* :mod:`catalog.datapackage` — :func:`build_package` (table + code list + :class:`PackageMetadata` →
  :class:`DataPackage` with deterministic bytes, validated by frictionless), :func:`validate_package`.
* :mod:`catalog.excel` — :func:`to_excel_csv` (``;``, decimal comma, BOM, formula neutralisation).
* :mod:`catalog.storage` — download-area storage (:class:`LocalStorage`).
* :mod:`catalog.ckan` — CKAN target (``CkanSettings``, ``CkanRelease``, ``CkanTarget``); imported
  explicitly (``from catalog.ckan import ...``) so that using the rest does not load ckanapi.
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
