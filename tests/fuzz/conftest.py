"""The fuzz job is a separate, long run (``scripts/fuzz.sh [minutes]``): not collected by ``make test``.

Collected only with ``FREIGABE_FUZZ=1``.  ``FREIGABE_FUZZ_SECONDS`` is the time budget of EACH fuzz test
(default 30 s); each test keeps drawing new hypothesis runs (new seeds) until its budget is spent.
"""
from __future__ import annotations

import os


def pytest_ignore_collect(collection_path, config):
    if os.environ.get("FREIGABE_FUZZ") != "1" and collection_path.name.startswith("test_"):
        return True
    return None
