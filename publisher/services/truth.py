"""True counts of a release's cells, from the submission's raw data while it is still stored.

The cross-release checks need them to tell a small count (sensitive) from a large one, and to know which
cells did not change between two periods.  They are computed in memory for the check and never stored:
the ledger keeps only what was published, and after the raw data is deleted (retention) the checks fall
back to what the published cells alone allow (see docs/rules.md).
"""
from __future__ import annotations

import json
import logging
from collections import OrderedDict

import pandas as pd

from disclosure_rules.crossrelease import TOTAL, Release

_CACHE: "OrderedDict[tuple, pd.DataFrame | None]" = OrderedDict()
_CACHE_SIZE = 8


def _prepared(c, version):
    from disclosure_rules import prepare_table, read_table_file
    from publisher.models import StoredFile
    from publisher.services import reference

    sha = version.raw_sha256
    row = c.session.get(StoredFile, sha) if sha else None
    if row is None or row.deleted_at is not None or not c.store.exists(sha):
        return None, None
    mapping = dict(version.mapping or {})
    key = (sha, json.dumps(mapping, sort_keys=True, default=str), version.hierarchy.file_sha256)
    eh = reference.engine_hierarchy(c, version.hierarchy)
    if key in _CACHE:
        _CACHE.move_to_end(key)
        return _CACHE[key], eh
    try:
        raw = read_table_file(c.store.get(sha), filename=version.raw_filename, sheet=mapping.get("sheet"),
                              header_row=mapping.get("header_row"))
        kwargs = {k: v for k, v in mapping.items() if k not in ("sheet", "header_row")}
        prepared = prepare_table(raw, eh, **kwargs)
        frame = prepared.data.copy()
        frame.attrs["level"] = prepared.level
        frame.attrs["dims"] = tuple(prepared.dimensions)
    except Exception:  # unreadable now (engine changed, file damaged): the check works without the truth
        logging.getLogger(__name__).warning("raw data of version %s not readable for the truth", version.id)
        frame = None
    _CACHE[key] = frame
    while len(_CACHE) > _CACHE_SIZE:
        _CACHE.popitem(last=False)
    return frame, eh


def release_truth(c, version, release: Release) -> dict[tuple, int] | None:
    """``(level, area, dims) -> true count`` for every cell of ``release`` (None without raw data)."""
    if version is None:
        return None
    frame, eh = _prepared(c, version)
    if frame is None:
        return None
    level0, dims = frame.attrs["level"], list(frame.attrs["dims"])
    wanted: dict[tuple[str, frozenset], set] = {}
    for cell in release.cells:
        lvl = cell.level or release.level
        given = dict(cell.dims)
        if set(given) - set(dims) or lvl not in eh.levels:
            continue
        margins = frozenset(d for d in dims if given.get(d, TOTAL) == TOTAL)
        wanted.setdefault((lvl, margins), set()).add((cell.area, cell.dims))
    out: dict[tuple, int] = {}
    base = frame.assign(area=frame["area"].astype(str))
    for d in dims:
        base[d] = base[d].astype(str)
    for (lvl, margins), keys in wanted.items():
        if lvl == level0:
            area = base["area"]
        elif eh.levels.index(lvl) > eh.levels.index(level0):
            area = base["area"].map(eh.ancestor_map(level0, lvl))
        else:
            continue
        by = [d for d in dims if d not in margins]
        sums = base.assign(area=area).groupby(["area", *by], observed=True)["count"].sum()
        lookup = {(k if isinstance(k, tuple) else (k,)): int(v) for k, v in sums.items()}
        for a, cell_dims in keys:
            given = dict(cell_dims)
            k = (a, *[given[d] for d in by])
            out[(lvl, a, cell_dims)] = lookup.get(k, 0)
    return out


__all__ = ["release_truth"]
