"""German numbers: '1.234' → 1234, '3,5' → 3.5, DIN 55301 symbols ('-' a true zero, '.'/'x' unknown)."""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

ZERO_SYMBOLS = {"-", "–", "—"}  # DIN 55301: "nichts vorhanden" (a true zero)
UNKNOWN_SYMBOLS = {".", "x", "X", "/", "…", "...", "?"}  # secret / unknown / not applicable

_GERMAN_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(\.\d{3})+(,\d+)?$")
_GERMAN_DECIMAL = re.compile(r"^[-+]?\d+(,\d+)?$")
_PLAIN = re.compile(r"^[-+]?\d+(\.\d+)?([eE][-+]?\d+)?$")


def parse_german_number(text: str) -> int | float | None:
    """'1.234' → 1234, '3,5' → 3.5, '-' → 0, '.'/'x' → None; ValueError when it is not a number."""
    values, problems = parse_number_column(pd.Series([text], dtype=object))
    if problems.iloc[0] == "symbol_unknown" or problems.iloc[0] == "empty":
        return None
    if problems.iloc[0]:
        raise ValueError(f"not a number: {text!r}")
    v = values[0]
    return int(v) if float(v).is_integer() else float(v)


def parse_number_column(series: pd.Series) -> tuple[np.ndarray, pd.Series]:
    """Vectorised: (float values with NaN where no number, problem per row: '' | 'empty' | 'symbol_unknown'
    | 'not_a_number').  True-zero symbols parse as 0.  The string work is done once per distinct value."""
    codes, uniques = pd.factorize(series, use_na_sentinel=True)
    u_vals, u_prob = _parse_unique_numbers(pd.Series(np.asarray(uniques, dtype=object), dtype=object))
    u_vals = np.append(u_vals, np.nan)  # index -1 (missing) -> NaN / 'empty'
    u_prob = np.append(u_prob.to_numpy(dtype=object), "empty")
    return u_vals[codes], pd.Series(u_prob[codes], index=series.index, dtype=object)


def _parse_unique_numbers(series: pd.Series) -> tuple[np.ndarray, pd.Series]:
    s = series.astype(str).str.replace("\u00a0", "", regex=False).str.replace(" ", "", regex=False).str.strip()
    s = s.where(series.notna(), "")
    problem = pd.Series("", index=series.index, dtype=object)
    empty = s == ""
    zero = s.isin(ZERO_SYMBOLS)
    unknown = s.isin(UNKNOWN_SYMBOLS)
    thousands = s.str.match(_GERMAN_THOUSANDS).fillna(False).astype(bool)
    decimal = ~thousands & s.str.match(_GERMAN_DECIMAL).fillna(False).astype(bool)
    plain = ~thousands & ~decimal & s.str.match(_PLAIN).fillna(False).astype(bool)
    conv = pd.Series(np.nan, index=series.index)
    if thousands.any():
        conv[thousands] = pd.to_numeric(s[thousands].str.replace(".", "", regex=False)
                                        .str.replace(",", ".", regex=False), errors="coerce")
    if decimal.any():
        conv[decimal] = pd.to_numeric(s[decimal].str.replace(",", ".", regex=False), errors="coerce")
    if plain.any():
        conv[plain] = pd.to_numeric(s[plain], errors="coerce")
    conv[zero] = 0.0
    problem[empty] = "empty"
    problem[unknown] = "symbol_unknown"
    bad = ~(empty | unknown | zero | thousands | decimal | plain) | (
        (thousands | decimal | plain) & conv.isna())
    problem[bad] = "not_a_number"
    return conv.to_numpy(dtype=float), problem
