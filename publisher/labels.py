"""German labels (message ids of the UI catalogue, :mod:`publisher.i18n`) for codes stored in data.

The codes stay what they are in the database, the API and exports (``submission.approved``,
``submissions``); pages show the label in the UI language: ``event_label``, ``object_label``, ``column_label``,
``job_label`` (template globals).  A code without a label is shown as it is: add a label here when you add an audit event.
"""
from __future__ import annotations

from publisher.i18n import N_, current_lang, translate

EVENT_LABELS = {
    "submission.created": N_("Entwurf angelegt"),
    "submission.draft_updated": N_("Entwurf geändert"),
    "submission.submitted": N_("Zur Prüfung eingereicht"),
    "submission.withdrawn": N_("Einreichung zurückgezogen"),
    "submission.first_approval": N_("Erste Freigabe erteilt"),
    "submission.approved": N_("Freigegeben"),
    "submission.returned": N_("Zur Überarbeitung zurückgegeben"),
    "submission.rejected": N_("Abgelehnt"),
    "submission.resubmitted": N_("Überarbeitet erneut eingereicht"),
    "publication.started": N_("Veröffentlichung begonnen"),
    "publication.completed": N_("Veröffentlichung abgeschlossen"),
    "publication.failed": N_("Veröffentlichung fehlgeschlagen"),
    "publication.queued": N_("Veröffentlichungsauftrag angelegt"),
    "publication.withdraw_queued": N_("Rücknahmeauftrag angelegt"),
    "publication.publish_done": N_("Auftrag erledigt: veröffentlicht"),
    "publication.withdraw_done": N_("Auftrag erledigt: zurückgenommen"),
    "publication.job_failed": N_("Veröffentlichungsauftrag endgültig fehlgeschlagen"),
    "publication.job_retry": N_("Veröffentlichungsauftrag wird wiederholt"),
    "publication.job_retried": N_("Fehlgeschlagene Veröffentlichung erneut angestoßen"),
    "publication.job_taken_over": N_("Veröffentlichungsauftrag übernommen"),
    "publication.alert": N_("Warnung zur Veröffentlichung"),
    "release.withdrawn": N_("Veröffentlichung zurückgezogen"),
    # issue 14
    "release.stopped": N_("Veröffentlichung gestoppt"),
    "publication.job_cancelled": N_("Veröffentlichungsauftrag gestoppt"),
    "user.role_requested": N_("Rolle beantragt (wartet auf zweite Person)"),
    "user.role_request_cancelled": N_("Rollenantrag aufgehoben"),
    "user.password_reset": N_("Passwort zurückgesetzt"),
    "session.logout": N_("Abgemeldet (alle Sitzungen beendet)"),
    "login.backoff": N_("Anmeldung von diesem Gerät pausiert"),
    "raw.read": N_("Rohdaten gelesen"),
    "raw.refused": N_("Zugriff auf Rohdaten verweigert"),
    "audit.anonymous_suppressed": N_("Anonyme Ereignisse nur gezählt"),
    "retention.report_redacted": N_("Bericht nach Aufbewahrungsfrist geschwärzt"),
    "release.embargo_set": N_("Sperrfrist gesetzt"),
    "series.created": N_("Reihe angelegt"),
    "series.standing_approval_granted": N_("Daueranfreigabe erteilt"),
    "series.standing_approval_revoked": N_("Daueranfreigabe aufgehoben"),
    "series.standing_release": N_("Automatisch veröffentlicht (Daueranfreigabe)"),
    "series.standing_review_needed": N_("Prüfung nötig (Daueranfreigabe)"),
    "download.file": N_("Datei heruntergeladen"),
    "download.refused": N_("Download verweigert"),
    "download.log_purged": N_("Download-Protokoll bereinigt"),
    "retention.raw_deleted": N_("Rohdatei gelöscht (Aufbewahrungsfrist)"),
    "hierarchy.imported": N_("Hierarchie importiert"),
    "boundaries.uploaded": N_("Gebietsgrenzen hochgeladen"),
    "ruleset.created": N_("Regelwerk angelegt"),
    "population.created": N_("Population angelegt"),
    "population.retired": N_("Population außer Kraft gesetzt"),
    "category_grouping.created": N_("Kategorie erklärt"),
    "category_grouping.retired": N_("Kategorie-Erklärung aufgehoben"),
    "group.created": N_("Gruppe angelegt"),
    "user.created": N_("Benutzer angelegt"),
    "user.activated": N_("Benutzer aktiviert"),
    "user.deactivated": N_("Benutzer deaktiviert"),
    "user.locked": N_("Benutzer gesperrt"),
    "user.unlocked": N_("Benutzer entsperrt"),
    "user.password_changed": N_("Passwort geändert"),
    "user.role_changed": N_("Rolle geändert"),
    "token.created": N_("API-Token angelegt"),
    "token.revoked": N_("API-Token widerrufen"),
    "login.succeeded": N_("Anmeldung erfolgreich"),
    "login.failed": N_("Anmeldung fehlgeschlagen"),
    "login.refused_locked": N_("Anmeldung abgewiesen (Konto gesperrt)"),
    "ratelimit.login": N_("Zu viele Anmeldeversuche"),
    "ratelimit.api": N_("Zu viele API-Anfragen"),
    "ratelimit.dav": N_("Zu viele fehlgeschlagene WebDAV-Anmeldungen"),
}

# object types of audit rows (table names)
OBJECT_LABELS = {
    "submissions": N_("Einreichung"), "submission_versions": N_("Version"), "decisions": N_("Entscheidung"),
    "users": N_("Benutzer"), "groups": N_("Gruppe"), "api_tokens": N_("API-Token"),
    "hierarchies": N_("Hierarchie"), "rule_sets": N_("Regelwerk"), "series": N_("Reihe"),
    "publication_jobs": N_("Veröffentlichungsauftrag"), "release_embargoes": N_("Sperrfrist"),
    "series_standing_approvals": N_("Daueranfreigabe"), "notifications": N_("Benachrichtigung"),
    "release_ledger": N_("Veröffentlichung"), "stored_files": N_("Gespeicherte Datei"),
    "download": N_("Download"), "download_records": N_("Download-Protokoll"), "stored_file": N_("Gespeicherte Datei"),
    "security": N_("Sicherheit"),
    "populations": N_("Population"), "category_groupings": N_("Kategorie-Erklärung"),
}


# columns of the release table (the published CSV keeps them; the preview on the release page shows labels)
COLUMN_LABELS = {"level": N_("Ebene"), "area": N_("Gebiet"), "count": N_("Anzahl"), "status": N_("Status"),
                 "revision": N_("Berichtigung")}


def column_label(column: str, lang: str | None = None) -> str:
    return translate(COLUMN_LABELS[column], lang or current_lang()) if column in COLUMN_LABELS else column


# publication jobs (publisher.models.PublicationJob): purpose and state
JOB_LABELS = {"publish": N_("veröffentlichen"), "withdraw": N_("zurücknehmen"), "pending": N_("wartet"),
              "running": N_("läuft"), "done": N_("erledigt"), "failed": N_("fehlgeschlagen")}


def job_label(value: str, lang: str | None = None) -> str:
    return translate(JOB_LABELS[value], lang or current_lang()) if value in JOB_LABELS else value


def event_label(event: str, lang: str | None = None) -> str:
    return translate(EVENT_LABELS[event], lang or current_lang()) if event in EVENT_LABELS else event


def object_label(object_type: str, lang: str | None = None) -> str:
    return translate(OBJECT_LABELS[object_type], lang or current_lang()) if object_type in OBJECT_LABELS \
        else object_type


def init_app(app) -> None:
    app.jinja_env.globals.update(event_label=event_label, object_label=object_label, column_label=column_label,
                                 job_label=job_label)


# --- issue 18: directory sign-on, invitations, individual requests, e-mail ----------------------------------
EVENT_LABELS.update({
    "mail.sent": N_("E-Mail versandt"),
    "mail.failed": N_("E-Mail endgültig nicht zustellbar"),
    "mail.dropped": N_("E-Mail nicht mehr versandt (erledigt)"),
    "notifications.preference_changed": N_("Benachrichtigungen eingestellt"),
})
OBJECT_LABELS.update({
    "mail_outbox": N_("E-Mail"),
})
EVENT_LABELS.update({
    "directory.account_created": N_("Konto aus dem Verzeichnis angelegt"),
    "directory.account_updated": N_("Konto aus dem Verzeichnis aktualisiert"),
    "directory.account_disabled": N_("Konto vom Verzeichnis deaktiviert"),
})
OBJECT_LABELS.update({"directory_accounts": N_("Verzeichniskonto")})
EVENT_LABELS.update({
    "invitation.created": N_("Einladung verschickt"),
    "invitation.accepted": N_("Einladung angenommen"),
    "invitation.refused": N_("Einladungslink abgewiesen"),
    "invitation.revoked": N_("Einladung zurückgezogen"),
    "account.expiry_changed": N_("Ablaufdatum des Kontos geändert"),
    "account.expired": N_("Konto abgelaufen"),
    "group.owner_added": N_("Gruppenverantwortliche eingetragen"),
})
OBJECT_LABELS.update({"invitations": N_("Einladung")})
EVENT_LABELS.update({
    "request.recorded": N_("Einzelanfrage erfasst"),
    "request.prepared": N_("Antwort auf Einzelanfrage vorbereitet"),
    "request.delivered": N_("Einzelanfrage beantwortet (Link verschickt)"),
    "request.link_reissued": N_("Neuer Link zur Einzelanfrage"),
    "request.downloaded": N_("Einzelanfrage heruntergeladen"),
    "request.link_refused": N_("Link zur Einzelanfrage abgewiesen"),
    "request.closed": N_("Einzelanfrage abgeschlossen"),
})
OBJECT_LABELS.update({"individual_requests": N_("Einzelanfrage"), "delivery_links": N_("Lieferlink")})

# --- issue 17 item 4: reports (publisher.report_states) ------------------------------------------------------
EVENT_LABELS.update({
    "report.created": N_("Bericht angelegt"),
    "report.member_added": N_("Tabelle zum Bericht hinzugefügt"),
    "report.member_removed": N_("Tabelle aus dem Bericht entfernt"),
    "report.completed": N_("Zusammenstellung des Berichts abgeschlossen"),
    "report.member_held": N_("Freigegebene Tabelle bis zur Freigabe des ganzen Berichts zurückgehalten"),
    "report.released": N_("Bericht freigegeben (alle Tabellen freigegeben)"),
    "report.published": N_("Bericht veröffentlicht"),
    "report.withdrawn": N_("Bericht zurückgezogen"),
})
OBJECT_LABELS.update({"reports": N_("Bericht")})
