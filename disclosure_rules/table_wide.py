"""Wide layouts (one count column per category): which columns are parts of the whole, which is the total,
which are sub-totals (issue 13 item 6).

A column is added into the total ``Insgesamt`` only when the mapping says the columns are additive (mutually
exclusive parts of one whole).  A column whose whole label is a total word is the total: it is checked to be
the sum of the parts in every row (Berlin PLR 01100101: ``Gesamt`` 3,503 next to age groups that add up to it
and ``weiblich`` / ``ausländer`` that do not belong to the sum) and then dropped.  ``darunter``-style columns
are refused unless mapped as sub-totals; every problem names file, row and column.
"""
from __future__ import annotations

import re
from itertools import combinations

import numpy as np

from .findings import Finding, InputError, Severity, register
from .readers import parse_number_column

TOTAL_WORDS = ("summe", "gesamt", "insgesamt", "stadt insgesamt", "zusammen", "total", "gesamtstadt",
               "stadt gesamt", "alle", "summe insgesamt", "gesamtsumme", "insgesamt gesamt", "alle insgesamt",
               "gesamtzahl", "gesamt insgesamt", "endsumme")
# a label is a total only when the WHOLE label is a total word ("Insgesamt", "Summe:"), never because it
# contains one ("Alle anderen", "Zusammen veranlagt", "Gesamtschule" are categories)
_TOTAL_SET = frozenset(TOTAL_WORDS)
# wide layouts: columns that are a part of another column, not a part of the whole ("darunter weiblich",
# "dar. Ausländer", "und zwar ...", "of which"), and "davon" columns (a complete breakdown of the total)
_DARUNTER_RE = re.compile(r"^\s*(darunter|dar\.|und zwar|of which|including)(\b|\s|:)", re.IGNORECASE)
_DAVON_RE = re.compile(r"^\s*(davon|dav\.)(\b|\s|:)", re.IGNORECASE)


def is_total_label(text) -> bool:
    """True when the whole label is a total word (case, surrounding blanks, a trailing ':' or '.' aside)."""
    t = re.sub(r"\s+", " ", str(text)).strip().rstrip(":.").strip().casefold()
    return t in _TOTAL_SET

T_SUBTOTAL_COLUMN = register(
    "FG-TABLE-SUBTOTAL-COLUMN", Severity.ERROR,
    "Die Spalte „{column}“ ist eine {kind_de}-Position: ein Teil einer anderen Spalte, kein weiterer Teil des "
    "Ganzen. In der breiten Form würde sie in die Summe „Insgesamt“ gezählt. Bitte in der Zuordnung als "
    "Untersumme angeben (sie wird dann weder summiert noch veröffentlicht) oder aus den Zählspalten nehmen.",
    "Column '{column}' is a '{kind_en}' item: a part of another column, not another part of the whole. In the "
    "wide layout it would be added into the total 'Insgesamt'. Map it as a sub-total (it is then neither summed "
    "nor published) or leave it out of the count columns.")
T_SUBTOTAL_MAPPED = register(
    "FG-TABLE-SUBTOTAL-MAPPED", Severity.INFO,
    "Die Spalte „{column}“ ist als Untersumme zugeordnet: sie geht nicht in die Summe ein und wird mit dieser "
    "Tabelle nicht veröffentlicht (bei Bedarf als eigene Tabelle einreichen).",
    "Column '{column}' is mapped as a sub-total: it is not added into the total and not published with this "
    "table (submit it as a table of its own if needed).")
T_WIDE_ADDITIVITY = register(
    "FG-TABLE-WIDE-ADDITIVITY-UNSTATED", Severity.ERROR,
    "Breite Form: Die Spalten {columns} würden zu „Insgesamt“ summiert. Das ist nur richtig, wenn sie sich "
    "gegenseitig ausschließende Teile eines Ganzen sind. Bitte in der Zuordnung angeben („Spalten sind Teile "
    "eines Ganzen“, API: columns_additive) und Untersummen („darunter …“) als Untersummen zuordnen.",
    "Wide layout: columns {columns} would be added up into 'Insgesamt'. That is only right when they are mutually "
    "exclusive parts of one whole. State it in the mapping ('columns are parts of one whole', API: "
    "columns_additive) and map sub-totals ('darunter …') as sub-totals.")
T_WIDE_NOT_ADDITIVE = register(
    "FG-TABLE-WIDE-NOT-ADDITIVE", Severity.ERROR,
    "Die Spalten {columns} sind als nicht additiv angegeben: als eine Tabelle mit der Summe „Insgesamt“ kann "
    "Freigabe sie nicht veröffentlichen. Bitte jede Spalte als eigene Tabelle (oder in langer Form mit einer "
    "Merkmalsspalte) einreichen.",
    "Columns {columns} are declared not additive: Freigabe cannot publish them as one table with the total "
    "'Insgesamt'. Submit each column as a table of its own (or in long layout with a dimension column).")
T_WIDE_TOTAL_MISMATCH = register(
    "FG-TABLE-WIDE-TOTAL-MISMATCH", Severity.ERROR,
    "Die Spalte „{column}“ ({total}) ist nicht die Summe der Spalten {parts} ({sum}).{hint_de}",
    "Column '{column}' ({total}) is not the sum of columns {parts} ({sum}).{hint_en}")
T_TOTAL_COLUMN = register(
    "FG-TABLE-TOTAL-COLUMN", Severity.INFO,
    "Die Spalte „{column}“ ist die Summe der übrigen Zählspalten (in jeder Zeile geprüft) und wird nicht als "
    "eigene Kategorie gezählt.",
    "Column '{column}' is the sum of the other count columns (checked in every row) and is not counted as a "
    "category of its own.")
def wide_columns(frame, rows, fname, counts, columns_additive, subtotal_columns, cols):
    """Sort the count columns of a wide table into parts of the whole, a total column and sub-totals."""
    header = int(rows[0]) - 1 if rows is not None and len(rows) else 1
    mapped = [str(c) for c in (subtotal_columns or [])]
    problems: list[Finding] = []
    info: list[Finding] = []
    for c in mapped:
        if c not in cols:
            problems.append(Finding("FG-TABLE-COLUMN-MISSING", {"column": c, "columns": ", ".join(cols)}, file=fname,
                                    column=c))
        else:
            info.append(Finding(T_SUBTOTAL_MAPPED, {"column": c}, file=fname, row=header, column=c))
    counts = [c for c in counts if c not in mapped]
    totals = [c for c in counts if is_total_label(c)]
    parts = [c for c in counts if c not in totals]
    davon = [c for c in parts if _DAVON_RE.match(c)]
    for c in parts:
        if _DARUNTER_RE.match(c):
            problems.append(Finding(T_SUBTOTAL_COLUMN, {"column": c, "kind_de": "Darunter", "kind_en": "of which"},
                                    file=fname, row=header, column=c))
        elif davon and c in davon and len(davon) < len(parts):
            # a "davon" breakdown next to other parts is a second breakdown of the same whole
            problems.append(Finding(T_SUBTOTAL_COLUMN, {"column": c, "kind_de": "Davon", "kind_en": "davon"},
                                    file=fname, row=header, column=c))
    if len(parts) >= 2 and columns_additive is not True:
        code = T_WIDE_NOT_ADDITIVE if columns_additive is False else T_WIDE_ADDITIVITY
        problems.append(Finding(code, {"columns": ", ".join(parts)}, file=fname, row=header))
    if len(totals) > 1 or (totals and not parts):
        for c in totals[1:] if parts else totals:
            problems.append(Finding(T_SUBTOTAL_COLUMN, {"column": c, "kind_de": "Summen", "kind_en": "total"},
                                    file=fname, row=header, column=c))
    if problems:
        raise InputError(problems)
    if totals:
        info += _check_total_column(frame, rows, fname, totals[0], parts)
    return parts, info


def _check_total_column(frame, rows, fname, total: str, parts: list[str]) -> list[Finding]:
    tv, tp = parse_number_column(frame[total].reset_index(drop=True))
    mats = [parse_number_column(frame[c].reset_index(drop=True)) for c in parts]
    ok = (tp.to_numpy() == "") & np.all([p.to_numpy() == "" for _, p in mats], axis=0)
    pv = np.vstack([np.asarray(v, dtype=float) for v, _ in mats]) if mats else np.zeros((0, len(frame)))
    tv = np.asarray(tv, dtype=float)
    sums = np.where(ok, pv.sum(axis=0), 0)
    bad = np.flatnonzero(ok & (np.abs(sums - tv) > 1e-9))
    if not len(bad):
        return [Finding(T_TOTAL_COLUMN, {"column": total}, file=fname,
                        row=int(rows[0]) - 1 if rows is not None and len(rows) else 1, column=total)]
    # which columns, left out, make every row add up? (likely sub-totals such as "weiblich", "Ausländer")
    hint = None
    if len(parts) <= 30:
        for size in (1, 2, 3):
            for combo in combinations(range(len(parts)), size):
                rest = sums - pv[list(combo)].sum(axis=0)
                if np.all(np.abs(rest[ok] - tv[ok]) <= 1e-9):
                    hint = [parts[i] for i in combo]
                    break
            if hint:
                break
    i = int(bad[0])
    hint_de = (f" Ohne die Spalte(n) {', '.join(hint)} stimmt die Summe in jeder Zeile: das sind vermutlich "
               f"Untersummen („darunter …“); bitte als Untersummen zuordnen." if hint else "")
    hint_en = (f" Without column(s) {', '.join(hint)} every row adds up: these are probably sub-totals "
               f"('darunter …'); map them as sub-totals." if hint else "")
    return _raise(Finding(T_WIDE_TOTAL_MISMATCH, {
        "column": total, "total": _num(tv[i]), "parts": ", ".join(parts), "sum": _num(sums[i]),
        "hint_de": hint_de, "hint_en": hint_en, "subtotals": hint or []},
        file=fname, row=int(rows[i]) if rows is not None else i + 2, column=total))


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _raise(f: Finding):
    raise InputError(f)
