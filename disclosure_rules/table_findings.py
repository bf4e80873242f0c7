"""The findings (stable codes, German/English templates) and limits of :mod:`disclosure_rules.table`."""
from __future__ import annotations

from .findings import Severity, register

T_NO_GEO = register("FG-TABLE-NO-GEO-COLUMN", Severity.ERROR,
                    "Keine Spalte mit Gebietsschlüsseln der Hierarchie gefunden (Spalten: {columns}).",
                    "No column with area codes of the hierarchy found (columns: {columns}).")
T_COLUMN_MISSING = register("FG-TABLE-COLUMN-MISSING", Severity.ERROR,
                            "Die Spalte „{column}“ fehlt (vorhanden: {columns}).",
                            "Column '{column}' is missing (available: {columns}).")
T_NO_COUNT = register("FG-TABLE-NO-COUNT-COLUMN", Severity.ERROR,
                      "Keine eindeutige Zahlenspalte gefunden (Kandidaten: {candidates}); bitte angeben.",
                      "No unique count column found (candidates: {candidates}); please name it.")
T_NEGATIVE = register("FG-TABLE-NEGATIVE", Severity.ERROR,
                      "Negative Anzahl „{value}“.", "Negative count '{value}'.")
T_FRACTIONAL = register("FG-TABLE-FRACTIONAL", Severity.ERROR,
                        "Anzahl „{value}“ ist keine ganze Zahl.", "Count '{value}' is not a whole number.")
T_TOO_LARGE = register("FG-TABLE-COUNT-TOO-LARGE", Severity.ERROR,
                       "Anzahl „{value}“ ist unplausibel groß (höchstens {limit}).",
                       "Count '{value}' is implausibly large (at most {limit}).")
MAX_COUNT = 10**12  # keeps sums exact in int64 (fuzz finding: 1e20 wrapped negative); the total is checked too
MAX_TOTAL = 10**15  # any level sum stays exact in int64 however many cells the reader admits
T_TOTAL_TOO_LARGE = register("FG-TABLE-TOTAL-TOO-LARGE", Severity.ERROR,
                             "Die Summe aller Anzahlen ({total}) ist unplausibel groß (höchstens {limit}).",
                             "The sum of all counts ({total}) is implausibly large (at most {limit}).")
T_NOT_NUMBER = register("FG-TABLE-NOT-A-NUMBER", Severity.ERROR,
                        "„{value}“ ist keine Zahl.", "'{value}' is not a number.")
T_MISSING = register("FG-TABLE-MISSING-VALUE", Severity.ERROR,
                     "Wert fehlt{symbol_de}.", "Value missing{symbol_en}.")
T_DUPLICATE = register("FG-TABLE-DUPLICATE-KEY", Severity.ERROR,
                       "Schlüssel doppelt: {key} (auch in Zeile {other_row}).",
                       "Duplicate key: {key} (also in row {other_row}).")
T_UNKNOWN_CODES = register("FG-TABLE-UNKNOWN-CODES", Severity.ERROR,
                           "{n} {n:Gebietsschlüssel steht|Gebietsschlüssel stehen} nicht in der Hierarchie: {codes}.",
                           "{n} {n:area code is|area codes are} not in the hierarchy: {codes}.")
T_TOTAL_ROW = register("FG-TABLE-TOTAL-ROW", Severity.INFO,
                       "Summenzeile „{text}“ erkannt und nicht als Gebiet gezählt.",
                       "Total row '{text}' detected and not counted as an area.")
T_MIXED_LEVELS = register("FG-TABLE-MIXED-LEVELS", Severity.INFO,
                          "Die Tabelle enthält Zeilen mehrerer Ebenen: {n_totals} {n_totals:Zeile|Zeilen} der "
                          "Ebene(n) {coarser} {n_totals:wird|werden} als Summen behandelt, geprüft wird die Ebene "
                          "{level}.",
                          "The table mixes levels: {n_totals} {n_totals:row|rows} of level(s) {coarser} "
                          "{n_totals:is|are} treated as totals; level {level} is assessed.")
T_TOTAL_MISMATCH = register("FG-TABLE-TOTAL-MISMATCH", Severity.WARNING,
                            "Summe für {key} weicht ab: angegeben {reported}, Summe der Teilgebiete {computed}.",
                            "Total for {key} differs: reported {reported}, sum of the parts {computed}.")
T_AREAS_MISSING = register("FG-TABLE-AREAS-MISSING", Severity.WARNING,
                           "{n} von {total} Gebieten der Ebene {level} {n:fehlt|fehlen} in der Tabelle (z. B. {codes}); "
                           "{n:es wird|sie werden} als nicht gemeldet behandelt.",
                           "{n} of {total} areas of level {level} {n:is|are} missing from the table (e.g. {codes}); "
                           "{n:it is|they are} treated as not reported.")
T_EMPTY = register("FG-TABLE-EMPTY", Severity.ERROR, "Die Tabelle enthält keine Datenzeilen.",
                   "The table contains no data rows.")
T_NON_ADDITIVE = register("FG-TABLE-NON-ADDITIVE", Severity.INFO,
                          "Die Tabelle ist als nicht additiv erklärt (z. B. Bewegungen): sie wird nie durch "
                          "Summieren vergröbert.",
                          "The table is declared non-additive (e.g. flows): it is never coarsened by summing.")
T_RENAMED = register("FG-TABLE-DIMENSION-RENAMED", Severity.INFO,
                     "Die Spalte „{old}“ heißt in der Ausgabe „{new}“ ({old} ist ein reservierter Spaltenname).",
                     "Column '{old}' is called '{new}' in the output ({old} is a reserved column name).")
T_LEVEL_UNKNOWN = register("FG-TABLE-LEVEL-UNKNOWN", Severity.ERROR,
                           "Die angegebene Gebietsebene „{level}“ gibt es in der Hierarchie nicht (Ebenen: {levels}).",
                           "The declared geography level '{level}' is not in the hierarchy (levels: {levels}).")
T_FINER_THAN_LEVEL = register("FG-TABLE-FINER-THAN-LEVEL", Severity.ERROR,
                              "{n} {n:Gebietsschlüssel gehört|Gebietsschlüssel gehören} nicht zur angegebenen Ebene {level}, sondern zu "
                              "feineren Ebenen: {codes}.",
                              "{n} {n:area code does|area codes do} not belong to the declared level {level} but to finer levels: "
                              "{codes}.")
T_LEVEL_ABSENT = register("FG-TABLE-LEVEL-ABSENT", Severity.ERROR,
                          "Die Tabelle enthält keine Gebiete der angegebenen Ebene {level} (gefunden: {found}).",
                          "The table has no areas of the declared level {level} (found: {found}).")
RESERVED = ("level", "area", "count", "status")
T_TOO_MANY = register("FG-TABLE-MORE-PROBLEMS", Severity.ERROR,
                      "… und {n} {n:weiteres Problem|weitere Probleme}.",
                      "… and {n} more {n:problem|problems}.")

MAX_PROBLEMS = 50
