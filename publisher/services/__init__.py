"""Services: the ONLY writers of state.  Views (web, API), the CLI and the worker call these functions.

Every function that changes state does it in ONE transaction together with its audit row
(:func:`publisher.audit.record`) and commits before returning; on any error it rolls back and raises a
typed :class:`~publisher.services.errors.ServiceError` (nothing half-stored).  Side effects on outside
systems happen later, in the publication worker, from ``publication_jobs`` (outbox).

Calling convention
------------------
Every service takes a :class:`Ctx` first and, where someone acts, the acting :class:`~publisher.models.User`
(``actor``; from the session login or the API token)::

    from publisher.services import ctx_for_request, intake, review, accounts, errors
    c = ctx_for_request()                     # inside a Flask request / app context
    sub = intake.create_draft(c, user, data=f.read(), filename=f.filename, metadata={...}, mapping={...})
    review.submit(c, user, sub.id)

Outside a request: ``with open_ctx(app) as c: ...`` (CLI, tests, worker).

Errors (``publisher.services.errors``) → HTTP status (``err.http_status``):
``NotFound`` 404, ``Forbidden`` 403, ``WrongState`` 409, ``InvalidInput`` 422, ``AuthenticationFailed`` 401.
``err.code``, ``err.message(lang)``, ``err.findings`` (typed findings with file/row/column),
``err.to_dict(lang)`` = ``{"code", "message", "details"}`` for the JSON error envelope.

Surface
-------
``accounts``
    ``create_user(c, actor, username, role, *, password=None, groups=(), display_name="", email="")``
    → ``(User, password)`` (password generated and returned once when None);
    ``authenticate(c, username, password)`` → User (lockout after ``LOCKOUT_THRESHOLD`` failures; raises
    ``AuthenticationFailed``; failed logins and lockouts are audited); ``set_password(c, actor, user_id, pw)``;
    ``unlock_user(c, actor, user_id)``; ``set_active(c, actor, user_id, active)``; ``set_role(c, actor, user_id, role)``;
    ``create_token(c, actor, username, name="")`` → ``(ApiToken, plaintext)`` (only the hash is stored);
    ``user_for_token(c, plaintext)`` → User (raises ``AuthenticationFailed``); ``revoke_token(c, actor, token_id)``;
    ``get_user(c, user_id)``, ``get_user_by_name(c, name)``, ``list_users(c, actor)``;
    ``ensure_group(c, actor, name)``.
``reference``
    ``import_hierarchy(c, actor, data, filename, name, valid_from=None)`` → Hierarchy (new version);
    ``list_hierarchies(c)``, ``get_hierarchy(c, id)``, ``resolve_hierarchy(c, ref, on=None)`` (id, name or None);
    ``ensure_default_rule_set(c)``, ``create_rule_set(c, actor, name, source_toml=None, overrides=None)``
    → RuleSet (new version), ``list_rule_sets(c)``, ``get_rule_set(c, id)``, ``resolve_rule_set(c, ref)``.
``intake``
    ``check_upload(c, data, filename, mapping, hierarchy=None, rule_set=None)`` → ``CheckResult`` (engine
    result only, stores nothing: for a preview step);
    ``create_draft(c, actor, *, data, filename, metadata, mapping=None, series=None, hierarchy=None,
    rule_set=None)`` → Submission in DRAFT with version 1 and the check result (mapping remembered per series);
    ``update_draft(c, actor, submission_id, *, data=None, filename=None, metadata=None, mapping=None,
    hierarchy=None, rule_set=None)`` → Submission (new version while DRAFT);
    metadata keys: title*, description, keywords[list], reference_period*, source, licence (default
    ``DEFAULT_LICENCE``), contact, audience ("public" | "restricted"), groups[list, for restricted].
    mapping keys (``prepare_table`` kwargs + reader options): geo_column, count_columns, dimensions, layout
    ("long"|"wide"), wide_dimension, additive, sheet, header_row.
``review`` (the workflow transitions; table in :mod:`publisher.workflow`)
    ``submit(c, actor, id)``, ``approve(c, actor, id, artifact_sha256, comment="")``,
    ``return_submission(c, actor, id, comment)``, ``reject(c, actor, id, comment)``,
    ``withdraw(c, actor, id, comment="")``, ``resubmit(c, actor, id, *, data=None, filename=None,
    metadata=None, mapping=None, comment="")`` (RETURNED → SUBMITTED with a new version),
    ``withdraw_release(c, actor, id, comment)`` (PUBLISHED → WITHDRAWN; queues ``purpose="withdraw"`` jobs),
    ``start_publishing(c, id)`` / ``complete_publication(c, id, result=None)`` / ``publication_failed(c, id,
    error)`` (worker only).  All return the Submission.  Approval queues ``publication_jobs`` (one per target).
    Permission predicates: ``publisher.workflow.user_can(action, user, submission, settings)`` /
    ``check_user_can(...)`` and the named ``user_can_submit/approve/return/reject/withdraw/resubmit``,
    ``user_can_view``, ``user_can_view_raw``, plus ``check_user_can_*`` that raise.
``queries`` (read side, permission-checked)
    ``get_submission(c, actor, id)``, ``list_submissions(c, actor, state=None, mine=False)``,
    ``review_data(c, actor, id)`` (everything the DPO page shows incl. diff to the previous release),
    ``raw_bytes(c, actor, version_id)``, ``artifact_bytes(c, actor, version_id)``,
    ``list_releases(c, actor=None)`` (public: published + public audience), ``audit_rows(c, actor)``.
``retention``
    ``run(c, actor=None, now=None)`` → ``RetentionReport`` (deleted raw files, each deletion audited).
``audit`` (module :mod:`publisher.audit`)
    ``verify(session)`` → VerifyResult; ``export_csv(session)``, ``export_json(session)``.
"""
from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator

from sqlalchemy.orm import Session

from publisher.db import utcnow
from publisher.storage import FileStore


@dataclass
class Ctx:
    session: Session
    settings: dict[str, Any]
    store: FileStore
    clock: Callable[[], dt.datetime] = field(default=utcnow)

    def __post_init__(self) -> None:
        from publisher.audit_trust import configure_session  # issue 14: keyed, anchored audit rows

        configure_session(self.session, self.settings)

    def now(self) -> dt.datetime:
        return self.clock()

    @classmethod
    def for_app(cls, app, session: Session | None = None) -> "Ctx":
        from publisher.db import get_db

        s = session or get_db(app).session()
        return cls(session=s, settings=dict(app.config), store=FileStore(app.config["STORAGE_DIR"]))


def ctx_for_request() -> Ctx:
    """The services context of the current Flask app context (session closed at teardown)."""
    from flask import current_app, g

    from publisher.db import get_session

    if "freigabe_ctx" not in g:
        g.freigabe_ctx = Ctx.for_app(current_app, get_session())
    return g.freigabe_ctx


@contextlib.contextmanager
def open_ctx(app) -> Iterator[Ctx]:
    c = Ctx.for_app(app)
    try:
        yield c
    finally:
        c.session.close()


from publisher.services import errors  # noqa: E402,F401
from publisher.services import accounts, intake, queries, reference, retention, review  # noqa: E402,F401
