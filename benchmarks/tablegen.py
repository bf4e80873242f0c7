"""Generated aggregated tables for the engine benchmark (no real data: everything comes from a seed).

A table is the long form an office submits: ``area`` (Baublock code, 8 digits with leading zeros),
``status`` × ``sex`` × ``age`` × ``month`` and ``count``. The counts are skewed the way block-level
registers are: block sizes are log-normal, the categories have very unequal weights, so most cells are
0, 1 or 2 and a few are large. The hierarchy is baublock → stadtteil → stadtbezirk (→ city total, which
the engine adds itself).

All columns of the table frame are Python strings in ``object`` columns, exactly what
``read_table_file`` hands over (``RawTable.frame``); the string objects are shared per distinct value.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

STATUS = ("aufenthaltserlaubnis", "niederlassungserlaubnis", "gestattung", "duldung")
STATUS_W = (0.55, 0.25, 0.15, 0.05)
SEX = ("m", "w")
SEX_W = (0.52, 0.48)
AGE = ("0-17", "18-29", "30-44", "45-64", "65+")
AGE_W = (0.22, 0.28, 0.27, 0.17, 0.06)
MONTH = tuple(f"2024-{m:02d}" for m in range(1, 13))
MONTH_W = tuple(1 / 12 for _ in MONTH)
DIMENSIONS = ("status", "sex", "age", "month")
CELLS_PER_BLOCK = len(STATUS) * len(SEX) * len(AGE) * len(MONTH)  # 480


@dataclass(frozen=True)
class Generated:
    table: pd.DataFrame  # area, status, sex, age, month, count — all str
    hierarchy: pd.DataFrame  # baublock, stadtteil, stadtbezirk (+ _name columns) — all str
    blocks: int
    cells: int
    records: int


def _str_column(labels, codes: np.ndarray) -> pd.Series:
    objects = np.asarray(list(labels), dtype=object)
    return pd.Series(objects[codes], dtype=object)


def hierarchy_for(blocks: int, rng: np.random.Generator) -> pd.DataFrame:
    n_teil = max(2, blocks // 40)
    n_bezirk = max(2, min(12, n_teil // 8))
    # every stadtteil gets at least one block, every bezirk at least one stadtteil
    teil_of_block = np.sort(np.concatenate([np.arange(n_teil), rng.integers(0, n_teil, blocks - n_teil)]))
    bezirk_of_teil = np.sort(np.concatenate([np.arange(n_bezirk), rng.integers(0, n_bezirk, n_teil - n_bezirk)]))
    bezirk_codes = np.array([f"{b + 1:02d}" for b in range(n_bezirk)], dtype=object)
    teil_codes = np.array(
        [f"{bezirk_codes[bezirk_of_teil[t]]}{t + 1:04d}" for t in range(n_teil)], dtype=object
    )
    block_codes = np.array(
        [f"{teil_codes[teil_of_block[b]]}{b + 1:06d}" for b in range(blocks)], dtype=object
    )
    return pd.DataFrame(
        {
            "baublock": pd.Series(block_codes, dtype="str"),
            "stadtteil": pd.Series(teil_codes[teil_of_block], dtype="str"),
            "stadtteil_name": pd.Series([f"Stadtteil {c}" for c in teil_codes[teil_of_block]], dtype="str"),
            "stadtbezirk": pd.Series(bezirk_codes[bezirk_of_teil[teil_of_block]], dtype="str"),
            "stadtbezirk_name": pd.Series(
                [f"Bezirk {c}" for c in bezirk_codes[bezirk_of_teil[teil_of_block]]], dtype="str"
            ),
        }
    )


def generate(cells: int, seed: int = 20241123, mean_block_size: float = 400.0) -> Generated:
    """About ``cells`` cells (a whole number of blocks of 480 cells, at least 2 blocks)."""
    rng = np.random.default_rng(seed)
    blocks = max(2, round(cells / CELLS_PER_BLOCK))
    hierarchy = hierarchy_for(blocks, rng)
    # block population: log-normal, median ~ mean_block_size/2, long tail
    sigma = 1.0
    size = rng.lognormal(np.log(mean_block_size) - sigma**2 / 2, sigma, blocks)
    weights = (
        np.asarray(STATUS_W)[:, None, None, None]
        * np.asarray(SEX_W)[None, :, None, None]
        * np.asarray(AGE_W)[None, None, :, None]
        * np.asarray(MONTH_W)[None, None, None, :]
    ).ravel()
    lam = size[:, None] * weights[None, :]
    counts = rng.poisson(lam).ravel().astype(np.int64)
    n = blocks * CELLS_PER_BLOCK
    block_idx = np.repeat(np.arange(blocks), CELLS_PER_BLOCK)
    within = np.tile(np.arange(CELLS_PER_BLOCK), blocks)
    s_idx, x_idx, a_idx, m_idx = np.unravel_index(within, (len(STATUS), len(SEX), len(AGE), len(MONTH)))
    max_count = int(counts.max())
    count_labels = [str(i) for i in range(max_count + 1)]
    table = pd.DataFrame(
        {
            "area": _str_column(hierarchy["baublock"].to_numpy(dtype=object), block_idx),
            "status": _str_column(STATUS, s_idx),
            "sex": _str_column(SEX, x_idx),
            "age": _str_column(AGE, a_idx),
            "month": _str_column(MONTH, m_idx),
            "count": _str_column(count_labels, counts),
        }
    )
    return Generated(table=table, hierarchy=hierarchy, blocks=blocks, cells=n, records=int(counts.sum()))


def counts_frame(gen: Generated) -> pd.DataFrame:
    """The table with an integer count column (for writing the ACRO runner's CSV)."""
    out = gen.table.copy()
    out["count"] = out["count"].astype("int64")
    return out
