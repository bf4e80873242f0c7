"""What ``freigabe check`` does, as a plain function returning the exit status.

0 publishable (``report.json`` + ``releasable.csv``), 1 withheld (``report.json`` only), 2 bad input (a clear
message on stderr, nothing written).  Output is written to a temporary directory first and moved into place,
so a failure never leaves half-written files.
"""
from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import TextIO

from .findings import InputError
from .output import releasable_csv_bytes

EXIT_PUBLISHABLE, EXIT_WITHHELD, EXIT_BAD_INPUT = 0, 1, 2


def run_check(table_path, hierarchy_path, out_dir, rules_path=None, min_count=None, zeros_disclosive=None,
              geo_column=None, count_column=None, scope=None, sheet=None, layout="long", dimensions=None,
              zero_symbol="0", with_status=False, lang="de", stderr: TextIO | None = None) -> int:
    from . import assess, load_hierarchy, load_rules, prepare_table, read_table_file

    err = stderr or sys.stderr
    try:
        rules = load_rules(rules_path, min_count=min_count, zeros_are_disclosive=zeros_disclosive,
                           scope=scope.replace("-", "_") if scope else None)
        hierarchy = load_hierarchy(Path(hierarchy_path))
        raw = read_table_file(Path(table_path), sheet=sheet)
        prepared = prepare_table(raw, hierarchy, geo_column=geo_column,
                                 count_columns=[count_column] if count_column else None,
                                 dimensions=dimensions, layout=layout)
        result = assess(prepared, hierarchy, rules)
    except InputError as exc:
        print(exc.message(lang), file=err)
        return EXIT_BAD_INPUT
    except FileNotFoundError as exc:
        print(("Datei nicht gefunden: " if lang != "en" else "file not found: ") + str(exc.filename), file=err)
        return EXIT_BAD_INPUT
    out = Path(out_dir)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".freigabe-check-", dir=out.parent))
    try:
        report = result.report.to_dict()
        (tmp / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2, sort_keys=True) + "\n",
                                         encoding="utf-8")
        if result.releasable is not None:
            (tmp / "releasable.csv").write_bytes(releasable_csv_bytes(result.releasable, zero_symbol, with_status))
        out.mkdir(parents=True, exist_ok=True)
        for name in ("report.json", "releasable.csv"):
            target = out / name
            if (tmp / name).exists():
                os.replace(tmp / name, target)
            elif target.exists():
                target.unlink()  # a stale releasable.csv from an earlier run must not survive a withheld result
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return EXIT_PUBLISHABLE if result.outcome == "publishable" else EXIT_WITHHELD
