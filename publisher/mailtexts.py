"""The German texts of Freigabe's e-mails (issue 18): subject and body per kind, with a link to the page.

A mail names the submission (number, title, series, reference period) and what happened - never a value, an
area or a comment of the table (a comment may quote cells): the table is only behind the sign-on.  The texts
are German only (the city's staff); the UI catalogue (``publisher/translations``) is for pages.
"""
from __future__ import annotations

from dataclasses import dataclass

SIGNATURE = ("\n-- \nFreigabe – Veröffentlichung kommunaler Statistik\n"
             "Diese Nachricht wurde automatisch erstellt. Sie enthält keine Tabellenwerte.\n")
PREFS_HINT = "Benachrichtigungen einstellen (sofort / täglich gesammelt / aus): {prefs}\n"


@dataclass(frozen=True)
class Text:
    subject: str
    body: str  # str.format with the fields of :func:`render`


TEXTS: dict[str, Text] = {
    "submission.waiting": Text(
        "[Freigabe] Prüfung wartet: {title} ({period})",
        "die Einreichung Nr. {id} „{title}“ (Reihe {series}, Zeitraum {period}) von {submitter} wartet auf "
        "Ihre Prüfung.\n\nZur Prüfung: {link}\n"),
    "submission.reminder": Text(
        "[Freigabe] Erinnerung: Prüfung wartet seit {days} Tagen – {title} ({period})",
        "die Einreichung Nr. {id} „{title}“ (Reihe {series}, Zeitraum {period}) von {submitter} wartet seit "
        "{since} auf eine Prüfung.\n\nZur Prüfung: {link}\n"),
    "submission.returned": Text(
        "[Freigabe] Zur Überarbeitung zurückgegeben: {title} ({period})",
        "Ihre Einreichung Nr. {id} „{title}“ (Reihe {series}, Zeitraum {period}) wurde von {actor} zur "
        "Überarbeitung zurückgegeben. Die Begründung lesen Sie in Freigabe.\n\nZur Einreichung: {link}\n"),
    "submission.rejected": Text(
        "[Freigabe] Abgelehnt: {title} ({period})",
        "Ihre Einreichung Nr. {id} „{title}“ (Reihe {series}, Zeitraum {period}) wurde von {actor} abgelehnt. "
        "Die Begründung lesen Sie in Freigabe.\n\nZur Einreichung: {link}\n"),
    "submission.approved": Text(
        "[Freigabe] Freigegeben: {title} ({period})",
        "Ihre Einreichung Nr. {id} „{title}“ (Reihe {series}, Zeitraum {period}) wurde von {actor} "
        "freigegeben.{embargo} Die Veröffentlichung folgt automatisch.\n\nZur Einreichung: {link}\n"),
    "submission.first_approval": Text(
        "[Freigabe] Zweite Freigabe nötig: {title} ({period})",
        "die Einreichung Nr. {id} „{title}“ (Reihe {series}, Zeitraum {period}) hat die erste Freigabe von "
        "{actor}; sie braucht die Freigabe einer zweiten Person.\n\nZur Prüfung: {link}\n"),
    "publication.completed": Text(
        "[Freigabe] Veröffentlicht: {title} ({period})",
        "die Einreichung Nr. {id} „{title}“ (Reihe {series}, Zeitraum {period}) ist veröffentlicht "
        "({audience}).\n\nZur Veröffentlichung: {link}\n"),
    "publication.failed": Text(
        "[Freigabe] FEHLER bei der Veröffentlichung: {title} ({period})",
        "die Veröffentlichung der freigegebenen Einreichung Nr. {id} „{title}“ (Reihe {series}, Zeitraum "
        "{period}) ist fehlgeschlagen. Nichts wurde teilweise veröffentlicht, was nicht freigegeben war; die "
        "Einreichung steht wieder auf „Freigegeben“. Was schiefging und wie es weitergeht, steht auf der Seite "
        "der Einreichung.\n\nZur Einreichung: {link}\n"),
    "series.standing_release": Text(
        "[Freigabe] Automatisch freigegeben (Daueranfreigabe): {title} ({period})",
        "der Zeitraum {period} der Reihe {series} (Einreichung Nr. {id} „{title}“ von {submitter}) wurde unter "
        "Ihrer Daueranfreigabe automatisch freigegeben: Struktur unverändert, keine Befunde. Sie können die "
        "Veröffentlichung jederzeit zurückziehen.\n\nZur Einreichung: {link}\n"),
    "embargo.ended": Text(
        "[Freigabe] Sperrfrist abgelaufen, veröffentlicht: {title} ({period})",
        "die Sperrfrist der Einreichung Nr. {id} „{title}“ (Reihe {series}, Zeitraum {period}) ist am {embargo} "
        "abgelaufen; die Veröffentlichung ist erfolgt.\n\nZur Veröffentlichung: {link}\n"),
    "digest": Text(
        "[Freigabe] Tägliche Übersicht: {n} Benachrichtigung(en)",
        "hier sind die Benachrichtigungen seit der letzten Übersicht:\n\n{items}\n"),
    "invitation": Text(
        "[Freigabe] Einladung in den Download-Bereich „{group}“",
        "{inviter} lädt Sie in den Download-Bereich „{group}“ der {publisher} ein.\n\nMit diesem Link legen "
        "Sie Ihr Konto an (einmal nutzbar, gültig bis {link_expires}):\n{link}\n\nIhr Konto läuft am "
        "{account_expires} ab. Wenn Sie keine Einladung erwartet haben, ignorieren Sie diese Nachricht.\n"),
    "account.expiry_reminder": Text(
        "[Freigabe] Ihr Zugang läuft am {expires} ab",
        "Ihr Zugang zu Freigabe ({username}) läuft am {expires} ab. Wenn Sie ihn länger brauchen, wenden Sie "
        "sich an {inviter}.\n\nAnmelden: {link}\n"),
    "account.expiry_reminder_inviter": Text(
        "[Freigabe] Zugang von {username} läuft am {expires} ab",
        "der Zugang des externen Kontos {username} ({email}) zum Download-Bereich läuft am {expires} ab. "
        "Verlängern können Sie ihn in Freigabe.\n\nZur Einladungsübersicht: {link}\n"),
    "account.password_reset": Text(
        "[Freigabe] Ihr Passwort wurde zurückgesetzt",
        "{admin} hat das Passwort Ihres Kontos {username} zurückgesetzt. Ihr Einmal-Passwort:\n\n    {password}"
        "\n\nMelden Sie sich damit an und wählen Sie sofort ein neues Passwort: {link}\n\nDas Einmal-Passwort "
        "sieht niemand außer Ihnen. Wenn Sie das nicht veranlasst haben, melden Sie es bitte sofort der "
        "Datenschutzstelle.\n"),
    "request.delivery": Text(
        "[Freigabe] Ihre Anfrage Nr. {id}: Daten bereit",
        "Ihre Anfrage Nr. {id} („{subject_short}“) ist beantwortet. Die Tabelle laden Sie über diesen "
        "persönlichen Link herunter (nur für Sie; gültig bis {expires}; nach dem ersten Herunterladen noch "
        "{window} Minuten, danach ist er erloschen):\n{link}\n\nDie Tabelle selbst ist nicht in dieser "
        "Nachricht. Bitte geben Sie den Link nicht weiter.\n"),
}

GREETING = "Guten Tag {name},\n\n"


def render(kind: str, fields: dict, *, name: str = "", prefs: str = "") -> tuple[str, str]:
    """(subject, body) of ``kind`` with ``fields``; ``name`` greets the recipient, ``prefs`` links the settings."""
    t = TEXTS[kind]
    safe = {k: ("" if v is None else v) for k, v in fields.items()}
    subject = t.subject.format(**safe).replace("\n", " ")[:300]
    body = (GREETING.format(name=name) if name else "Guten Tag,\n\n") + t.body.format(**safe)
    if prefs:
        body += "\n" + PREFS_HINT.format(prefs=prefs)
    return subject, body + SIGNATURE
