"""All settings of Freigabe, read in ONE place from ``FREIGABE_*`` environment variables.

Every setting is declared in :data:`SETTINGS` (env name, config key, type, default, description).
``docs/operations.md`` (section "Settings") documents each of them; ``tests/service/test_config.py``
fails when one is missing from the docs.  ``create_app(config)`` lets tests override any key.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Mapping

REPO_ROOT = Path(__file__).resolve().parent.parent


def _bool(value: str) -> bool:
    v = value.strip().lower()
    if v in {"1", "true", "yes", "on", "ja"}:
        return True
    if v in {"0", "false", "no", "off", "nein", ""}:
        return False
    raise ValueError(f"not a boolean: {value!r}")


def _str(value: str) -> str:
    return value


@dataclass(frozen=True)
class Setting:
    env: str  # environment variable name (FREIGABE_...)
    key: str  # Flask config key
    parse: Callable[[str], Any]
    default: Any  # None = computed (see load_settings)
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting("FREIGABE_DATA_DIR", "DATA_DIR", _str, str(REPO_ROOT / "var"),
            "Directory for the SQLite database, the secret-key file and the file storage."),
    Setting("FREIGABE_DATABASE_URL", "DATABASE_URL", _str, None,
            "SQLAlchemy database URL. Default: sqlite:///<DATA_DIR>/freigabe.sqlite3. "
            "PostgreSQL 15: postgresql+psycopg://user:pw@host/db."),
    Setting("FREIGABE_STORAGE_DIR", "STORAGE_DIR", _str, None,
            "Content-addressed file storage (uploads, artifacts). Default: <DATA_DIR>/storage."),
    Setting("FREIGABE_SECRET_KEY", "SECRET_KEY", _str, None,
            "Flask secret key. If unset, one is generated on first start and kept in <DATA_DIR>/secret_key."),
    Setting("FREIGABE_MAX_UPLOAD_BYTES", "MAX_CONTENT_LENGTH", int, 256 * 1024 * 1024,
            "Upload size limit in bytes (requests and files); larger uploads are refused. A long CSV of 10^6 "
            "cells is 20-40 MB."),
    Setting("FREIGABE_LOCKOUT_THRESHOLD", "LOCKOUT_THRESHOLD", int, 5,
            "Failed logins of one client (address) for one user name after which that client waits (30 s, "
            "doubling with each further failure); other clients - the account's owner - are not affected."),
    Setting("FREIGABE_LOCKOUT_MINUTES", "LOCKOUT_MINUTES", int, 15,
            "Longest wait of a client after failed logins (minutes)."),
    Setting("FREIGABE_RATE_LIMIT_LOGIN", "RATE_LIMIT_LOGIN", _str, "10/60",
            "Login attempts allowed per username, as N/SECONDS (per client address 5 x N; empty or 0: no "
            "limit); more get HTTP 429 with Retry-After. Counted per process."),
    Setting("FREIGABE_RATE_LIMIT_API", "RATE_LIMIT_API", _str, "300/60",
            "API requests allowed per bearer token, as N/SECONDS (empty or 0: no limit); more get HTTP 429 "
            "with Retry-After. Counted per process."),
    Setting("FREIGABE_PROXY_COUNT", "PROXY_COUNT", int, 0,
            "Number of trusted reverse proxies in front of Freigabe (0: none). When set, the client address "
            "for rate limits and audit is taken from that many X-Forwarded-For hops (and scheme/host from "
            "X-Forwarded-Proto/-Host); never set it higher than the proxies you run, or clients can forge it."),
    Setting("FREIGABE_RETENTION_DAYS", "RETENTION_DAYS", int, 90,
            "Raw uploads are deleted this many days after publication or rejection (`freigabe retention run`)."),
    Setting("FREIGABE_DOWNLOAD_LOG_RETENTION_DAYS", "DOWNLOAD_LOG_RETENTION_DAYS", int, 365,
            "Download records (who downloaded which file) are deleted after this many days (`freigabe retention run`)."),
    Setting("FREIGABE_TWO_APPROVALS", "TWO_APPROVALS", _bool, False,
            "Require two independent approvals (two different approvers, neither the submitter)."),
    Setting("FREIGABE_SESSION_COOKIE_SECURE", "SESSION_COOKIE_SECURE", _bool, True,
            "Send the session cookie over HTTPS only (set to false for plain-HTTP local demos)."),
    Setting("FREIGABE_DEFAULT_LICENCE", "DEFAULT_LICENCE", _str, "dl-de/by-2-0",
            "Licence preset for new submissions."),
    Setting("FREIGABE_CKAN_URL", "CKAN_URL", _str, "",
            "Base URL of the CKAN portal publications go to (empty: CKAN target disabled)."),
    Setting("FREIGABE_CKAN_TOKEN", "CKAN_TOKEN", _str, "",
            "API token of the CKAN user that publishes."),
    Setting("FREIGABE_CKAN_ORG", "CKAN_ORG", _str, "",
            "CKAN organisation (name) that owns the published datasets."),
    Setting("FREIGABE_CKAN_TIMEOUT", "CKAN_TIMEOUT", float, 30.0,
            "Timeout in seconds of each call to CKAN; a stalled portal then counts as a passing failure (retried)."),
    Setting("FREIGABE_DOWNLOAD_DIR", "DOWNLOAD_DIR", _str, None,
            "Root of the restricted download area. Default: <DATA_DIR>/downloads."),
    Setting("FREIGABE_WORKER_MAX_ATTEMPTS", "WORKER_MAX_ATTEMPTS", int, 8,
            "Publication jobs are retried with backoff up to this many attempts."),
    Setting("FREIGABE_WORKER_LEASE_SECONDS", "WORKER_LEASE_SECONDS", int, 600,
            "A running publication job whose worker gave no sign for this long is taken over by another worker."),
    Setting("FREIGABE_WORKER_IN_PROCESS", "WORKER_IN_PROCESS", _bool, False,
            "Run a publication worker thread inside the web process (used by `make demo`; production: "
            "`freigabe worker` as its own service)."),
    Setting("FREIGABE_PUBLISHER_NAME", "PUBLISHER_NAME", _str, "Statistikstelle",
            "Publisher named in the data packages' DCAT-AP.de metadata."),
    Setting("FREIGABE_PUBLISHER_EMAIL", "PUBLISHER_EMAIL", _str, "",
            "Contact e-mail of the publisher in the metadata (empty: none)."),
    Setting("FREIGABE_GEOCODING_URI", "GEOCODING_URI", _str,
            "http://dcat-ap.de/def/politicalGeocoding/municipalityKey/00000000",
            "DCAT-AP.de politicalGeocodingURI of the municipality (set your Gemeindeschlüssel)."),
    Setting("FREIGABE_DOWNLOAD_TOPIC", "DOWNLOAD_TOPIC", _str, "statistik",
            "Folder/topic under which releases are filed in the download area."),
    # --- targets (issue 15) ---
    Setting("FREIGABE_PUBLIC_URL", "PUBLIC_URL", _str, "",
            "Base URL under which the public reaches Freigabe (e.g. https://statistik.stadt.example/freigabe): "
            "release pages become the DCAT landing pages and download-area URLs appear in the DCAT records "
            "(empty: the portal's dataset page is the landing page)."),
    Setting("FREIGABE_CONTRIBUTOR_ID", "CONTRIBUTOR_ID", _str, "",
            "DCAT-AP.de contributorID of the office (an IRI from http://dcat-ap.de/def/contributors/, required "
            "by GovData's harvesting convention K12/13)."),
    Setting("FREIGABE_DEFAULT_THEMES", "DEFAULT_THEMES", _str, "SOCI",
            "EU data-theme codes (comma-separated) of a series whose metadata names none; each becomes a CKAN "
            "group and a dcat:theme."),
    Setting("FREIGABE_CKAN_LICENSE_MAP", "CKAN_LICENSE_MAP", _str, "",
            "Licence key -> the portal's licence id, as 'dl-de/by-2-0=dl-by-de/2.0; cc-by-4.0=CC-BY-4.0' "
            "(empty: looked up in the portal's license_list by id, URL or title)."),
    Setting("FREIGABE_MAX_TABLE_CELLS", "MAX_TABLE_CELLS", int, 100_000_000,
            "Largest table the engine reads, in cells = rows x columns of the file (uploads, `freigabe check`). "
            "Refused early with FG-READ-TOO-MANY-CELLS-ESTIMATED (estimate from the file size and the first MiB) "
            "or FG-READ-TOO-MANY-CELLS (exact count). Memory: see docs/performance.md (about 2 GB peak per "
            "10^7 cells of a 5-column long table)."),
    Setting("FREIGABE_MAX_TABLE_BYTES", "MAX_TABLE_BYTES", int, 2 * 1024 * 1024 * 1024,
            "Largest table file the engine reads, in bytes (checked from the file size before reading: "
            "FG-READ-TOO-LARGE). Uploads are limited by FREIGABE_MAX_UPLOAD_BYTES first."),
    Setting("FREIGABE_RELEASE_PAGE_RECHECK_SECONDS", "RELEASE_PAGE_RECHECK_SECONDS", float, 1.0,
            "Public release pages are drawn once per published state and served from memory; each web process "
            "reads that state again after its own commits and at the latest after this many seconds (a "
            "withdrawal made by another process shows within this time). 0: read it on every request."),
    Setting("FREIGABE_MAX_BOUNDARY_BYTES", "MAX_BOUNDARY_BYTES", int, 50 * 1024 * 1024,
            "Largest boundary GeoJSON an admin may upload per hierarchy version, in bytes (geo.too_large)."),
    # --- issue 14 (trust) ---
    Setting("FREIGABE_SESSION_MAX_HOURS", "SESSION_MAX_HOURS", float, 8.0,
            "Absolute lifetime of a web session in hours, from login; then the user logs in again."),
    Setting("FREIGABE_SESSION_IDLE_MINUTES", "SESSION_IDLE_MINUTES", float, 30.0,
            "A web session without a request for this many minutes has ended."),
    Setting("FREIGABE_AUDIT_KEY", "AUDIT_KEY", _str, "",
            "Secret key of the audit chain's HMAC (kept outside the database). Empty: the key file is used."),
    Setting("FREIGABE_AUDIT_KEY_FILE", "AUDIT_KEY_FILE", _str, None,
            "File with the audit HMAC key, created with a random key (mode 0600) on first start. "
            "Default: <DATA_DIR>/audit_key. Keep it (and a copy) where database writers cannot read it."),
    Setting("FREIGABE_AUDIT_ANCHOR", "AUDIT_ANCHOR", _str, None,
            "Where the audit chain's head is anchored outside the database: file:PATH (append-only file), "
            "syslog, or off. Default: file:<DATA_DIR>/audit_anchors.log."),
    Setting("FREIGABE_AUDIT_ANCHOR_EVERY", "AUDIT_ANCHOR_EVERY", int, 20,
            "Anchor the chain head after every this many new audit rows (plus `freigabe audit anchor`, e.g. hourly)."),
    Setting("FREIGABE_AUDIT_ANONYMOUS_PER_MINUTE", "AUDIT_ANONYMOUS_PER_MINUTE", int, 120,
            "Audit rows per minute and process for events of anonymous requests (failed logins, rate-limit "
            "hits); more are counted in one summary row."),
    Setting("FREIGABE_DAV_ENABLED", "DAV_ENABLED", _bool, True,
            "Serve the download area read-only over WebDAV (mapped network drive) at FREIGABE_DAV_PATH; sign-in "
            "with user name and an API token (app password), never the login password."),
    Setting("FREIGABE_DAV_PATH", "DAV_PATH", _str, "/dav",
            "URL path of the WebDAV share (Windows: \\\\host@SSL\\dav)."),
    Setting("FREIGABE_DAV_REQUIRE_HTTPS", "DAV_REQUIRE_HTTPS", _bool, True,
            "Refuse WebDAV over plain HTTP (403 before any password prompt; behind a TLS proxy set "
            "FREIGABE_PROXY_COUNT so the scheme is known). Only for local tests: false."),
    Setting("FREIGABE_IDEMPOTENCY_TTL_HOURS", "IDEMPOTENCY_TTL_HOURS", float, 24.0,
            "How long the API keeps the answer to a POST with an Idempotency-Key (a retry with the same key and "
            "request gets it again; afterwards the key counts as new)."),
    Setting("FREIGABE_IDEMPOTENCY_LOCK_SECONDS", "IDEMPOTENCY_LOCK_SECONDS", int, 600,
            "A request holding an Idempotency-Key that gave no answer for this long is taken to have died; "
            "another request with that key may then run."),
    # --- issue 18: directory sign-on, e-mail, invitations, individual requests (docs/operations.md) ---
    Setting("FREIGABE_APP_URL", "APP_URL", _str, "",
            "Base URL of the Freigabe web UI as its users reach it (e.g. https://freigabe.stadt.example); links in "
            "e-mails, invitations and delivery links start with it. Required when FREIGABE_SMTP_HOST is set."),
    Setting("FREIGABE_SMTP_HOST", "SMTP_HOST", _str, "",
            "SMTP server for e-mail notifications (empty: no e-mail is written or sent)."),
    Setting("FREIGABE_SMTP_PORT", "SMTP_PORT", int, 587,
            "Port of the SMTP server (587 submission with STARTTLS, 465 with FREIGABE_SMTP_TLS=implicit)."),
    Setting("FREIGABE_SMTP_TLS", "SMTP_TLS", _str, "starttls",
            "Transport security: starttls (default; refuses a server without STARTTLS), implicit (TLS from the "
            "first byte, port 465) or none (only for a relay on the same host)."),
    Setting("FREIGABE_SMTP_CA_FILE", "SMTP_CA_FILE", _str, "",
            "CA certificates (PEM) the SMTP server's certificate is checked against (empty: the system's)."),
    Setting("FREIGABE_SMTP_USERNAME", "SMTP_USERNAME", _str, "",
            "User name for SMTP AUTH (empty: no authentication)."),
    Setting("FREIGABE_SMTP_PASSWORD", "SMTP_PASSWORD", _str, "",
            "Password for SMTP AUTH (sent only after TLS is up)."),
    Setting("FREIGABE_SMTP_TIMEOUT", "SMTP_TIMEOUT", float, 30.0,
            "Timeout in seconds of the connection to the SMTP server; a failed attempt is retried with backoff."),
    Setting("FREIGABE_MAIL_FROM", "MAIL_FROM", _str, "freigabe@localhost",
            "Sender address of the e-mails (From)."),
    Setting("FREIGABE_MAIL_MAX_ATTEMPTS", "MAIL_MAX_ATTEMPTS", int, 10,
            "An e-mail that could not be delivered is retried with backoff (1 min, doubling, at most 1 h) up to "
            "this many attempts, then marked failed and audited (mail.failed)."),
    Setting("FREIGABE_MAIL_REMINDER_DAYS", "MAIL_REMINDER_DAYS", int, 3,
            "A submission waiting this many days for review is reminded to the approvers once a day (0: never)."),
    Setting("FREIGABE_MAIL_DAILY_HOUR", "MAIL_DAILY_HOUR", int, 7,
            "Hour (Europe/Berlin, 0-23) from which the daily reminders and digests of the day are sent."),
    Setting("FREIGABE_LDAP_URL", "LDAP_URL", _str, "",
            "Directory server for sign-on: ldaps://host:636, or ldap://host:389 with FREIGABE_LDAP_STARTTLS "
            "(empty: no directory, local accounts only). Plain LDAP without StartTLS is refused."),
    Setting("FREIGABE_LDAP_STARTTLS", "LDAP_STARTTLS", _bool, False,
            "Use StartTLS on an ldap:// URL (required for ldap://)."),
    Setting("FREIGABE_LDAP_CA_FILE", "LDAP_CA_FILE", _str, "",
            "CA certificates (PEM) the directory server's certificate is checked against (empty: the system's)."),
    Setting("FREIGABE_LDAP_BIND_DN", "LDAP_BIND_DN", _str, "",
            "Service account that looks up users and groups (AD: a user principal name such as "
            "svc-freigabe@stadt.example is accepted). Empty: anonymous search."),
    Setting("FREIGABE_LDAP_BIND_PASSWORD", "LDAP_BIND_PASSWORD", _str, "",
            "Password of the service account."),
    Setting("FREIGABE_LDAP_USER_BASE", "LDAP_USER_BASE", _str, "",
            "Search base of the user entries (e.g. ou=people,dc=stadt,dc=example)."),
    Setting("FREIGABE_LDAP_USER_FILTER", "LDAP_USER_FILTER", _str, "(&(objectClass=inetOrgPerson)(uid={username}))",
            "Filter that finds a user by the name typed at sign-on ({username}, escaped). AD: "
            "(&(objectClass=user)(sAMAccountName={username}))."),
    Setting("FREIGABE_LDAP_ACTIVE_FILTER", "LDAP_ACTIVE_FILTER", _str, "",
            "Filter the user entry must also match to be enabled (empty: every entry found is enabled). AD: "
            "(!(userAccountControl:1.2.840.113556.1.4.803:=2)); OpenLDAP with ppolicy: (!(pwdAccountLockedTime=*))."),
    Setting("FREIGABE_LDAP_GROUP_BASE", "LDAP_GROUP_BASE", _str, "",
            "Search base of the groups (e.g. ou=groups,dc=stadt,dc=example)."),
    Setting("FREIGABE_LDAP_GROUP_FILTER", "LDAP_GROUP_FILTER", _str, "(|(member={dn})(uniqueMember={dn}))",
            "Filter that finds the groups of a user ({dn} = the user's DN, escaped). AD with nested groups: "
            "(member:1.2.840.113556.1.4.1941:={dn})."),
    Setting("FREIGABE_LDAP_ROLE_GROUPS", "LDAP_ROLE_GROUPS", _str, "",
            "Directory group -> role, as 'approver=cn=dsb,ou=groups,dc=stadt,dc=example; submitter=cn=statistik,...' "
            "(a group by DN or by its cn); the first role in this list whose group the user is in wins. A user in "
            "none of these groups but in a download group is a reader; in none at all gets no access."),
    Setting("FREIGABE_LDAP_DOWNLOAD_GROUPS", "LDAP_DOWNLOAD_GROUPS", _str, "",
            "Directory group -> download-area group, as 'sozialplanung=cn=sozialplanung,ou=groups,...; ...'; the "
            "account's download groups follow the directory at every sign-on and sync."),
    Setting("FREIGABE_LDAP_NAME_ATTRIBUTE", "LDAP_NAME_ATTRIBUTE", _str, "displayName",
            "Attribute with the person's display name (falls back to cn)."),
    Setting("FREIGABE_LDAP_MAIL_ATTRIBUTE", "LDAP_MAIL_ATTRIBUTE", _str, "mail",
            "Attribute with the person's e-mail address (used for notifications)."),
    Setting("FREIGABE_LDAP_TIMEOUT", "LDAP_TIMEOUT", float, 10.0,
            "Timeout in seconds of each connection to the directory; unreachable: directory users cannot sign on "
            "(local accounts can)."),
    Setting("FREIGABE_LDAP_SYNC_MINUTES", "LDAP_SYNC_MINUTES", int, 60,
            "The worker checks every directory account against the directory this often (disabled, removed, "
            "moved between groups) and updates or deactivates it (0: only at sign-on)."),
    Setting("FREIGABE_INVITATION_DAYS", "INVITATION_DAYS", int, 14,
            "An invitation link for an external reader can be used once, within this many days."),
    Setting("FREIGABE_ACCOUNT_MAX_DAYS", "ACCOUNT_MAX_DAYS", int, 365,
            "Longest time an invited external reader's account may run (its expiry date is at most this far ahead)."),
    Setting("FREIGABE_ACCOUNT_REMIND_DAYS", "ACCOUNT_REMIND_DAYS", int, 14,
            "An external reader (and whoever invited them) is reminded this many days before the account expires."),
    Setting("FREIGABE_REQUEST_LINK_DAYS", "REQUEST_LINK_DAYS", int, 14,
            "A delivery link of an individual request that was never used dies after this many days."),
    Setting("FREIGABE_REQUEST_WINDOW_MINUTES", "REQUEST_WINDOW_MINUTES", int, 30,
            "The first download through a delivery link opens a window of this many minutes (for a repeated or "
            "interrupted download); afterwards the link is dead."),
)


def table_limits(environ: Mapping[str, str] | None = None) -> dict[str, int]:
    """``max_cells``/``max_bytes`` for the engine's reader from the FREIGABE_MAX_TABLE_* settings (for
    ``freigabe check``, which runs without an app)."""
    environ = os.environ if environ is None else environ
    out = {}
    for s in SETTINGS:
        if s.key in ("MAX_TABLE_CELLS", "MAX_TABLE_BYTES"):
            raw = environ.get(s.env, "")
            try:
                out["max_cells" if s.key == "MAX_TABLE_CELLS" else "max_bytes"] = s.parse(raw) if raw else s.default
            except ValueError as exc:
                raise RuntimeError(f"setting {s.env}: {exc}") from None
    return out


def load_settings(environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
                  ) -> dict[str, Any]:
    """Return the config dict: defaults < environment < ``overrides`` (e.g. test config)."""
    environ = os.environ if environ is None else environ
    overrides = dict(overrides or {})
    cfg: dict[str, Any] = {}
    for s in SETTINGS:
        if s.key in overrides:
            cfg[s.key] = overrides[s.key]
        elif s.env in environ and environ[s.env] != "":
            try:
                cfg[s.key] = s.parse(environ[s.env])
            except ValueError as exc:
                raise RuntimeError(f"setting {s.env}: {exc}") from None
        else:
            cfg[s.key] = s.default
    data_dir = Path(cfg["DATA_DIR"])
    if not cfg["DATABASE_URL"]:
        cfg["DATABASE_URL"] = f"sqlite:///{data_dir / 'freigabe.sqlite3'}"
    if not cfg["STORAGE_DIR"]:
        cfg["STORAGE_DIR"] = str(data_dir / "storage")
    if not cfg["DOWNLOAD_DIR"]:
        cfg["DOWNLOAD_DIR"] = str(data_dir / "downloads")
    if not cfg["SECRET_KEY"]:
        cfg["SECRET_KEY"] = _persistent_secret(data_dir)
    for key, value in overrides.items():  # keys that are not settings (e.g. TESTING) pass through
        cfg.setdefault(key, value)
    return cfg


def create_private_once(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (mode 0600) unless the file exists; the first of concurrent writers wins and
    nobody ever sees a partly written file.  The temporary name is unique per writer: threads share the pid,
    and a shared name would let one writer truncate the inode another has just linked into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + f".{os.getpid()}.{secrets.token_hex(8)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(text)
    try:
        os.link(tmp, path)  # first writer wins
    except FileExistsError:
        pass
    finally:
        tmp.unlink(missing_ok=True)


def _persistent_secret(data_dir: Path) -> str:
    path = data_dir / "secret_key"
    if not path.exists():
        create_private_once(path, secrets.token_urlsafe(48))
    return path.read_text(encoding="ascii").strip()
