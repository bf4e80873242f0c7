"""Reference data managed by admins: geography hierarchies (versioned, valid-from) and rule sets (versioned).

Every change is audited.  The engine (``disclosure_rules``) validates the content; its ``InputError``
findings become ``InvalidInput`` (file, row, column named).
"""
from __future__ import annotations

import datetime as dt
import functools
import os
import tempfile
from typing import Any

from disclosure_rules.findings import Finding, InputError, Severity, register
from sqlalchemy import func, select

from publisher import audit
from publisher.models import Hierarchy, RuleSet, StoredFile
from publisher.services import errors as E
from publisher.workflow import Role

DEFAULT_RULE_SET = "mindestfallzahl-3"


def _require_admin(actor) -> None:
    if actor is not None and Role(actor.role) != Role.ADMIN:
        raise E.forbidden_role("manage reference data", actor.role, ["admin"])


def store_file(c, data: bytes, kind: str, media_type: str, created: list[str] | None = None) -> StoredFile:
    """Write bytes to the content-addressed store and add/return their ``StoredFile`` row (no commit).

    ``created`` collects hashes whose files did not exist before, so a caller can remove them again
    when its transaction fails (nothing half-stored).
    """
    from publisher.storage import sha256_bytes

    sha = sha256_bytes(data)
    existed = c.store.exists(sha)
    c.store.put(data)
    if not existed and created is not None:
        created.append(sha)
    row = c.session.get(StoredFile, sha)
    if row is None:
        row = StoredFile(sha256=sha, size=len(data), kind=kind, media_type=media_type, created_at=c.now())
        c.session.add(row)
    elif row.deleted_at is not None:  # same bytes uploaded again after retention removed them
        row.deleted_at = None
    return row


def cleanup_files(c, created: list[str]) -> None:
    """Remove files written by a failed transaction (only those it created and no row references)."""
    for sha in created:
        if c.session.get(StoredFile, sha) is None:
            c.store.delete(sha)


@functools.lru_cache(maxsize=16)
def _load_hierarchy_cached(sha: str, filename: str, data: bytes):
    from disclosure_rules import load_hierarchy

    return load_hierarchy(data, filename=filename)


def engine_hierarchy(c, h: Hierarchy):
    """The engine's ``Hierarchy`` object for a stored hierarchy version (cached by content hash)."""
    data = c.store.get(h.file_sha256)
    return _load_hierarchy_cached(h.file_sha256, h.filename, data)


def import_hierarchy(c, actor, data: bytes, filename: str, name: str,
                     valid_from: dt.date | None = None) -> Hierarchy:
    _require_admin(actor)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise E.InvalidInput(E.invalid_field("name", "Name fehlt oder ist zu lang.", "name missing or too long."))
    from disclosure_rules import load_hierarchy

    try:
        eh = load_hierarchy(data, filename=filename)
    except InputError as exc:
        raise E.InvalidInput(exc.findings) from None
    created: list[str] = []
    try:
        row = store_file(c, data, "hierarchy", "text/csv", created)
        version = (c.session.execute(select(func.max(Hierarchy.version)).where(Hierarchy.name == name))
                   .scalar() or 0) + 1
        h = Hierarchy(name=name, version=version, valid_from=valid_from or c.now().date(),
                      file_sha256=row.sha256, filename=os.path.basename(filename or "hierarchie.csv")[:255],
                      levels=list(eh.levels), code_counts={lvl: len(eh.codes(lvl)) for lvl in eh.levels},
                      created_by_id=actor.id if actor else None, created_at=c.now())
        c.session.add(h)
        c.session.flush()
        audit.record(c.session, actor or "cli", "hierarchy.imported", h,
                     {"name": name, "version": version, "valid_from": h.valid_from.isoformat(),
                      "sha256": row.sha256, "levels": list(eh.levels), "codes": h.code_counts})
        c.session.commit()
    except BaseException:
        c.session.rollback()
        cleanup_files(c, created)
        raise
    return h


def list_hierarchies(c) -> list[Hierarchy]:
    return list(c.session.execute(select(Hierarchy).order_by(Hierarchy.name, Hierarchy.version)).scalars())


def get_hierarchy(c, hierarchy_id: int) -> Hierarchy:
    h = c.session.get(Hierarchy, hierarchy_id)
    if h is None:
        raise E.not_found("Hierarchie", hierarchy_id)
    return h


def resolve_hierarchy(c, ref: Any = None, on: dt.date | None = None) -> Hierarchy:
    """``ref``: id, name (the newest version valid on ``on``, default today) or None (newest of all)."""
    if isinstance(ref, Hierarchy):
        return ref
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        return get_hierarchy(c, int(ref))
    on = on or c.now().date()
    q = select(Hierarchy)
    if ref:
        q = q.where(Hierarchy.name == ref)
    cands = list(c.session.execute(q.order_by(Hierarchy.valid_from.desc(), Hierarchy.version.desc())).scalars())
    valid = [h for h in cands if h.valid_from <= on] or cands
    if not valid:
        raise E.InvalidInput(Finding(E.NOT_FOUND, {**E.what("Hierarchie"), "id": ref or "–"},
                                     column="hierarchy"))
    return valid[0]


def _engine_rules(rs: RuleSet):
    from disclosure_rules import load_rules

    if rs.source_toml is None:
        return load_rules(None, **(rs.overrides or {}))
    try:
        from disclosure_rules import load_rules_text
    except ImportError:  # older engine: only paths
        load_rules_text = None
    if load_rules_text is not None:
        return load_rules_text(rs.source_toml, **(rs.overrides or {}))
    fd, path = tempfile.mkstemp(suffix=".toml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(rs.source_toml)
        return load_rules(path, **(rs.overrides or {}))
    finally:
        os.unlink(path)


def engine_rules(c, rs: RuleSet):
    return _engine_rules(rs)


def ensure_default_rule_set(c, commit: bool = True) -> RuleSet:
    """The built-in default rule set (created and audited on first use; ``commit=False``: in the caller's
    transaction)."""
    rs = c.session.execute(select(RuleSet).where(RuleSet.name == DEFAULT_RULE_SET)
                           .order_by(RuleSet.version.desc())).scalars().first()
    if rs is not None:
        return rs
    rs = RuleSet(name=DEFAULT_RULE_SET, version=1, source_toml=None, overrides={}, active=True,
                 created_at=c.now())
    try:
        rs.fingerprint = _fingerprint(_engine_rules(rs))
    except Exception:  # engine not importable yet: fingerprint filled on first use
        rs.fingerprint = {}
    c.session.add(rs)
    c.session.flush()
    audit.record(c.session, "system", "ruleset.created", rs, {"name": rs.name, "version": 1, "builtin": True})
    if commit:
        c.session.commit()
    return rs


def _fingerprint(rules) -> dict:
    fp = rules.fingerprint() if hasattr(rules, "fingerprint") else {}
    return audit.json_safe(fp)


def create_rule_set(c, actor, name: str, source_toml: str | None = None,
                    overrides: dict | None = None) -> RuleSet:
    _require_admin(actor)
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise E.InvalidInput(E.invalid_field("name", "Name fehlt oder ist zu lang.", "name missing or too long."))
    version = (c.session.execute(select(func.max(RuleSet.version)).where(RuleSet.name == name)).scalar() or 0) + 1
    rs = RuleSet(name=name, version=version, source_toml=source_toml, overrides=dict(overrides or {}),
                 active=True, created_by_id=actor.id if actor else None, created_at=c.now())
    try:
        rules = _engine_rules(rs)
    except InputError as exc:
        raise E.InvalidInput(exc.findings) from None
    except (TypeError, ValueError) as exc:
        raise E.InvalidInput(E.invalid_field("rules", f"ungültig: {exc}", f"invalid: {exc}")) from None
    rs.fingerprint = _fingerprint(rules)
    try:
        for old in c.session.execute(select(RuleSet).where(RuleSet.name == name)).scalars():
            old.active = False
        c.session.add(rs)
        c.session.flush()
        audit.record(c.session, actor or "cli", "ruleset.created", rs,
                     {"name": name, "version": version, "fingerprint": rs.fingerprint})
        c.session.commit()
    except BaseException:
        c.session.rollback()
        raise
    return rs


def list_rule_sets(c) -> list[RuleSet]:
    return list(c.session.execute(select(RuleSet).order_by(RuleSet.name, RuleSet.version)).scalars())


def get_rule_set(c, rule_set_id: int) -> RuleSet:
    rs = c.session.get(RuleSet, rule_set_id)
    if rs is None:
        raise E.not_found("Regelwerk", rule_set_id)
    return rs


RULE_SET_SUPERSEDED = register(
    "publisher.rule_set.superseded", Severity.ERROR,
    "Regelwerk {name} v{version} ist durch v{current} ersetzt und kann nicht mehr gewählt werden.",
    "Rule set {name} v{version} was superseded by v{current} and can no longer be chosen.")


def current_rule_set(c, name: str) -> RuleSet | None:
    """The current version of a rule set: the newest version of that name, if it is active."""
    rs = c.session.execute(select(RuleSet).where(RuleSet.name == name).order_by(RuleSet.version.desc())
                           ).scalars().first()
    return rs if rs is not None and rs.active else None


def is_current(c, rs: RuleSet) -> bool:
    cur = current_rule_set(c, rs.name)
    return cur is not None and cur.id == rs.id


def superseded(c, rs: RuleSet) -> E.ServiceError:
    cur = current_rule_set(c, rs.name)
    return E.InvalidInput(Finding(RULE_SET_SUPERSEDED, {"name": rs.name, "version": rs.version,
                                                        "current": cur.version if cur else "-"}, column="rule_set"))


def resolve_rule_set(c, ref: Any = None, commit: bool = True) -> RuleSet:
    """``ref``: id, name (newest active version) or None (default ``mindestfallzahl-3``).  Issue 14: only a
    current version can be chosen - an id of a superseded version is refused (422); a RuleSet instance (the
    previous version's, on a resubmission) moves on to the current version of its name."""
    if isinstance(ref, RuleSet):
        if is_current(c, ref):
            return ref
        cur = current_rule_set(c, ref.name)
        if cur is None:
            raise superseded(c, ref)
        return cur
    if isinstance(ref, int) or (isinstance(ref, str) and ref.isdigit()):
        rs = get_rule_set(c, int(ref))
        if not is_current(c, rs):
            raise superseded(c, rs)
        return rs
    if not ref or ref == DEFAULT_RULE_SET:
        default = ensure_default_rule_set(c, commit=commit)
        if not ref:
            return default
    rs = current_rule_set(c, str(ref))
    if rs is None:
        raise E.InvalidInput(Finding(E.NOT_FOUND, {**E.what("Regelwerk"), "id": ref}, column="rule_set"))
    return rs


def list_current_rule_sets(c) -> list[RuleSet]:
    """The rule sets a submission may choose (issue 14): the current version of each name."""
    return [rs for rs in list_rule_sets(c) if is_current(c, rs)]
