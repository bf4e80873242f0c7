"""Packaging (Frictionless data packages, DCAT-AP.de metadata) and publication targets.

Imports neither ``publisher`` nor ``disclosure_rules``.
"""
