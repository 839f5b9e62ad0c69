"""The database itself refuses to change or delete audit events (and, on PostgreSQL, to
truncate the table), whatever code or person sends the SQL through the application's role."""

from django.db import migrations

SQL = {
    "postgresql": (
        [
            """
            CREATE FUNCTION audit_auditevent_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                RAISE EXCEPTION 'audit events are append-only: % refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END
            $$
            """,
            """
            CREATE TRIGGER audit_auditevent_no_change
            BEFORE UPDATE OR DELETE ON audit_auditevent
            FOR EACH ROW EXECUTE FUNCTION audit_auditevent_append_only()
            """,
            """
            CREATE TRIGGER audit_auditevent_no_truncate
            BEFORE TRUNCATE ON audit_auditevent
            FOR EACH STATEMENT EXECUTE FUNCTION audit_auditevent_append_only()
            """,
        ],
        [
            "DROP TRIGGER IF EXISTS audit_auditevent_no_truncate ON audit_auditevent",
            "DROP TRIGGER IF EXISTS audit_auditevent_no_change ON audit_auditevent",
            "DROP FUNCTION IF EXISTS audit_auditevent_append_only()",
        ],
    ),
    "sqlite": (
        [
            """
            CREATE TRIGGER audit_auditevent_no_update BEFORE UPDATE ON audit_auditevent
            BEGIN SELECT RAISE(ABORT, 'audit events are append-only: UPDATE refused'); END
            """,
            """
            CREATE TRIGGER audit_auditevent_no_delete BEFORE DELETE ON audit_auditevent
            BEGIN SELECT RAISE(ABORT, 'audit events are append-only: DELETE refused'); END
            """,
        ],
        [
            "DROP TRIGGER IF EXISTS audit_auditevent_no_update",
            "DROP TRIGGER IF EXISTS audit_auditevent_no_delete",
        ],
    ),
}


def _run(schema_editor, statements):
    for statement in statements:
        # No params: the PL/pgSQL format string has a literal %.
        schema_editor.execute(statement, params=None)


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in SQL:
        raise RuntimeError(f"No append-only triggers for the {vendor} database; add them here.")
    _run(schema_editor, SQL[vendor][0])


def drop_triggers(apps, schema_editor):
    _run(schema_editor, SQL.get(schema_editor.connection.vendor, ((), ()))[1])


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_chain")]

    operations = [migrations.RunPython(create_triggers, drop_triggers)]
