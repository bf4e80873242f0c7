"""UI language: German by default, English selectable (``?lang=en`` or the ``freigabe_lang`` cookie).

Flask-Babel selects the locale and formats dates and numbers (German: ``23.11.2026``, ``1.234``).
The UI texts are German message ids with their English translation in :data:`EN` (a plain Python dict:
no catalogue compile step, so a fresh clone works right after ``pip install -e .``).
``tests/web/test_i18n.py`` fails when a text used in a template or view has no English translation.

In templates: ``{{ _("Anmelden") }}``, ``{{ _("{n} Einreichungen", n=3) }}``, ``{{ value|zahl }}``,
``{{ when|datum }}`` / ``{{ when|datumzeit }}``.  In Python: :func:`gettext` (alias ``_``).
"""
from __future__ import annotations

import datetime as dt
from typing import Any

LANGS = ("de", "en")
DEFAULT_LANG = "de"
LANG_COOKIE = "freigabe_lang"
TIMEZONE = "Europe/Berlin"

# German message id -> English.  Keep sorted roughly by page.
EN: dict[str, str] = {
    # publication jobs on the review page
    "Veröffentlichung": "Publication",
    "Veröffentlichungsaufträge je Ziel": "Publication jobs per target",
    "Ziel": "Target",
    "Zweck": "Purpose",
    "Stand": "State",
    "Versuche": "Attempts",
    "Fehler": "Error",
    # layout
    "Zum Inhalt springen": "Skip to content",
    "Freigabe – Veröffentlichung kommunaler Statistik": "Freigabe – publishing municipal statistics",
    "Hauptnavigation": "Main navigation",
    "Sprache": "Language",
    "Sprache wählen": "Choose language",
    "Übersicht": "Dashboard",
    "Neue Einreichung": "New submission",
    "Prüfliste": "Review queue",
    "Veröffentlichungen": "Releases",
    "Verwaltung": "Administration",
    "Benutzer": "Users",
    "Hierarchien": "Hierarchies",
    "Regelwerke": "Rule sets",
    "Audit-Protokoll": "Audit log",
    "Anmelden": "Log in",
    "Abmelden": "Log out",
    "Angemeldet als {name} ({role})": "Logged in as {name} ({role})",
    "Meldungen": "Messages",
    "Freigabe – Datenschutzgerechte Veröffentlichung": "Freigabe – privacy-preserving publication",
    "Pfad": "Breadcrumb",
    # roles
    "submitter": "statistics staff",
    "approver": "data-protection officer",
    "admin": "administrator",
    "reader": "reader",
    "Statistikstelle": "statistics staff",
    "Datenschutzbeauftragte/r": "data-protection officer",
    "Administration": "administrator",
    "Lesende": "reader",
    # login
    "Benutzername": "User name",
    "Passwort": "Password",
    "Anmeldung": "Login",
    "Sie sind angemeldet.": "You are logged in.",
    "Sie sind abgemeldet.": "You are logged out.",
    "Bitte melden Sie sich an.": "Please log in.",
    "Pflichtfeld fehlt.": "Required field missing.",
    # errors
    "Fehler": "Error",
    "Seite nicht gefunden": "Page not found",
    "Die Seite gibt es nicht.": "This page does not exist.",
    "Zugriff verweigert": "Access denied",
    "Sie dürfen diese Seite oder Aktion nicht nutzen.": "You may not use this page or action.",
    "Nicht angemeldet": "Not logged in",
    "Methode nicht erlaubt": "Method not allowed",
    "Datei zu groß": "File too large",
    "Die hochgeladene Datei ist größer als erlaubt ({limit} Bytes).":
        "The uploaded file is larger than allowed ({limit} bytes).",
    "Interner Fehler": "Internal error",
    "Vorübergehend nicht verfügbar": "Temporarily unavailable",
    "Die Datenbank ist gerade nicht erreichbar; es wurde nichts gespeichert. Bitte versuchen Sie es gleich noch einmal.":
        "The database is unavailable right now; nothing was stored. Please try again shortly.",
    "Ein interner Fehler ist aufgetreten; es wurde nichts gespeichert.":
        "An internal error occurred; nothing was stored.",
    "Sitzung abgelaufen oder Formular ungültig": "Session expired or form invalid",
    "Das Formular ist abgelaufen oder ungültig (CSRF-Schutz). Bitte laden Sie die Seite neu.":
        "The form has expired or is invalid (CSRF protection). Please reload the page.",
    "Ungültige Eingabe": "Invalid input",
    "Falscher Zustand": "Wrong state",
    "Zur Startseite": "To the start page",
    "Bitte korrigieren Sie die markierten Angaben.": "Please correct the marked entries.",
    # dashboard
    "Meine Einreichungen": "My submissions",
    "Alle Einreichungen": "All submissions",
    "Keine Einreichungen.": "No submissions.",
    "Titel": "Title",
    "Zustand": "State",
    "Version": "Version",
    "Geändert": "Changed",
    "Wartet auf": "Waiting for",
    "Eingereicht von": "Submitted by",
    "Zur Prüfung eingereicht": "Submitted for review",
    "Warten auf Prüfung: {n}": "Waiting for review: {n}",
    "Willkommen, {name}.": "Welcome, {name}.",
    "Als Lesende/r finden Sie Ihre Daten im Download-Bereich.":
        "As a reader you find your data in the download area.",
    "Öffnen": "Open",
    "system": "system",
    # upload
    "Tabelle hochladen": "Upload table",
    "Datei": "File",
    "CSV oder XLSX, wie aus der Fachanwendung exportiert (Trennzeichen und Kodierung werden erkannt).":
        "CSV or XLSX as exported by your statistics application (delimiter and encoding are detected).",
    "Zuordnung der Spalten": "Column mapping",
    "Spalten der hochgeladenen Datei: {columns}": "Columns of the uploaded file: {columns}",
    "Geografie-Spalte": "Geography column",
    "Name der Spalte mit den Gebietsschlüsseln (leer: automatisch erkennen).":
        "Name of the column with the area codes (empty: detect automatically).",
    "Gebietsebene": "Geography level",
    "automatisch erkennen": "detect automatically",
    "Standard (neueste gültige Version)": "default (newest valid version)",
    "Die Ebene wird aus den Schlüsseln der Hierarchie bestimmt; die Auswahl dient der Kontrolle.":
        "The level is determined from the hierarchy's codes; your choice is checked against it.",
    "Zählspalten": "Count columns",
    "Spaltennamen durch Komma getrennt (leer: alle Zahlenspalten).":
        "Column names separated by commas (empty: all numeric columns).",
    "Merkmalsspalten": "Dimension columns",
    "Weitere Gliederungsspalten, z. B. Monat, Aufenthaltsstatus (durch Komma getrennt).":
        "Further breakdown columns, e.g. month, residence status (separated by commas).",
    "Tabellenform": "Table layout",
    "lang: eine Zeile je Gebiet und Merkmal": "long: one row per area and category",
    "breit: eine Spalte je Kategorie": "wide: one column per category",
    "Name der Kategorie (breite Form)": "Category name (wide layout)",
    "Tabellenblatt (XLSX)": "Sheet (XLSX)",
    "Kopfzeile (Zeilennummer)": "Header row (row number)",
    "Gebietsebene": "Geography level",
    "Ebene der Gebiete in der Tabelle, z. B. baublock oder stadtteil (leer: feinste Ebene der Schlüssel).":
        "Level of the table's areas, e.g. baublock or stadtteil (empty: the finest level of the codes).",
    "leer: automatisch erkennen": "empty: detect automatically",
    "Werte sind additiv (Summen sind sinnvoll)": "Values are additive (sums are meaningful)",
    "Hierarchie": "Hierarchy",
    "Regelwerk": "Rule set",
    "Reihe": "Series",
    "Wiederkehrende Veröffentlichung; die Zuordnung wird je Reihe gespeichert (leer: Titel).":
        "Recurring publication; the mapping is remembered per series (empty: title).",
    "Nur prüfen": "Check only",
    "Prüfen und als Entwurf speichern": "Check and save as draft",
    "Als neue Version speichern": "Save as new version",
    "Es wurde nichts gespeichert.": "Nothing was stored.",
    "Noch keine Hierarchie vorhanden; bitte die Verwaltung bitten, eine zu importieren.":
        "No hierarchy yet; please ask the administration to import one.",
    # metadata
    "Metadaten": "Metadata",
    "Beschreibung": "Description",
    "Schlagwörter": "Keywords",
    "durch Komma getrennt": "separated by commas",
    "Bezugszeitraum": "Reference period",
    "z. B. 2025-10 oder 2025": "e.g. 2025-10 or 2025",
    "Quelle": "Source",
    "Lizenz": "Licence",
    "Kontakt": "Contact",
    "Zielgruppe": "Audience",
    "öffentlich (Open-Data-Portal)": "public (open-data portal)",
    "eingeschränkt (Download-Bereich für Gruppen)": "restricted (download area for groups)",
    "Gruppen": "Groups",
    "Nur bei eingeschränkter Zielgruppe; durch Komma getrennt.": "Only for a restricted audience; separated by commas.",
    "Pflichtfeld": "required",
    "Grund der Korrektur": "Reason for correction",
    "Nur für die Korrektur eines schon veröffentlichten Bezugszeitraums (dann Pflicht); erscheint in den "
    "Versionshinweisen.":
        "Only for a correction of a reference period already published (then required); shown in the version notes.",
    "Korrektur einer Veröffentlichung": "Correction of a release",
    "Diese Einreichung korrigiert Version {version} (veröffentlicht am {date}, Bezugszeitraum {period}).":
        "This submission corrects version {version} (published on {date}, reference period {period}).",
    "fehlt – die Freigabe ist nicht möglich": "missing – approval is not possible",
    "Berichtigte Zellen (Kennzeichen r)": "Revised cells (mark r)",
    "geändert: {changed}, neu: {added}, entfallen: {removed}": "changed: {changed}, new: {added}, dropped: {removed}",
    # check result
    "Prüfergebnis": "Check result",
    "Ergebnis": "Outcome",
    "veröffentlichbar": "publishable",
    "zurückgehalten": "withheld",
    "Veröffentlichte Ebene": "Released level",
    "keine": "none",
    "Öffentliche Aussage": "Public statement",
    "Hinweise": "Notes",
    "Unterdrückte Zellen je Ebene": "Failing cells per level",
    "Ebene": "Level",
    "Zellen": "Cells",
    "davon unter der Mindestfallzahl": "of which below the threshold",
    "Veröffentlichungstabelle (Vorschau)": "Releasable table (preview)",
    "Veröffentlichungstabelle": "Releasable table",
    "Prüfsumme (sha256) der Veröffentlichungstabelle": "Checksum (sha256) of the releasable table",
    "Die Tabelle kann auf keiner Ebene veröffentlicht werden.": "The table cannot be published at any level.",
    "Zeilen gesamt: {n}": "Rows in total: {n}",
    # submission page
    "Einreichung {id}": "Submission {id}",
    "Einreichen": "Submit",
    "Zur Prüfung einreichen": "Submit for review",
    "Zurückziehen": "Withdraw",
    "Entwurf ändern": "Edit draft",
    "Überarbeitet erneut einreichen": "Resubmit revised version",
    "Kommentar": "Comment",
    "Kommentar (optional)": "Comment (optional)",
    "Kommentar (Pflicht bei Rückgabe und Ablehnung)": "Comment (required for return and reject)",
    "Verlauf": "History",
    "Aktion": "Action",
    "Person": "Person",
    "Zeitpunkt": "Time",
    "Rohdatei herunterladen": "Download raw file",
    "Veröffentlichungstabelle herunterladen": "Download releasable table",
    "Die Rohdatei wurde nach Ablauf der Aufbewahrungsfrist gelöscht.":
        "The raw file was deleted after the retention period.",
    "Einreichung gespeichert.": "Submission saved.",
    "Aktion ausgeführt: {action}.": "Action done: {action}.",
    "Neue Datei (optional)": "New file (optional)",
    "eingereicht": "submitted",
    "freigegeben": "approved",
    "erste Freigabe": "first approval",
    "zurückgegeben": "returned",
    "abgelehnt": "rejected",
    "zurückgezogen": "withdrawn",
    "erneut eingereicht": "resubmitted",
    # review
    "Prüfung": "Review",
    "Prüfung von Einreichung {id}": "Review of submission {id}",
    "Keine Einreichungen warten auf Prüfung.": "No submissions are waiting for review.",
    "Eingereichte Tabelle (vertraulich)": "Submitted table (confidential)",
    "Markierte Zellen verletzen die Mindestfallzahl ({n}) auf der feinsten Ebene.":
        "Marked cells violate the minimum count ({n}) at the finest level.",
    "unter Mindestfallzahl": "below threshold",
    "Regelbericht": "Rule report",
    "Vergleich der Verfahren": "Comparison of the methods",
    'Die Reihe ist dauerhaft freigegeben.': 'The series has a standing approval.',
    'Die Daueranfreigabe der Reihe ist aufgehoben.': "The series' standing approval is revoked.",
    'Sperrfrist (optional): veröffentlichen erst am': 'Embargo (optional): publish no earlier than',
    'Ortszeit Berlin. Bis dahin erscheint die Veröffentlichung nur im Kalender, ohne Zahlen.': 'Berlin local time. Until then the release appears only in the calendar, without figures.',
    'Daueranfreigabe der Reihe': 'Standing approval of the series',
    'Sperrfrist bis {when} (UTC).': 'Embargo until {when} (UTC).',
    'Die Reihe „{series}“ ist dauerhaft freigegeben: spätere Perioden mit unveränderter Struktur und ohne Befund werden automatisch veröffentlicht.': "The series '{series}' has a standing approval: later periods with unchanged structure and no finding are published automatically.",
    'Daueranfreigabe aufheben': 'Revoke the standing approval',
    'Sie können die Reihe „{series}“ mit dieser Einreichung als Vorlage dauerhaft freigeben.': "You can give the series '{series}' a standing approval with this submission as its template.",
    'Reihe dauerhaft freigeben': 'Give the series a standing approval',
    'Keine Daueranfreigabe: jede Periode wird einzeln geprüft.': 'No standing approval: every period is reviewed individually.',
    'Veröffentlichungskalender': 'Release calendar',
    'Freigegebene Veröffentlichungen mit Sperrfrist. Die Zahlen erscheinen erst zum angegebenen Zeitpunkt.': 'Approved releases under embargo. The figures appear only at the time given.',
    'Veröffentlichung am': 'Release on',
    'Zurzeit sind keine Veröffentlichungen angekündigt.': 'No releases are announced at the moment.',
    'Benachrichtigungen': 'Notifications',
    'Automatisch veröffentlicht (Daueranfreigabe)': 'Released automatically (standing approval)',
    'Prüfung nötig': 'Review needed',
    'Kalender': 'Calendar',
    "Suche in Titel, Beschreibung und Schlagwörtern": "Search in title, description and keywords",
    "Suchen": "Search",
    "Keine Veröffentlichung passt zu „{q}“.": "No release matches '{q}'.",
    "Informationsverlust beider Verfahren auf dieser Einreichung": "Information loss of both methods on this submission",
    "Verfahren": "Method",
    "Anteil nicht veröffentlichter Zellen": "Share of cells not published",
    "Gesperrte Zellen": "Suppressed cells",
    "Angriffsprüfung": "Attacker audit",
    "Ganze Tabelle + Vergröberung": "Whole table + coarsening",
    "Zellsperrung": "Cell suppression",
    "bestanden": "passed",
    "nicht bestanden": "failed",
    "Unterschied zur vorigen Veröffentlichung": "Difference to the previous release",
    "Vorige Veröffentlichung: Einreichung {id}": "Previous release: submission {id}",
    "neu": "added",
    "vorher": "before",
    "jetzt": "now",
    "entfallen": "removed",
    "geändert": "changed",
    "unverändert": "unchanged",
    "Keine frühere Veröffentlichung dieser Reihe.": "No earlier release of this series.",
    "Entscheidung": "Decision",
    "Freigeben": "Approve",
    "Zurückgeben": "Return",
    "Ablehnen": "Reject",
    "Sie geben genau diese Daten frei: sha256 {sha}": "You approve exactly these data: sha256 {sha}",
    "Freigeben nicht möglich: {reason}": "Approval not possible: {reason}",
    "Vier-Augen-Prinzip: Sie haben diese Einreichung selbst erstellt und dürfen sie nicht prüfen oder freigeben.":
        "Four-eyes principle: you created this submission yourself and may not review or approve it.",
    "Gebiet": "Area",
    "Anzahl": "Count",
    "Status": "Status",
    "Mindestfallzahl": "Minimum count",
    "Nullen gelten als offenlegend": "Zeros count as disclosive",
    "ja": "yes",
    "nein": "no",
    "Geprüft am": "Checked on",
    "Zeilen {shown} von {total} angezeigt.": "Showing rows {shown} of {total}.",
    "Die Rohdatei kann nicht angezeigt werden: {reason}": "The raw file cannot be shown: {reason}",
    # report labels (publisher.web.presenters.REPORT_LABELS)
    "Geltungsbereich": "Scope",
    "Vergröberung erlaubt": "Coarsening allowed",
    "Merkmale": "Dimensions",
    "Zellen unter der Mindestfallzahl": "Cells below the threshold",
    "Unterdrückte Zellen": "Suppressed cells",
    "Summe": "Total",
    "Zeilen": "Rows",
    "Prüfsumme der Tabelle": "Checksum of the table",
    "Begründung": "Reason",
    "Eingereichte Ebene": "Submitted level",
    "Prüfsumme der Eingabe": "Checksum of the input",
    "Informationsverlust": "Information loss",
    "Eingereichte Zellen": "Cells submitted",
    "Veröffentlichte Zellen": "Cells released",
    "Durch Vergröberung entfallene Zellen": "Cells lost by coarsening",
    "Vergröberte Ebenen": "Levels coarsened",
    "Anteil entfallener Zellen": "Share of cells lost",
    "Anteil unterdrückter Werte an der Summe": "Suppressed share of the total",
    "Summe aller Werte": "Total of all values",
    "Parameter": "Parameters",
    "veröffentlicht": "released",
    "nicht geprüft": "not tried",
    "ganze Tabelle": "whole table",
    "einzelne Zellen": "single cells",
    # admin
    "Benutzer anlegen": "Create user",
    "Rolle": "Role",
    "Anzeigename": "Display name",
    "E-Mail": "E-mail",
    "Aktiv": "Active",
    "Gesperrt bis": "Locked until",
    "Entsperren": "Unlock",
    "Deaktivieren": "Disable",
    "Aktivieren": "Enable",
    "Leer lassen, um ein Passwort zu erzeugen (mindestens 12 Zeichen).":
        "Leave empty to generate a password (at least 12 characters).",
    "Benutzer {name} angelegt. Passwort (wird nur jetzt angezeigt): {password}":
        "User {name} created. Password (shown only now): {password}",
    "Benutzer {name} angelegt.": "User {name} created.",
    "Gespeichert.": "Saved.",
    "Hierarchie importieren": "Import hierarchy",
    "Name": "Name",
    "Gültig ab": "Valid from",
    "Ebenen": "Levels",
    "Hierarchie {name} Version {version} importiert.": "Hierarchy {name} version {version} imported.",
    "Regelwerk anlegen": "Create rule set",
    "Regelwerk (TOML, leer: Standard mit den Angaben oben)": "Rule set (TOML, empty: default with the values above)",
    "Ganze Zahl ab 1.": "Whole number from 1.",
    "Regelwerk {name} Version {version} angelegt.": "Rule set {name} version {version} created.",
    "Angelegt": "Created",
    "Prüfsumme": "Checksum",
    "Eintrag": "Entry",
    "Ereignis": "Event",
    "Objekt": "Object",
    "Details": "Details",
    "Kette prüfen": "Verify chain",
    "Export als CSV": "Export as CSV",
    "Export als JSON": "Export as JSON",
    "Die letzten {n} Einträge.": "The last {n} entries.",
    # public
    "Veröffentlichte Tabellen": "Published tables",
    "Noch keine Veröffentlichungen.": "No releases yet.",
    "Veröffentlicht": "Published",
}

# issue 13: reference data of the cross-release checks, wide layouts, the review page's comparison section
EN.update({
    "Abgleich mit früheren Veröffentlichungen": "Comparison with earlier releases",
    "Befunde sperren die Freigabe (siehe Befunde)": "Findings block approval (see findings)",
    "Breite Form: die Zählspalten sind sich ausschließende Teile eines Ganzen (werden zu „Insgesamt“ summiert)":
        "Wide layout: the count columns are mutually exclusive parts of one whole (summed into 'Insgesamt')",
    "Die Population ist eine Teilmenge dieser Population; die Angabe lässt sich später nicht ändern.":
        "The population is a subset of this population; this cannot be changed later.",
    "Gliedern zwei Tabellen desselben Zeitraums ein Merkmal verschieden, muss hier erklärt sein, was die "
    "Kategorien sind: eine Zusammenfassung anderer Kategorien (z. B. „Duldung oder Sonstige“ = Duldung + "
    "Sonstige) oder eine eigene Kategorie. Erklärte Zusammenfassungen gehen in die Prüfung über "
    "Veröffentlichungen hinweg ein; ohne Erklärung wird nicht freigegeben.":
        "When two tables of the same period break a dimension down differently, what the categories are must be "
        "declared here: a grouping of other categories (e.g. 'Duldung oder Sonstige' = Duldung + Sonstige) or a "
        "category of its own. Declared groupings enter the cross-release check; without a declaration nothing "
        "is approved.",
    "Kategorie": "Category",
    "Kategorie erklären": "Declare category",
    "Kategorie {name} erklärt.": "Category {name} declared.",
    "Kategorien": "Categories",
    "Kategorien und Zusammenfassungen": "Categories and groupings",
    "Keine früheren Veröffentlichungen dieser Population oder Reihe.":
        "No earlier releases of this population or series.",
    "Merkmal": "Dimension",
    "Population": "Population",
    "Population anlegen": "Create population",
    "Population {name} angelegt.": "Population {name} created.",
    "Population {name} ist nicht mehr wählbar.": "Population {name} can no longer be chosen.",
    "Populationen": "Populations",
    "Schlüssel": "Key",
    "Spalten wie „darunter weiblich“, die Teil einer anderen Spalte sind: werden weder summiert noch "
    "veröffentlicht (durch Komma getrennt).":
        "Columns such as 'darunter weiblich' that are part of another column: neither summed nor published "
        "(comma-separated).",
    "Spaltenname des Merkmals, z. B. aufenthaltsstatus": "Column name of the dimension, e.g. aufenthaltsstatus",
    "Teil von": "Part of",
    "Teil von: {names}": "Part of: {names}",
    "Teile durch Komma getrennt, z. B. Duldung, Sonstige; leer: eine eigene Kategorie":
        "Parts separated by commas, e.g. Duldung, Sonstige; empty: a category of its own",
    "Untersummen (breite Form)": "Sub-totals (wide layout)",
    "Verglichene Veröffentlichungen ({n})": "Releases compared ({n})",
    "Warum": "Why",
    "Wer gezählt wird; Tabellen derselben (oder einer ineinander enthaltenen) Population werden zusammen "
    "geprüft. Die Liste pflegen Administratoren.":
        "Who is counted; tables of the same (or a nested) population are checked together. Admins keep the list.",
    "Wer in einer Tabelle gezählt wird. Einreichungen wählen eine der aktuellen Populationen; Tabellen "
    "ineinander enthaltener Populationen desselben Zeitraums werden zusammen geprüft (ihre Differenz ist auch "
    "eine Tabelle).":
        "Who a table counts. Submissions choose one of the current populations; tables of nested populations of "
        "the same period are checked together (their difference is a table too).",
    "aufheben": "revoke",
    "besteht aus": "consists of",
    "die korrigierte Veröffentlichung": "the corrected release",
    "eigene Kategorie": "category of its own",
    "früherer Zeitraum": "earlier period",
    "gleicher Zeitraum, gleiche Population": "same period, same population",
    "gleicher Zeitraum, ineinander enthaltene Population": "same period, nested population",
    "bitte wählen": "please choose",
    "keine Aufdeckung über Veröffentlichungen hinweg": "no disclosure across releases",
    "keine erklärte Population: die Reihe {key} ist ihre eigene Population":
        "no declared population: series {key} is its own population",
    "keiner (eigenständig)": "none (stands alone)",
    "leer: aus dem Namen gebildet": "empty: derived from the name",
    "nicht mehr wählbar": "no longer selectable",
    "nicht mehr wählbar seit {date}": "no longer selectable since {date}",
    "wählbar": "selectable",
    "z. B. Duldung oder Sonstige": "e.g. Duldung oder Sonstige",
    "z. B. Geflüchtete ohne Ukraine": "e.g. Geflüchtete ohne Ukraine",
    "zusammen geprüft mit: {names}": "checked together with: {names}",
    "… und {n} weitere.": "… and {n} more.",
})


def current_lang() -> str:
    """The UI language of the current request (``de`` outside a request)."""
    try:
        from flask import g, has_request_context, request
    except ImportError:  # pragma: no cover
        return DEFAULT_LANG
    if not has_request_context():
        return DEFAULT_LANG
    lang = getattr(g, "freigabe_lang", None)
    if lang is None:
        lang = select_lang(request)
        g.freigabe_lang = lang
    return lang


def select_lang(request) -> str:
    """``?lang=`` wins, then the cookie, then German.  (The browser's Accept-Language is not used:
    German is the official default; English is a deliberate choice.)"""
    for value in (request.args.get("lang"), request.cookies.get(LANG_COOKIE)):
        if value and value.lower()[:2] in LANGS:
            return value.lower()[:2]
    return DEFAULT_LANG


def gettext(text: str, **params: Any) -> str:
    lang = current_lang()
    out = EN.get(text, text) if lang == "en" else text
    return out.format(**params) if params else out


_ = gettext


def missing_translations(msgids) -> list[str]:
    return sorted(m for m in set(msgids) if m not in EN)


# --- formatting (Flask-Babel) ------------------------------------------------------------------------

def format_number(value: Any) -> str:
    """German number format (``1.234``, ``0,5``); anything that is not a finite number is shown as it is."""
    import math

    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return gettext("ja") if value else gettext("nein")
    try:
        from flask_babel import format_decimal

        if isinstance(value, str):
            value = float(value) if any(ch in value for ch in ".eE") else int(value)
        if isinstance(value, float) and not math.isfinite(value):
            return str(value)
        return format_decimal(value)
    except (ValueError, TypeError, ArithmeticError):
        return str(value)


def format_date(value: Any) -> str:
    if not value:
        return ""
    from flask_babel import format_date as fd
    from flask_babel import format_datetime as fdt

    pattern = "dd.MM.yyyy" if current_lang() == "de" else "d MMM yyyy"
    return fdt(value, pattern) if isinstance(value, dt.datetime) else fd(value, pattern)


def format_datetime(value: Any) -> str:
    if not value:
        return ""
    from flask_babel import format_datetime as fdt

    return fdt(value, "dd.MM.yyyy HH:mm" if current_lang() == "de" else "medium")


ACTION_LABELS = {"submit": "eingereicht", "approve": "freigegeben", "approve_first": "erste Freigabe",
                 "return": "zurückgegeben", "reject": "abgelehnt", "withdraw": "zurückgezogen",
                 "resubmit": "erneut eingereicht"}


def action_label(action: str) -> str:
    """A workflow action (decision) as a past-tense word in the UI language."""
    return gettext(ACTION_LABELS[action]) if action in ACTION_LABELS else action


def role_label(role: str) -> str:
    labels = {"submitter": "Statistikstelle", "approver": "Datenschutzbeauftragte/r",
              "admin": "Administration", "reader": "Lesende"}
    return gettext(labels.get(role, role))


def init_app(app) -> None:
    from flask import g, request
    from flask_babel import Babel

    app.config.setdefault("BABEL_DEFAULT_LOCALE", DEFAULT_LANG)
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", TIMEZONE)
    Babel(app, locale_selector=current_lang, timezone_selector=lambda: TIMEZONE)

    @app.after_request
    def _remember_lang(response):
        chosen = request.args.get("lang")
        if chosen and chosen.lower()[:2] in LANGS and request.cookies.get(LANG_COOKIE) != chosen.lower()[:2]:
            response.set_cookie(LANG_COOKIE, chosen.lower()[:2], max_age=365 * 24 * 3600, samesite="Lax",
                                secure=bool(app.config.get("SESSION_COOKIE_SECURE", True)), httponly=True)
        return response

    app.jinja_env.globals.update(_=gettext, gettext=gettext, current_lang=current_lang, LANGS=LANGS,
                                 role_label=role_label, action_label=action_label)
    app.jinja_env.filters.update(zahl=format_number, datum=format_date, datumzeit=format_datetime)
    _ = g
