"""Freigabe's disclosure-control engine.

Pure computation on pandas/numpy: no Flask, no database, no network.  See docs/rules.md and the contract
in docs/architecture.md.
"""
from .assess import Assessment, aggregate, assess
from .findings import CATALOGUE, Finding, InputError, Severity
from .hierarchy import TOTAL_CODE, TOTAL_LEVEL, Hierarchy, load_hierarchy
from .readers import RawTable, parse_german_number, parse_number_column, read_table_file
from .report import LevelResult, Report
from .rules import CellsParams, DominanceParams, RuleSet, load_rules, load_rules_text
from .table import PreparedTable, prepare_table

__all__ = [
    "Assessment", "CATALOGUE", "CellsParams", "DominanceParams", "Finding", "Hierarchy", "InputError",
    "LevelResult", "PreparedTable", "RawTable", "Report", "RuleSet", "Severity", "TOTAL_CODE", "TOTAL_LEVEL",
    "aggregate", "assess", "load_hierarchy", "load_rules", "load_rules_text", "parse_german_number",
    "parse_number_column", "prepare_table", "read_table_file",
]
