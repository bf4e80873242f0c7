"""Settings in one place and documented; migrations produce exactly the models' schema."""
from __future__ import annotations

from pathlib import Path

from publisher.config import SETTINGS, load_settings

DOCS = Path(__file__).resolve().parents[2] / "docs" / "operations.md"


def test_every_setting_is_documented():
    text = DOCS.read_text(encoding="utf-8")
    section = text.split("## Settings", 1)[1].split("\n## ", 1)[0]
    missing = [s.env for s in SETTINGS if f"`{s.env}`" not in section]
    assert missing == [], f"settings missing from docs/operations.md (section Settings): {missing}"


def test_settings_from_environment(tmp_path):
    env = {"FREIGABE_DATA_DIR": str(tmp_path), "FREIGABE_TWO_APPROVALS": "ja", "FREIGABE_RETENTION_DAYS": "7",
           "FREIGABE_MAX_UPLOAD_BYTES": "1000"}
    cfg = load_settings(env)
    assert cfg["TWO_APPROVALS"] is True and cfg["RETENTION_DAYS"] == 7 and cfg["MAX_CONTENT_LENGTH"] == 1000
    assert cfg["DATABASE_URL"] == f"sqlite:///{tmp_path / 'freigabe.sqlite3'}"
    assert cfg["STORAGE_DIR"] == str(tmp_path / "storage")
    # the generated secret key is persisted and reused, and not world-readable
    key = cfg["SECRET_KEY"]
    assert len(key) >= 40 and load_settings(env)["SECRET_KEY"] == key
    assert (tmp_path / "secret_key").stat().st_mode & 0o077 == 0


def test_bad_setting_is_named(tmp_path):
    import pytest

    with pytest.raises(RuntimeError, match="FREIGABE_TWO_APPROVALS"):
        load_settings({"FREIGABE_DATA_DIR": str(tmp_path), "FREIGABE_TWO_APPROVALS": "vielleicht"})


def test_migrations_match_models(db_url):
    """The migrated database (SQLite and PostgreSQL) has no difference to the SQLAlchemy models."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from publisher.db import Base, make_engine

    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            mc = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(mc, Base.metadata)
    finally:
        engine.dispose()
    assert diff == []


def test_storage_is_content_addressed_and_atomic(tmp_path):
    import hashlib

    from publisher.storage import FileStore, StorageError

    store = FileStore(tmp_path)
    data = "Bulmke-Hüllen;3\n".encode("cp1252")
    sha = store.put(data)
    assert sha == hashlib.sha256(data).hexdigest()
    assert store.get(sha) == data and store.put(data) == sha
    assert store.all_hashes() == {sha}
    assert not list(tmp_path.rglob(".tmp-*"))
    store.path(sha).write_bytes(b"manipuliert")
    import pytest

    with pytest.raises(StorageError):
        store.get(sha)
    with pytest.raises(StorageError):
        store.path("../../etc/passwd")
