"""Least privilege on PostgreSQL: migrated by an owner role (MIGRATION_DATABASE_URL), the
application's own role can append to the audit log and read it, and nothing more there."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import psycopg
import pytest

from tests.deploy.conftest import _skip
from tests.support.gunicorn import PG, answers, environment, manage, postgres_database

ADMIN = f"postgresql://postgres@{PG[0]}:{PG[1]}/postgres"


@pytest.fixture
def two_roles() -> Iterator[tuple[str, str, str]]:
    """A throw-away database owned by a new owner role, and a new app role; both dropped."""
    if not answers(PG):
        _skip("no PostgreSQL on 127.0.0.1:5432; the two database roles were NOT tested")
    suffix = secrets.token_hex(4)
    owner, app = f"llmadmin_owner_{suffix}", f"llmadmin_app_{suffix}"
    with psycopg.connect(ADMIN, autocommit=True) as admin:
        for role in (owner, app):
            admin.execute(f"CREATE ROLE \"{role}\" LOGIN PASSWORD '{suffix}'")
    try:
        with postgres_database("llmadmin_roles_") as url:
            name = url.rsplit("/", 1)[1]
            with psycopg.connect(ADMIN, autocommit=True) as admin:
                admin.execute(f'ALTER DATABASE "{name}" OWNER TO "{owner}"')
            base = f"{PG[0]}:{PG[1]}/{name}"
            yield name, f"postgres://{owner}:{suffix}@{base}", f"postgres://{app}:{suffix}@{base}"
    finally:
        with psycopg.connect(ADMIN, autocommit=True) as admin:
            for role in (app, owner):
                admin.execute(f'DROP ROLE IF EXISTS "{role}"')


def refused(conninfo: str, statement: str) -> str:
    with (
        psycopg.connect(conninfo, autocommit=True) as conn,
        pytest.raises(psycopg.Error) as refusal,
    ):
        conn.execute(statement)
    return str(refusal.value)


def test_the_app_role_appends_and_reads_the_log_but_cannot_change_it(
    two_roles: tuple[str, str, str],
) -> None:
    _name, owner_url, app_url = two_roles
    env = environment(DATABASE_URL=app_url, MIGRATION_DATABASE_URL=owner_url)
    migrated = manage("migrate", "--noinput", "-v", "0", env=env)
    assert migrated.returncode == 0, migrated.stderr

    # Appends go through the app role, as every action's event does.
    appended = manage(
        "shell",
        "-c",
        "from llmadmin.audit.recorder import Origin, record; "
        "from llmadmin.audit.models import Outcome; "
        "[record(origin=Origin.system('roles-test'), action='llm.create', "
        "outcome=Outcome.SUCCESS, message=f'event {n}') for n in range(3)]",
        env=env,
    )
    assert appended.returncode == 0, appended.stderr
    verified = manage("audit_verify", env=env)
    assert "The audit log is intact: 3 events verified" in verified.stdout, verified.stderr

    app = app_url.replace("postgres://", "postgresql://")
    for statement in (
        "DROP TRIGGER audit_auditevent_no_change ON audit_auditevent",
        "DROP TRIGGER audit_chainhead_only_append ON audit_chainhead",
        "ALTER TABLE audit_auditevent DISABLE TRIGGER USER",
        "ALTER TABLE audit_chainhead DISABLE TRIGGER USER",
        "DROP TABLE audit_auditevent",
        "UPDATE audit_auditevent SET message = 'nothing happened'",
        "DELETE FROM audit_auditevent",
        "TRUNCATE audit_auditevent",
        "UPDATE audit_chainhead SET last_event_id = 1",
        "DELETE FROM audit_chainhead",
        "SELECT setval(pg_get_serial_sequence('audit_auditevent', 'id'), 1)",
    ):
        problem = refused(app, statement)
        # Refused by the grants, or (the head's columns the append moves) by its trigger.
        assert any(
            reason in problem
            for reason in ("must be owner", "permission denied", "moves only by an append")
        ), f"{statement}: {problem}"

    # Nothing was lost, and the owner's grants left the rest of the app working.
    with psycopg.connect(app) as conn:
        assert conn.execute("SELECT count(*) FROM audit_auditevent").fetchone() == (3,)
        assert conn.execute("SELECT last_event_id FROM audit_chainhead").fetchone() == (3,)
        conn.execute("SELECT count(*) FROM llms_llmdefinition")
    assert "intact: 3 events verified" in manage("audit_verify", env=env).stdout
    # The owner still migrates (a second run re-applies the grants without error).
    again = manage("migrate", "--noinput", "-v", "0", env=env)
    assert again.returncode == 0, again.stderr


def test_without_a_migration_role_one_role_still_migrates_and_appends(
    two_roles: tuple[str, str, str],
) -> None:
    _name, owner_url, _app_url = two_roles
    env = environment(DATABASE_URL=owner_url)
    assert manage("migrate", "--noinput", "-v", "0", env=env).returncode == 0
    assert "intact: 0 events verified" in manage("audit_verify", env=env).stdout
