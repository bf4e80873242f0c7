"""Dependencies point one way: publisher -> (disclosure_rules, catalog).

Fails when disclosure_rules or catalog import publisher, when they import each
other, or when disclosure_rules imports Flask, SQLAlchemy or an HTTP client.
Imports are read from the source (ast), including function-local imports.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

FORBIDDEN = {
    "disclosure_rules": {
        "publisher", "catalog", "flask", "flask_babel", "flask_wtf", "werkzeug", "sqlalchemy", "alembic",
        "psycopg", "psycopg2", "sqlite3", "requests", "httpx", "urllib3", "aiohttp", "ckanapi", "http",
        "urllib.request", "socket",
    },
    "catalog": {"publisher", "disclosure_rules", "flask", "sqlalchemy"},
}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
    return found


def violations(package: str, forbidden: set[str], root: Path = ROOT) -> list[str]:
    out = []
    for path in sorted((root / package).rglob("*.py")):
        for lineno, mod in imported_modules(path):
            for bad in forbidden:
                if mod == bad or mod.startswith(bad + "."):
                    out.append(f"{path.relative_to(root)}:{lineno} imports {mod}")
    return out


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_imports_point_one_way(package):
    assert violations(package, FORBIDDEN[package]) == []


def test_checker_catches_a_violation(tmp_path):
    pkg = tmp_path / "disclosure_rules"
    pkg.mkdir()
    (pkg / "bad.py").write_text("def f():\n    from publisher import create_app\n    import flask\n")
    found = violations("disclosure_rules", FORBIDDEN["disclosure_rules"], root=tmp_path)
    assert len(found) == 2, found


MAX_MODULE_LINES = 600  # the developers' guide: no module over 600 lines


def oversized(root: Path = ROOT) -> list[str]:
    out = []
    for package in ("publisher", "disclosure_rules", "catalog"):
        for path in sorted((root / package).rglob("*.py")):
            if "migrations" in path.parts:
                continue  # generated schema history
            n = len(path.read_text(encoding="utf-8").splitlines())
            if n > MAX_MODULE_LINES:
                out.append(f"{path.relative_to(root)}: {n} lines")
    return out


def test_no_module_over_600_lines():
    assert oversized() == []


def test_size_checker_catches_a_long_module(tmp_path):
    (tmp_path / "catalog").mkdir()
    (tmp_path / "catalog" / "long.py").write_text("x = 1\n" * (MAX_MODULE_LINES + 1))
    assert oversized(tmp_path) == [f"catalog/long.py: {MAX_MODULE_LINES + 1} lines"]
