"""Cross-release checks - kept importable under this name; the implementation is the package
:mod:`disclosure_rules.xrel` (union audit, categories, temporal and shifted-pattern checks)."""
from __future__ import annotations

from .xrel import *  # noqa: F401,F403
from .xrel import __all__  # noqa: F401
