"""The publication seam: one protocol every target implements (download area, CKAN; later WebDAV, S3).

A target is told to **publish** an approved release (:class:`Release`: the validated data package plus what
the package does not say: audience, groups, download-area topic) and to **withdraw** one published version
(:class:`ReleaseRef`); before any of that, at upload, it **checks the metadata** it will need
(:meth:`Target.check_metadata`: every field it would refuse, as :class:`MetadataProblem` s naming the field,
so that an approved release never fails on its metadata); it **reports where a version lives** (:meth:`Target.location`, from the JSON result
its ``publish`` returned and the worker stored on the job).

Every effect must be idempotent (a re-run after a crash changes nothing) and must raise typed
:class:`~catalog.errors.CatalogError` s (``retryable`` for passing failures).  Targets are built and named in
ONE place, the registry :mod:`publisher.targets` (from the settings); nothing else names a target.

:func:`release_files` is the one list of files a release consists of (data, code list, Excel variant,
descriptor, zip), shared by all targets.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from .datapackage import DataPackage
from .excel import to_excel_csv


@dataclass(frozen=True)
class Release:
    """An approved release as a target receives it (everything checked by the worker before)."""

    package: DataPackage
    audience: str = "public"  # public | restricted
    groups: tuple[str, ...] = ()
    topic: str = "statistik"  # download-area folder

    @property
    def name(self) -> str:
        return self.package.name

    @property
    def version(self) -> str:
        return self.package.version

    @property
    def period(self) -> str:
        return str(self.package.descriptor.get("dcat", {}).get("period") or "")


@dataclass(frozen=True)
class ReleaseRef:
    """One published version, as a withdrawal names it (from the publish job's stored result)."""

    name: str  # series name (package name)
    version: str
    topic: str = "statistik"
    notice: str = ""
    result: Mapping[str, Any] = field(default_factory=dict)  # what publish() returned for it


@dataclass(frozen=True)
class MetadataProblem:
    """A field of the release metadata a target would refuse (``field``: a :class:`catalog.datapackage.
    PackageMetadata` attribute, dotted for nested ones, e.g. ``contact.email``)."""

    field: str
    de: str
    en: str


def package_problems(meta) -> list[MetadataProblem]:
    """What :func:`catalog.datapackage.check_metadata` refuses (every target publishes a data package)."""
    from .datapackage import check_metadata

    out = []
    for err in check_metadata(meta):
        reason = str(err.params.get("reason") or "")
        de, _, en = reason.partition(" / ")
        out.append(MetadataProblem(str(err.params.get("field") or ""), de.strip(), (en or de).strip()))
    return out


@runtime_checkable
class Target(Protocol):
    #: stable key, stored on publication jobs (never rename)
    key: str
    #: shown to people: {"name": ..., "link": ...} as German message ids (Freigabe's catalogue translates
    #: them; publisher/targets.py marks them for extraction)
    label: Mapping[str, str]
    #: True: restricted releases never go here (a public portal)
    public_only: bool

    def publish(self, release: Release) -> dict[str, Any]:
        """Publish (idempotently) and verify; returns a JSON-able result with at least ``version``."""
        ...

    def withdraw(self, ref: ReleaseRef) -> dict[str, Any]:
        """Take exactly this version back (the other versions stay); idempotent."""
        ...

    def location(self, result: Mapping[str, Any]) -> str | None:
        """Where the published version lives (a URL), from its publish result; None if not addressable."""
        ...

    def check_metadata(self, meta) -> list[MetadataProblem]:
        """Every field of the release metadata (a :class:`catalog.datapackage.PackageMetadata` as the release
        would carry it) this target would refuse; called at upload, long before :meth:`publish`."""
        ...


def file_names(name: str, version: str) -> dict[str, str]:
    """role → file name of a release's files (the descriptor's relative paths resolve beside them)."""
    return {
        "datapackage": "datapackage.json",
        "daten": f"{name}.csv",
        "gebiete": f"{name}-gebiete.csv",
        "excel": f"{name}-excel.csv",
        "xlsx": f"{name}-{version}.xlsx",
        "zip": f"{name}-{version}.zip",
    }


def release_files(pkg: DataPackage) -> dict[str, bytes]:
    """file name → bytes of everything a release publishes: the package's own files (descriptor, data,
    code list; same relative layout), the Excel variant of the data (German column titles), the Excel
    workbook (``.xlsx``: data and "Hinweise", checked cell by cell against the data file before it is
    returned) and the whole package as a zip.  Everything is a deterministic function of the package, whose
    data file the worker has compared with the approved artifact."""
    from .releasetable import published_rows, published_titles
    from .xlsx import dimension_titles, release_workbook

    names = file_names(pkg.name, pkg.version)
    files = dict(pkg.files)
    header, _ = published_rows(pkg.data_bytes)
    titles = published_titles(header, dimension_titles(pkg.descriptor))
    files[names["excel"]] = to_excel_csv(pkg.data_bytes, titles=titles)
    files[names["xlsx"]] = release_workbook(pkg.descriptor, pkg.data_bytes)
    files[names["zip"]] = pkg.to_zip()
    return files
