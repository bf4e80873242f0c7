"""Validation of a data package's exact bytes with frictionless: a typed :class:`ValidationReport`."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping


@dataclass(frozen=True)
class ValidationProblem:
    """One problem found by frictionless (typed, JSON-able)."""

    type: str
    message: str
    resource: str | None = None
    row: int | None = None
    field: str | None = None
    cell: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "type": self.type,
            "message": self.message,
            "resource": self.resource,
            "row": self.row,
            "field": self.field,
            "cell": self.cell,
        }


@dataclass(frozen=True)
class ValidationReport:
    name: str
    valid: bool
    errors: tuple[ValidationProblem, ...]
    stats: Mapping[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "valid": self.valid,
            "errors": [e.to_dict() for e in self.errors],
            "stats": dict(self.stats),
        }


def validate_package(pkg: Any, name: str | None = None) -> ValidationReport:
    """Validate exactly these bytes with frictionless (schema, types, keys, foreign keys, hashes)."""
    import frictionless

    files = getattr(pkg, "files", pkg)
    name = name or getattr(pkg, "name", "?")
    errors: list[ValidationProblem] = []
    with tempfile.TemporaryDirectory(prefix="freigabe-dp-") as tmp:
        for path, data in files.items():
            target = Path(tmp) / path
            if not target.resolve().is_relative_to(Path(tmp).resolve()):
                errors.append(ValidationProblem("path-error", f"unsafe path {path!r}"))
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(data)
        if errors:
            return ValidationReport(name, False, tuple(errors), {})
        try:
            package = frictionless.Package(str(Path(tmp) / "datapackage.json"), basepath=tmp)
            report = package.validate()
        except frictionless.FrictionlessException as exc:
            err = exc.error
            return ValidationReport(name, False, (ValidationProblem(err.type, err.message),), {})
        except (ValueError, TypeError, KeyError, OSError) as exc:  # malformed descriptor and the like
            return ValidationReport(name, False, (ValidationProblem("package-error", str(exc)),), {})
        for err in report.errors:
            errors.append(ValidationProblem(err.type, err.message))
        for task in report.tasks:
            for err in task.errors:
                errors.append(
                    ValidationProblem(
                        err.type,
                        err.message,
                        resource=task.name,
                        row=getattr(err, "row_number", None),
                        field=getattr(err, "field_name", None),
                        cell=getattr(err, "cell", None),
                    )
                )
        stats = {"tasks": len(report.tasks), "rows": sum(int(t.stats.get("rows") or 0) for t in report.tasks)}
    return ValidationReport(name, report.valid and not errors, tuple(errors), stats)
