"""The canonical long table: one geography column, zero or more dimension columns, one count column.

``prepare_table`` validates a read table (or a DataFrame) and turns it into a :class:`PreparedTable`:
wide tables are melted, total rows are removed (with a finding), mixed-level tables are split into the
finest level's cells and the coarser ``totals`` (checked against the sums of their children), and every
problem is a typed finding with file, row and column.  Everything is vectorised (factorised codes, numpy).
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .findings import Finding, InputError, Severity
from .hierarchy import Hierarchy
from .readers import RawTable, parse_number_column
from .table_wide import TOTAL_WORDS, is_total_label, wide_columns  # noqa: F401 (TOTAL_WORDS: public)
from .table_findings import (  # noqa: F401 (re-exported: callers import the codes from here)
    T_NO_GEO, T_COLUMN_MISSING, T_NO_COUNT, T_NEGATIVE, T_FRACTIONAL, T_TOO_LARGE, MAX_COUNT, MAX_TOTAL,
    T_TOTAL_TOO_LARGE, T_NOT_NUMBER, T_MISSING, T_DUPLICATE, T_UNKNOWN_CODES, T_TOTAL_ROW, T_MIXED_LEVELS,
    T_TOTAL_MISMATCH, T_AREAS_MISSING, T_EMPTY, T_NON_ADDITIVE, T_RENAMED, T_LEVEL_UNKNOWN, T_FINER_THAN_LEVEL,
    T_LEVEL_ABSENT, RESERVED, T_TOO_MANY, MAX_PROBLEMS,
)


@dataclass(frozen=True, eq=False)
class PreparedTable:
    data: pd.DataFrame  # area, <dimensions>, count (int64); one row per key, sorted
    level: str
    dimensions: tuple[str, ...]
    additive: bool = True
    totals: pd.DataFrame | None = None  # coarser rows of a mixed-level table: level, area, <dims>, count
    findings: tuple[Finding, ...] = field(default_factory=tuple)
    source_rows: np.ndarray | None = None  # file row of every data row (None for frames)
    filename: str | None = None

    def sha256(self) -> str:
        cached = self.__dict__.get("_sha")
        if cached is None:
            cached = canonical_sha256(self.data, self.level, self.dimensions, self.additive)
            object.__setattr__(self, "_sha", cached)
        return cached


def canonical_sha256(data: pd.DataFrame, level: str, dims: tuple[str, ...], additive: bool) -> str:
    """sha256 of the canonical table: header, sorted category lists, integer codes and counts."""
    h = hashlib.sha256()
    h.update(json.dumps({"level": level, "dimensions": list(dims), "additive": additive,
                         "rows": int(len(data))}, sort_keys=True).encode())
    for col in ("area", *dims):
        codes, uniques = _codes(data[col])
        h.update(json.dumps([str(u) for u in uniques], ensure_ascii=False).encode())
        h.update(np.ascontiguousarray(codes, dtype="<i8"))  # the buffer itself: no bytes copy
    h.update(np.ascontiguousarray(data["count"].to_numpy(dtype="<i8")))
    return h.hexdigest()


def _codes(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes with sorted uniques (canonical, whatever the input order or dtype)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = np.asarray(col.cat.categories.astype(str))
        order = np.argsort(cats, kind="stable")
        c = col.cat.codes.to_numpy()
        if (order == np.arange(len(order))).all() and (len(c) == 0 or c.min() >= 0):
            return c, cats  # categories already sorted (prepare_table's own frames): the codes are the ranks
        rank = np.empty(len(order), dtype=np.int64)
        rank[order] = np.arange(len(order))
        return np.where(c >= 0, rank[np.maximum(c, 0)], -1), cats[order]
    codes, uniques = pd.factorize(col.astype(str), sort=True)
    return codes, np.asarray(uniques, dtype=object)


def _is_total_text(values: np.ndarray) -> np.ndarray:
    out = np.zeros(len(values), dtype=bool)
    for j in _letter_candidates(values):
        out[j] = is_total_label(values[j])
    return out


def _letter_candidates(values: np.ndarray) -> np.ndarray:
    """Indices of the values that may be a total word: every total word has letters, and a value of ASCII
    characters without a letter keeps none through is_total_label's normalisation (blanks, ':'/'.', casefold)."""
    if len(values) < 1000:
        return np.arange(len(values))
    import pyarrow as pa
    import pyarrow.compute as pc

    arr = pa.array(np.asarray(values, dtype=object), type=pa.string())
    no_letter = pc.match_substring_regex(arr, "^[\\x00-\\x40\\x5b-\\x60\\x7b-\\x7f]*$")
    return np.flatnonzero(~no_letter.to_numpy(zero_copy_only=False))


def _detect_geo(frame: pd.DataFrame, hierarchy: Hierarchy, candidates: list[str]) -> str | None:
    all_codes = set()
    for lv in hierarchy.levels:
        all_codes.update(hierarchy.codes(lv))
    best, best_share = None, 0.0
    for c in candidates:
        # distinct values first (the same values in the same order, without converting every row to str)
        vals = pd.unique(pd.Series(_first_seen(frame[c])).astype(str).str.strip())[:5000]
        if len(vals) == 0:
            continue
        share = sum(v in all_codes for v in vals) / len(vals)
        if share > best_share:
            best, best_share = c, share
    return best if best_share >= 0.5 else None


def _first_seen(col: pd.Series):
    """pd.unique(col): the distinct values in order of appearance (for a categorical: from its codes)."""
    if isinstance(col.dtype, pd.CategoricalDtype):
        u = pd.unique(col.cat.codes.to_numpy())
        cats = np.asarray(col.cat.categories, dtype=object)
        return np.where(u >= 0, cats[np.maximum(u, 0)] if len(cats) else None, np.nan)
    return pd.unique(col)


def _numeric_like(frame: pd.DataFrame, c: str) -> bool:
    if pd.api.types.is_numeric_dtype(frame[c]):
        return True
    sample = frame[c].head(200)
    vals, prob = parse_number_column(sample)
    ok = prob != "not_a_number"
    return bool(ok.mean() >= 0.8) and bool((prob == "").any())


def prepare_table(raw, hierarchy: Hierarchy, geo_column: str | None = None, count_columns=None,
                  dimensions=None, layout: str = "long", wide_dimension: str = "kategorie",
                  additive: bool = True, geo_level: str | None = None, columns_additive: bool | None = None,
                  subtotal_columns=None) -> PreparedTable:
    """Validate and canonicalise a table; raises :class:`InputError` with every problem found.

    Wide layout (``layout="wide"``, one count column per category): the columns are added up into the total
    ``Insgesamt`` only when ``columns_additive`` is true (mutually exclusive parts of one whole); a column whose
    whole label is a total word (``Gesamt``) is then checked to be their sum, row by row, and dropped.
    ``darunter``-style columns (and ``davon`` columns next to another breakdown) are refused unless listed in
    ``subtotal_columns`` (then neither summed nor published).

    ``geo_level`` declares the level of the table's areas (default: the finest level its codes belong to).
    A code that exists on several levels is then read at the declared one; codes of finer levels are an
    error, codes of coarser levels are totals (as in any mixed-level table).
    """
    if isinstance(raw, pd.DataFrame):
        frame, rows, fname, base = raw.reset_index(drop=True), None, None, ()
    else:
        frame, rows, fname, base = raw.frame, np.asarray(raw.source_rows), raw.filename, tuple(
            f for f in raw.findings if f.severity != Severity.ERROR)
    cols = [str(c) for c in frame.columns]
    frame = frame.set_axis(cols, axis=1)
    if isinstance(count_columns, str):
        count_columns = [count_columns]
    if isinstance(dimensions, str):
        dimensions = [dimensions]
    listed = ", ".join(cols)
    for c in [geo_column, *(count_columns or []), *(dimensions or [])]:
        if c is not None and c not in cols:
            raise InputError(Finding(T_COLUMN_MISSING, {"column": c, "columns": listed}, file=fname, column=c))
    if len(frame) == 0:
        raise InputError(Finding(T_EMPTY, {}, file=fname))
    geo_level = (geo_level or "").strip() or None
    if geo_level is not None and geo_level not in hierarchy.levels:
        raise InputError(Finding(T_LEVEL_UNKNOWN, {"level": geo_level, "levels": ", ".join(hierarchy.levels)},
                                 file=fname))
    if geo_column is None:
        geo_column = _detect_geo(frame, hierarchy, [c for c in cols if c not in (count_columns or [])])
        if geo_column is None:
            raise InputError(Finding(T_NO_GEO, {"columns": listed}, file=fname))
    others = [c for c in cols if c != geo_column and not c.lower().endswith("_name")]
    if layout == "wide":
        dims_in = list(dimensions or [])
        counts = list(count_columns or [c for c in others if c not in dims_in and _numeric_like(frame, c)
                                        and c not in (subtotal_columns or [])])
        if not counts:
            raise InputError(Finding(T_NO_COUNT, {"candidates": listed}, file=fname))
        counts, wide_info = wide_columns(frame, rows, fname, counts, columns_additive, subtotal_columns, cols)
        base = (*base, *wide_info)
        ids = [geo_column, *dims_in]
        n = len(frame)
        long = frame[ids].loc[np.tile(np.arange(n), len(counts))].reset_index(drop=True)
        long[wide_dimension] = np.repeat(np.asarray(counts, dtype=object), n)
        long["__count"] = np.concatenate([frame[c].to_numpy(dtype=object) for c in counts])
        count_cols_of_row = np.repeat(np.asarray(counts, dtype=object), n)
        rows = np.tile(rows, len(counts)) if rows is not None else None
        dims = [*dims_in, wide_dimension]
        frame = long
        count_col = "__count"
    else:
        if count_columns:
            if len(count_columns) != 1:
                raise InputError(Finding(T_NO_COUNT, {"candidates": ", ".join(count_columns)}, file=fname))
            count_col = count_columns[0]
        else:
            cands = [c for c in others if c not in (dimensions or []) and _numeric_like(frame, c)]
            if len(cands) != 1:
                raise InputError(Finding(T_NO_COUNT, {"candidates": ", ".join(cands) or "-"}, file=fname))
            count_col = cands[0]
        dims = list(dimensions) if dimensions is not None else [c for c in others if c != count_col]
        count_cols_of_row = None
    return _canonical(frame, rows, fname, base, hierarchy, geo_column, count_col, dims, additive,
                      count_cols_of_row, geo_level)


def _canonical(frame, rows, fname, base, hierarchy, geo_col, count_col, dims, additive, count_cols_of_row,
               geo_level=None):
    problems: list[Finding] = []
    info: list[Finding] = list(base)
    n = len(frame)

    def row_of(i):
        return int(rows[i]) if rows is not None else int(i) + 2

    def col_of_count(i):
        return str(count_cols_of_row[i]) if count_cols_of_row is not None else count_col

    # keys as categorical codes
    key_cols = [geo_col, *dims]
    key_codes, key_uniques = [], []
    total_mask = np.zeros(n, dtype=bool)
    for c in key_cols:
        codes, uniques = _clean_factorize(frame[c])
        key_codes.append(codes)
        key_uniques.append(uniques)
        is_total = _is_total_text(uniques) if len(uniques) else None
        if is_total is not None and is_total.any():
            total_mask |= is_total[codes]
    for c, codes, uniques in zip(key_cols, key_codes, key_uniques):
        empty_u = np.flatnonzero(uniques == "")
        if len(empty_u) and _used(codes, len(uniques))[empty_u].any():
            for i in np.flatnonzero(np.isin(codes, empty_u) & ~total_mask)[:MAX_PROBLEMS]:
                problems.append(Finding(T_MISSING, {"symbol_de": "", "symbol_en": ""}, file=fname,
                                        row=row_of(i), column=c))
    # total rows: excluded with a finding (rows of the geo column that are total words, or dimension totals)
    if total_mask.any():
        idx = np.flatnonzero(total_mask)
        for i in idx[:20]:
            text = " / ".join(key_uniques[k][key_codes[k][i]] for k in range(len(key_cols))
                              if is_total_label(key_uniques[k][key_codes[k][i]]))
            info.append(Finding(T_TOTAL_ROW, {"text": text}, file=fname, row=row_of(i)))
        if len(idx) > 20:
            info.append(Finding(T_TOTAL_ROW, {"text": f"… {len(idx) - 20} weitere / more"}, file=fname))
    keep = ~total_mask
    # counts
    cnt = frame[count_col]
    cat_codes = None
    if isinstance(cnt.dtype, pd.CategoricalDtype) and count_cols_of_row is None:
        cat_codes = cnt.cat.codes.to_numpy()
        u_vals, u_prob_s = _parse_categories(cnt.cat.categories)
        u_vals, u_prob = np.append(u_vals, np.nan), np.append(u_prob_s.to_numpy(dtype=object), "empty")
        u_bad = u_prob != ""
        values, prob = u_vals, None  # per category; rows below by their codes
        bad_rows = (np.flatnonzero(u_bad[cat_codes] & keep) if u_bad.any() else np.zeros(0, dtype=np.int64))
        prob_of = lambda i: u_prob[cat_codes[i]]  # noqa: E731
    elif pd.api.types.is_integer_dtype(cnt.dtype) and not isinstance(cnt.dtype, pd.CategoricalDtype):
        values = cnt.to_numpy(dtype="float64", na_value=np.nan) if cnt.isna().any() else cnt.to_numpy()
        prob = np.where(np.isnan(values), "empty", "") if values.dtype.kind == "f" else None
    elif pd.api.types.is_float_dtype(cnt.dtype):
        values = cnt.to_numpy(dtype="float64")
        prob = np.where(np.isnan(values), "empty", "")
    else:
        values, prob_s = parse_number_column(cnt.reset_index(drop=True))
        prob = prob_s.to_numpy()
    if prob is not None:
        bad_rows = np.flatnonzero((prob != "") & keep)
        prob_of = prob.__getitem__
    if prob is not None or cat_codes is not None:
        for i in bad_rows[:MAX_PROBLEMS]:
            raw_val, p_i = str(cnt.iloc[i]), prob_of(i)
            if p_i == "not_a_number":
                problems.append(Finding(T_NOT_NUMBER, {"value": raw_val[:40]}, file=fname, row=row_of(i),
                                        column=col_of_count(i)))
            else:
                sym = f" (Symbol „{raw_val}“)" if p_i == "symbol_unknown" else ""
                sym_en = f" (symbol '{raw_val}')" if p_i == "symbol_unknown" else ""
                problems.append(Finding(T_MISSING, {"symbol_de": sym, "symbol_en": sym_en}, file=fname,
                                        row=row_of(i), column=col_of_count(i)))
    fvals = values.astype("float64", copy=False) if values.dtype.kind != "i" else None
    if cat_codes is not None:  # the same tests on the categories, then the rows that have them
        valid = ~np.isnan(fvals)
        neg_u = valid & (fvals < 0)
        frac_u = valid & ~neg_u & (np.floor(np.where(valid, fvals, 0)) != np.where(valid, fvals, 0))
        huge_u = valid & ~neg_u & (fvals > MAX_COUNT)
        frac_u &= ~huge_u
        neg, frac, huge = ((u[cat_codes] & keep) if u.any() else np.zeros(0, dtype=bool)
                           for u in (neg_u, frac_u, huge_u))
    elif fvals is not None:
        valid = ~np.isnan(fvals) & keep
        neg = valid & (fvals < 0)
        frac = valid & ~neg & (np.floor(fvals) != fvals)
        huge = valid & ~neg & (fvals > MAX_COUNT)
        frac &= ~huge
    else:
        neg = (values < 0) & keep
        frac = np.zeros(n, dtype=bool)
        huge = (values > MAX_COUNT) & keep
    for i in np.flatnonzero(huge)[:MAX_PROBLEMS]:
        problems.append(Finding(T_TOO_LARGE, {"value": str(cnt.iloc[i])[:40], "limit": MAX_COUNT}, file=fname,
                                row=row_of(i), column=col_of_count(i)))
    for i in np.flatnonzero(neg)[:MAX_PROBLEMS]:
        problems.append(Finding(T_NEGATIVE, {"value": str(cnt.iloc[i])}, file=fname, row=row_of(i),
                                column=col_of_count(i)))
    for i in np.flatnonzero(frac)[:MAX_PROBLEMS]:
        problems.append(Finding(T_FRACTIONAL, {"value": str(cnt.iloc[i])}, file=fname, row=row_of(i),
                                column=col_of_count(i)))
    # geography codes: level of each unique code
    geo_u = key_uniques[0]
    level_index = {lv: i for i, lv in enumerate(hierarchy.levels)}
    u_level = np.full(len(geo_u), -1, dtype=np.int64)
    declared = level_index[geo_level] if geo_level is not None else None
    geo_list = geo_u.tolist()
    in_level = []
    for lv in hierarchy.levels:  # the membership levels_of(code) tests, per level
        members = frozenset(hierarchy.codes(lv))
        in_level.append(np.fromiter((c in members for c in geo_list), dtype=bool, count=len(geo_list)))
    for i in reversed(range(len(hierarchy.levels))):  # the finest level a code is on (levels_of(code)[0])
        u_level[in_level[i]] = i
    if declared is not None:
        u_level[in_level[declared]] = declared
    all_kept = bool(keep.all())
    used_u = (np.flatnonzero(np.bincount(key_codes[0] if all_kept else key_codes[0][keep], minlength=len(geo_u)))
              if keep.any() else np.array([], dtype=np.int64))
    if declared is not None:
        finer_u = [j for j in used_u if 0 <= u_level[j] < declared]
        if finer_u:
            first = {}
            for i in np.flatnonzero(np.isin(key_codes[0], finer_u) & keep)[:1]:
                first = {"row": row_of(i)}
            listed = ", ".join(geo_u[j] for j in finer_u[:20]) + (" …" if len(finer_u) > 20 else "")
            problems.append(Finding(T_FINER_THAN_LEVEL, {"n": len(finer_u), "level": geo_level, "codes": listed},
                                    file=fname, column=geo_col, **first))
        elif len(used_u) and not any(u_level[j] == declared for j in used_u) \
                and all(u_level[j] >= 0 for j in used_u):
            found = sorted({hierarchy.levels[u_level[j]] for j in used_u}, key=hierarchy.levels.index)
            problems.append(Finding(T_LEVEL_ABSENT, {"level": geo_level, "found": ", ".join(found)},
                                    file=fname, column=geo_col))
    unknown_u = [j for j in used_u if u_level[j] < 0 and geo_u[j] != ""]
    if unknown_u:
        first = {}
        for i in np.flatnonzero(np.isin(key_codes[0], unknown_u) & keep)[:1]:
            first = {"row": row_of(i)}
        listed = ", ".join(geo_u[j] for j in unknown_u[:20]) + (" …" if len(unknown_u) > 20 else "")
        problems.append(Finding(T_UNKNOWN_CODES, {"n": len(unknown_u), "codes": listed}, file=fname,
                                column=geo_col, **first))
    if problems:
        more = len(problems) - MAX_PROBLEMS
        problems = problems[:MAX_PROBLEMS]
        if more > 0:
            problems.append(Finding(T_TOO_MANY, {"n": more}, file=fname))
        raise InputError(problems)
    if not keep.any():
        raise InputError(Finding(T_EMPTY, {}, file=fname))
    # NaN / out-of-range values only remain in rows not kept: zero them (no RuntimeWarning in the cast)
    counts = (np.where(np.isfinite(values) & (np.abs(values) <= MAX_COUNT), values, 0).astype(np.int64)
              if values.dtype.kind != "i" else values.astype(np.int64, copy=False))
    if cat_codes is not None:
        counts = counts[cat_codes]
    total = float(counts.sum(dtype=np.float64, where=keep))
    if total > MAX_TOTAL:  # 10^8 cells of up to MAX_COUNT each would wrap int64 in the level sums
        raise InputError(Finding(T_TOTAL_TOO_LARGE, {"total": f"{total:.3g}", "limit": MAX_TOTAL}, file=fname))
    finest = int(u_level[used_u].min())  # = the minimum over the kept rows (used_u: their codes)
    level = hierarchy.levels[finest]
    if (u_level[used_u] == finest).all():  # one level (the usual case): no per-row level needed
        cells, coarse = keep, np.zeros(n, dtype=bool)
    else:
        row_level = u_level[key_codes[0]]
        cells = keep & (row_level == finest)
        coarse = keep & (row_level > finest)
    # duplicates (on the cells of the assessed level and on the totals)
    sizes = [len(u) for u in key_uniques]
    combined = _combine([kc for kc in key_codes], sizes)
    cells_all = all_kept and cells is keep
    cell_order = _sorted_unique_order(combined if cells_all else combined[cells], _key_range(sizes))
    for mask in (cells, coarse):
        if mask is cells and cell_order is not None or not mask.any():
            continue
        idx = np.flatnonzero(mask)
        k = combined[idx]
        order = np.argsort(k, kind="stable")
        ks = k[order]
        dup = np.flatnonzero(ks[1:] == ks[:-1])
        for d in dup[:MAX_PROBLEMS]:
            i_first, i_dup = idx[order[d]], idx[order[d + 1]]
            key = ", ".join(f"{c}={key_uniques[m][key_codes[m][i_dup]]}" for m, c in enumerate(key_cols))
            problems.append(Finding(T_DUPLICATE, {"key": key, "other_row": row_of(i_first)}, file=fname,
                                    row=row_of(i_dup)))
    if problems:
        raise InputError(problems[:MAX_PROBLEMS])
    # canonical frame of the assessed level
    if cell_order is not None:
        idx = cell_order if cells_all else np.flatnonzero(cells)[cell_order]
    else:
        idx = np.flatnonzero(cells)
        idx = idx[np.argsort(combined[idx], kind="stable")]
    del combined
    data = {"area": _compact_categorical(key_codes[0][idx], geo_u)}
    for m, c in enumerate(dims, start=1):
        data[c] = _compact_categorical(key_codes[m][idx], key_uniques[m])
    data["count"] = counts[idx]
    out = pd.DataFrame(data)
    totals = None
    if coarse.any():
        cidx = np.flatnonzero(coarse)
        totals = pd.DataFrame({
            "level": [hierarchy.levels[x] for x in row_level[cidx]],
            "area": geo_u[key_codes[0][cidx]],
            **{c: key_uniques[m][key_codes[m][cidx]] for m, c in enumerate(dims, start=1)},
            "count": counts[cidx],
        })
        info.append(Finding(T_MIXED_LEVELS, {"n_totals": len(cidx), "coarser": ", ".join(
            sorted(set(totals["level"]), key=hierarchy.levels.index)), "level": level}, file=fname))
        info += _check_totals(out, totals, hierarchy, level, dims, fname, rows[cidx] if rows is not None else None)
    all_codes = hierarchy.codes(level)
    present = set(out["area"].cat.categories)
    missing = [c for c in all_codes if c not in present]
    if missing and len(missing) < len(all_codes):
        info.append(Finding(T_AREAS_MISSING, {"n": len(missing), "total": len(all_codes), "level": level,
                                              "codes": ", ".join(missing[:5])}, file=fname))
    if not additive:
        info.append(Finding(T_NON_ADDITIVE, {}, file=fname))
    renames = {}
    for c in dims:
        if c.lower() in RESERVED:
            new = f"{c}_merkmal"
            while new in dims:
                new += "_"
            renames[c] = new
            info.append(Finding(T_RENAMED, {"old": c, "new": new}, file=fname, column=c))
    if renames:
        out = out.rename(columns=renames)
        if totals is not None:
            totals = totals.rename(columns=renames)
        dims = [renames.get(c, c) for c in dims]
    src = rows[idx] if rows is not None else None
    return PreparedTable(out, level, tuple(dims), additive, totals, tuple(info), src, fname)


def _parse_categories(categories: pd.Index):
    """parse_number_column's per-value result for each category (the same function, once per value)."""
    from .readers.numbers import _parse_unique_numbers

    return _parse_unique_numbers(pd.Series(np.asarray(categories, dtype=object), dtype=object))


def _used(codes: np.ndarray, n: int) -> np.ndarray:
    used = np.zeros(n, dtype=bool)
    used[codes] = True
    return used


def _compact_categorical(codes: np.ndarray, uniques: np.ndarray) -> pd.Categorical:
    """A categorical with only the categories in use (sorted order kept); O(n), no re-hashing."""
    used = _used(codes, len(uniques))
    small = np.int8 if used.sum() < 127 else np.int32
    remap = (np.cumsum(used) - 1).astype(small)
    return pd.Categorical.from_codes(remap[codes], categories=pd.Index(uniques[used], dtype=object),
                                     validate=False)


def _clean_factorize(col: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Codes and sorted, stripped string uniques; the string work is done once per distinct value."""
    if isinstance(col.dtype, pd.CategoricalDtype):  # the reader's columns: its codes are used as they are
        # (categories not in use stay among the uniques; nothing downstream counts them: the canonical frame
        # keeps only the categories in use)
        raw_codes, raw_u = col.cat.codes.to_numpy(), col.cat.categories
    else:
        raw_codes, raw_u = pd.factorize(col, use_na_sentinel=True)
    u = pd.Series(np.asarray(raw_u, dtype=object)).astype(str).str.strip()
    u = u.where(~u.isin(["nan", "None", "<NA>"]), "").to_numpy(dtype=object)
    u = np.append(u, "")  # the NA sentinel (-1) becomes ""
    final_codes, final_u = pd.factorize(u, sort=True)
    small = np.int32 if len(final_u) < 2**31 - 1 else np.int64
    final_codes = final_codes.astype(small)
    uniques = np.asarray(final_u, dtype=object).astype(str)
    if len(raw_codes) and (final_codes[:-1] == np.arange(len(final_codes) - 1)).all() and raw_codes.min() >= 0:
        return raw_codes.astype(small, copy=False), uniques  # already sorted and clean: the codes stay
    return final_codes[raw_codes], uniques


def _combine(codes: list[np.ndarray], sizes: list[int]) -> np.ndarray:
    key = codes[0].astype(np.int64)
    key += 1
    for c, s in zip(codes[1:], sizes[1:]):  # in place: the same mixed-radix key, no temporaries
        key *= s + 1
        key += c
        key += 1
    return key


def _key_range(sizes: list[int]) -> int:
    r = 1
    for s in sizes:
        r *= s + 1
    return r


def _sorted_unique_order(k: np.ndarray, key_range: int):
    """The positions of ``k`` in ascending key order when all keys are distinct (else None): without a sort
    when the keys are already ascending or dense (a scatter into the key range)."""
    n = len(k)
    if n < 2 or bool((k[1:] > k[:-1]).all()):
        return np.arange(n)
    if key_range > 4 * n + 1024:
        return None
    inv = np.full(key_range, -1, dtype=np.int32 if n < 2**31 else np.int64)
    inv[k] = np.arange(n, dtype=inv.dtype)
    order = inv[inv >= 0]
    return order if len(order) == n else None


def _check_totals(cells: pd.DataFrame, totals: pd.DataFrame, hierarchy: Hierarchy, level: str, dims, fname,
                  rows) -> list[Finding]:
    out: list[Finding] = []
    for lv, group in totals.groupby("level", sort=False):
        anc = hierarchy.ancestor_map(level, lv)
        agg = cells.assign(area=cells["area"].astype(str).map(anc))
        sums = agg.groupby(["area", *dims], observed=True)["count"].sum()
        for pos, (_, r) in enumerate(group.iterrows()):
            key = (r["area"], *[r[c] for c in dims]) if dims else r["area"]
            computed = int(sums.get(key, 0))
            if computed != int(r["count"]):
                label = ", ".join([f"{lv} {r['area']}", *[f"{c}={r[c]}" for c in dims]])
                row = int(rows[group.index[pos]]) if rows is not None else None
                out.append(Finding(T_TOTAL_MISMATCH, {"key": label, "reported": int(r["count"]),
                                                      "computed": computed}, file=fname, row=row))
                if len(out) >= MAX_PROBLEMS:
                    return out
    return out
