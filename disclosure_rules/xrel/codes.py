"""Finding codes of the cross-release checks (stable: never rename, add new ones)."""
from __future__ import annotations

from ..findings import Severity, register

XREL_TEMPORAL = register(
    "FG-XREL-TEMPORAL", Severity.WARNING,
    "Zeitliche Differenz: Gebiet {area}{where_de} ändert sich gegenüber {previous} ({previous_period}) um "
    "{change}; das ist weniger als die Mindestfallzahl {min_count} und hebt Einzelne hervor. "
    "Beteiligte Veröffentlichungen: {releases}.",
    "Temporal differencing: area {area}{where_en} changes by {change} against {previous} ({previous_period}); "
    "that is below the minimum count {min_count} and singles out individuals. Releases involved: {releases}.")
XREL_TEMPORAL_GAP = register(
    "FG-XREL-TEMPORAL-ACROSS-SUPPRESSION", Severity.WARNING,
    "Zeitliche Differenz über gesperrte Zeiträume: Gebiet {area}{where_de} war zuletzt in {previous} "
    "({previous_period}) veröffentlicht, danach gesperrt ({gap}); der neue Wert unterscheidet sich davon um "
    "{change}, weniger als die Mindestfallzahl {min_count}. Beteiligte Veröffentlichungen: {releases}.",
    "Temporal differencing across suppressed periods: area {area}{where_en} was last published in {previous} "
    "({previous_period}) and suppressed afterwards ({gap}); the new value differs from it by {change}, less "
    "than the minimum count {min_count}. Releases involved: {releases}.")
XREL_RECOMPUTABLE = register(
    "FG-XREL-RECOMPUTABLE", Severity.WARNING,
    "Gesperrte Zelle {area}{where_de} in {release} lässt sich aus den zusammen veröffentlichten Tabellen "
    "(Zeitraum {period}) genau zurückrechnen. Beteiligte Veröffentlichungen: {releases}.",
    "Suppressed cell {area}{where_en} in {release} can be recomputed exactly from the tables published "
    "together (period {period}). Releases involved: {releases}.")
XREL_NARROWED = register(
    "FG-XREL-NARROWED", Severity.WARNING,
    "Gesperrte Zelle {area}{where_de} in {release}: aus den zusammen veröffentlichten Tabellen (Zeitraum "
    "{period}) folgt ein Wert zwischen {lo} und {hi}, also unter der Mindestfallzahl {min_count}. "
    "Beteiligte Veröffentlichungen: {releases}.",
    "Suppressed cell {area}{where_en} in {release}: the tables published together (period {period}) pin its "
    "value between {lo} and {hi}, below the minimum count {min_count}. Releases involved: {releases}.")
XREL_DERIVED = register(
    "FG-XREL-DERIVED-CELL", Severity.WARNING,
    "{region}{where_de} (Population {population}, Zeitraum {period}) ist in keiner Tabelle einzeln "
    "veröffentlicht, lässt sich aber aus den Veröffentlichungen zusammen auf {lo} bis {hi} eingrenzen: "
    "weniger als die Mindestfallzahl {min_count}. {inside_de}Beteiligte Veröffentlichungen: {releases}.",
    "{region_en}{where_en} (population {population}, period {period}) is published in no table by itself, but "
    "the releases together pin it between {lo} and {hi}: less than the minimum count {min_count}. "
    "{inside_en}Releases involved: {releases}.")
XREL_NESTED = register(
    "FG-XREL-AREA-DIFFERENCE", Severity.WARNING,
    "Gebietsdifferenz: {area}{where_de} in {release} minus {other_area} in {other} ergibt {difference} "
    "(Zeitraum {period}); die Differenzfläche ({blocks} kleinste Gebiete, z. B. nach Grenzänderung) hebt eine "
    "Gruppe unter der Mindestfallzahl {min_count} hervor. Beteiligte Veröffentlichungen: {releases}.",
    "Area differencing: {area}{where_en} in {release} minus {other_area} in {other} gives {difference} "
    "(period {period}); the difference area ({blocks} finest areas, e.g. after a boundary change) singles out "
    "a group below the minimum count {min_count}. Releases involved: {releases}.")
XREL_INCONSISTENT = register(
    "FG-XREL-INCONSISTENT", Severity.WARNING,
    "Die Veröffentlichungen {releases} (Zeitraum {period}) widersprechen sich, z. B. {example_de}. Solange "
    "sie sich widersprechen, kann die Prüfung über Veröffentlichungen hinweg nichts zusichern; sie sperrt "
    "die Freigabe. Abhilfe: die falsche Veröffentlichung korrigieren (Korrektur) oder Population bzw. "
    "Zeitraum richtig angeben.",
    "The releases {releases} (period {period}) contradict each other, e.g. {example_en}. While they do, the "
    "cross-release check cannot guarantee anything; it blocks approval. Remedy: correct the wrong release "
    "(correction) or state population and period correctly.")
XREL_UNSOLVED = register(
    "FG-XREL-UNSOLVED", Severity.WARNING,
    "Die Prüfung über Veröffentlichungen hinweg ({releases}, Zeitraum {period}) kam für {what} zu keinem "
    "sicheren Ergebnis ({reason}); ohne Ergebnis wird nicht freigegeben.",
    "The cross-release check ({releases}, period {period}) reached no certain result for {what_en} "
    "({reason}); without a result nothing is approved.")
XREL_CATEGORIES = register(
    "FG-XREL-CATEGORIES-DIFFER", Severity.WARNING,
    "Das Merkmal {dimension} ist in den Tabellen desselben Zeitraums ({period}) unterschiedlich gegliedert: "
    "{release} hat {categories}, {other} hat {other_categories}. Fasst eine Kategorie andere zusammen, kann die "
    "Prüfung Rückrechnungen über diese Zusammenfassung nicht erkennen: bitte von Hand prüfen. "
    "Beteiligte Veröffentlichungen: {releases}.",
    "Dimension {dimension} is broken down differently in the tables of the same period ({period}): {release} "
    "has {categories}, {other} has {other_categories}. Where one category groups others, the check cannot see "
    "recomputations through that grouping: please check by hand. Releases involved: {releases}.")
XREL_CATEGORIES_UNDECLARED = register(
    "FG-XREL-CATEGORIES-UNDECLARED", Severity.WARNING,
    "Das Merkmal {dimension} ist in {release} ({categories}) anders gegliedert als in {other} "
    "({other_categories}), Zeitraum {period}; nicht erklärt: {undeclared}. Bevor freigegeben werden kann, "
    "erklären Administratoren in den Referenzdaten, was diese Kategorien sind: eine Zusammenfassung (z. B. "
    "„Duldung oder Sonstige = Duldung + Sonstige“) oder eine eigene Kategorie. Beteiligte Veröffentlichungen: "
    "{releases}.",
    "Dimension {dimension} is broken down differently in {release} ({categories}) and {other} "
    "({other_categories}), period {period}; not declared: {undeclared}. Before approval, admins declare in "
    "the reference data what these categories are: a grouping (e.g. 'Duldung oder Sonstige = Duldung + "
    "Sonstige') or a category of its own. Releases involved: {releases}.")
XREL_SHIFTED = register(
    "FG-XREL-SHIFTED-PATTERN", Severity.WARNING,
    "Verschobenes Sperrmuster: {cell_de} lässt sich auf {lo} bis {hi} eingrenzen (unter der Mindestfallzahl "
    "{min_count}), wenn man {this} und {other} ({relation_de}) über die Zellen verbindet, die sich zwischen "
    "beiden nicht geändert haben ({linked} {linked:Zelle|Zellen}). Beteiligte Veröffentlichungen: {releases}.",
    "Shifted suppression pattern: {cell_en} can be pinned between {lo} and {hi} (below the minimum count "
    "{min_count}) by linking {this} and {other} ({relation_en}) through the cells that did not change between "
    "them ({linked} {linked:cell|cells}). Releases involved: {releases}.")
XREL_SHIFT_UNVERIFIED = register(
    "FG-XREL-SHIFT-UNVERIFIED", Severity.WARNING,
    "Das Sperrmuster hat sich gegenüber {other} ({relation_de}) verschoben ({shifted} {shifted:Zelle|Zellen}), "
    "deren Rohdaten liegen nicht mehr vor: welche gesperrten Zellen sich nicht geändert haben, ist unbekannt; "
    "die Prüfung hat nur die sicher unveränderten Zellen verbunden (Anzahl: {linked}). Bitte von Hand prüfen "
    "(keine automatische Freigabe).",
    "The suppression pattern shifted against {other} ({relation_en}; {shifted} {shifted:cell|cells}) whose raw "
    "data is no longer available: which suppressed cells stayed unchanged is unknown; the check linked only the "
    "cells known to be unchanged (number: {linked}). Please check by hand (no automatic approval).")
XREL_SECONDARY = register(
    "FG-XREL-SECONDARY-RECOMPUTED", Severity.INFO,
    "Hinweis: Die gesperrte Zelle {area}{where_de} in {release} lässt sich aus den Veröffentlichungen "
    "({releases}) genau zurückrechnen; sie ist keine kleine Fallzahl (Sekundärsperrung) und verrät keine "
    "kleine Zahl, sperrt die Freigabe also nicht.",
    "Note: the suppressed cell {area}{where_en} in {release} can be recomputed exactly from the releases "
    "({releases}); it is not a small count (secondary suppression) and reveals no small number, so it does "
    "not block approval.")
XREL_PREEXISTING = register(
    "FG-XREL-PREEXISTING", Severity.INFO,
    "Hinweis: {what_de} lässt sich schon aus früheren Veröffentlichungen ({releases}) ohne diese Einreichung "
    "eingrenzen; diese Einreichung fügt nichts hinzu.",
    "Note: {what_en} can already be narrowed from earlier releases ({releases}) without this submission; "
    "this submission adds nothing.")
XREL_CORRECTION_SMALL = register(
    "FG-XREL-CORRECTION-SMALL-CHANGE", Severity.WARNING,
    "Korrektur von {corrected}: {changed} veröffentlichte Zellen ändern sich um 1 bis {max_change} "
    "(weniger als die Mindestfallzahl {min_count}), z. B. {example}. Der Vergleich mit der berichtigten "
    "Veröffentlichung zeigt, dass dort einzelne Personen hinzugekommen oder weggefallen sind. Hinweis, "
    "sperrt die Freigabe nicht.",
    "Correction of {corrected}: {changed} published cells change by 1 to {max_change} (less than the minimum "
    "count {min_count}), e.g. {example}. Comparing with the corrected release shows that individuals were "
    "added or removed there. Warning, does not block approval.")
XREL_OK = register(
    "FG-XREL-OK", Severity.INFO,
    "Abgleich mit {count} {count:früheren Veröffentlichung|früheren Veröffentlichungen}: keine Aufdeckung über "
    "Veröffentlichungen hinweg.",
    "Checked against {count} earlier {count:release|releases}: no disclosure across releases.")

BLOCKING_CODES = frozenset({XREL_TEMPORAL, XREL_TEMPORAL_GAP, XREL_RECOMPUTABLE, XREL_NARROWED, XREL_NESTED,
                            XREL_DERIVED, XREL_INCONSISTENT, XREL_UNSOLVED, XREL_CATEGORIES_UNDECLARED,
                            XREL_SHIFTED})
