"""Writing the releasable table with DIN 55301 symbols.

``.`` = "Zahlenwert unbekannt oder geheimzuhalten" (suppressed), true zeros as ``0`` or ``-`` ("nichts
vorhanden", the office chooses), optionally a machine-readable ``status`` column.
"""
from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd

SECRET = "."
NOTHING = "-"


def count_strings(releasable: pd.DataFrame, zero_symbol: str = "0") -> np.ndarray:
    counts = releasable["count"]
    status = releasable["status"].astype(str).to_numpy() if "status" in releasable else None
    out = counts.astype("string").fillna(SECRET).to_numpy(dtype=object)
    if status is not None:
        out[np.isin(status, ["primary", "secondary"])] = SECRET
    if zero_symbol != "0":
        out[(counts.fillna(-1).to_numpy() == 0) & (out != SECRET)] = zero_symbol
    return out


def releasable_csv_bytes(releasable: pd.DataFrame, zero_symbol: str = "0", with_status: bool = False) -> bytes:
    """UTF-8 CSV with ``,``: level, area, dimensions…, count (symbols), [status]."""
    cols = [c for c in releasable.columns if c not in ("count", "status")]
    frame = pd.DataFrame({c: releasable[c].astype(str).to_numpy() for c in cols})
    frame["count"] = count_strings(releasable, zero_symbol)
    if with_status and "status" in releasable:
        frame["status"] = releasable["status"].astype(str).to_numpy()
    buf = io.StringIO()
    frame.to_csv(buf, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    return buf.getvalue().encode("utf-8")


def write_releasable_csv(releasable: pd.DataFrame, path, zero_symbol: str = "0", with_status: bool = False) -> None:
    with open(path, "wb") as fh:
        fh.write(releasable_csv_bytes(releasable, zero_symbol, with_status))


def magnitude_csv_bytes(releasable: pd.DataFrame, value_column: str, with_status: bool = False) -> bytes:
    """UTF-8 CSV with ``,`` of a magnitude table: level, area, dimensions…, value (``.`` where suppressed)."""
    cols = [c for c in releasable.columns if c not in (value_column, "status")]
    frame = pd.DataFrame({c: releasable[c].astype(str).to_numpy() for c in cols})
    v = releasable[value_column]
    text = [SECRET if pd.isna(x) else (f"{int(x)}" if float(x).is_integer() else repr(float(x)))
            for x in v.to_numpy(dtype=object)]
    frame[value_column] = text
    if with_status and "status" in releasable:
        frame["status"] = releasable["status"].astype(str).to_numpy()
    buf = io.StringIO()
    frame.to_csv(buf, index=False, lineterminator="\n", quoting=csv.QUOTE_MINIMAL)
    return buf.getvalue().encode("utf-8")
