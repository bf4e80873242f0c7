"""Freigabe's disclosure-control engine.

Pure computation on pandas/numpy: no Flask, no database, no network.
The public API is re-exported here; see docs/rules.md.
"""
