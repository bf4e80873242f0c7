"""Individual requests (Einzelanfragen, issue 18 item 4)."""
from __future__ import annotations


def on_published(c, sub) -> list:
    return []
