"""CLI commands against the real database (SQLite and PostgreSQL)."""
from __future__ import annotations

from sqlalchemy import select

from publisher.models import ApiToken, User
from publisher.services import accounts


def test_user_create_prints_generated_password_once(runner, ctx, fresh):
    out = runner.invoke(["user", "create", "greta", "--role", "approver"])
    assert out.exit_code == 0, out.output
    line = [ln for ln in out.output.splitlines() if ln.startswith("Passwort")][0]
    pw = line.split(":", 1)[1].strip()
    assert len(pw) >= 16
    assert accounts.authenticate(fresh(), "greta", pw).role == "approver"
    stored = fresh().session.execute(select(User).where(User.username == "greta")).scalar_one()
    assert pw not in stored.password_hash


def test_user_create_password_stdin_and_groups(runner, fresh):
    out = runner.invoke(["user", "create", "lena", "--role", "reader", "--group", "sozialplanung", "--group",
                         "jugendamt", "--password-stdin"], input="ein-langes-passwort-99\n")
    assert out.exit_code == 0 and "Passwort" not in out.output
    user = accounts.authenticate(fresh(), "lena", "ein-langes-passwort-99")
    assert user.group_names == {"sozialplanung", "jugendamt"}


def test_user_create_bad_input_exit_2(runner, fresh):
    out = runner.invoke(["user", "create", "kurz", "--role", "reader", "--password-stdin"], input="abc\n")
    assert out.exit_code == 2 and "mindestens" in out.output
    assert fresh().session.execute(select(User)).first() is None


def test_token_create_prints_token_once(runner, fresh, make_user):
    make_user("submitter", "skript")
    out = runner.invoke(["token", "create", "skript"])
    token = out.output.strip()
    assert out.exit_code == 0 and token.startswith("fgb_")
    c = fresh()
    assert accounts.user_for_token(c, token).username == "skript"
    assert token not in {t.token_hash for t in c.session.execute(select(ApiToken)).scalars()}


def test_db_upgrade_on_new_database(tmp_path):
    from click.testing import CliRunner
    from flask.cli import ScriptInfo

    from publisher import create_app
    from publisher.cli import main
    from publisher.migrations import current

    url = f"sqlite:///{tmp_path / 'neu' / 'db.sqlite3'}"
    app = create_app({"DATABASE_URL": url, "DATA_DIR": str(tmp_path), "SECRET_KEY": "x"})
    out = CliRunner().invoke(main, ["db", "upgrade"], obj=ScriptInfo(create_app=lambda: app))
    assert out.exit_code == 0, out.output
    from alembic.script import ScriptDirectory

    from publisher.migrations import alembic_config

    head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
    assert head and current(url) == head


def test_all_commands_registered(runner):
    out = runner.invoke(["--help"])
    for name in ("db", "user", "token", "hierarchy", "audit", "retention", "demo", "check", "worker"):
        assert f"  {name} " in out.output, name
