"""The database protects the chain head like the events: it can't be inserted, deleted or
truncated, and an UPDATE is let through only when it is an append moving the head forward,
one link, onto the newest event with that event's MAC.

Without this, whoever can write through the application's role could cut the newest events
(as owner) and rewind or delete the head, and the log would look whole.
"""

from __future__ import annotations

from django.db import migrations

# The one UPDATE allowed: the head moves to the newest event, which links to the old head.
PG_CHECK = """
    NEW.id = OLD.id
    AND NEW.last_event_id IS NOT NULL
    AND NEW.last_event_id > COALESCE(OLD.last_event_id, 0)
    AND NEW.last_event_id = (SELECT max(id) FROM audit_auditevent)
    AND EXISTS (
        SELECT 1 FROM audit_auditevent e
        WHERE e.id = NEW.last_event_id AND e.mac = NEW.last_mac AND e.prev_mac = OLD.last_mac
    )
"""

SQL = {
    "postgresql": (
        [
            f"""
            CREATE FUNCTION audit_chainhead_append_only() RETURNS trigger
            LANGUAGE plpgsql AS $$
            BEGIN
                IF TG_OP = 'UPDATE' AND ({PG_CHECK}) THEN
                    RETURN NEW;
                END IF;
                RAISE EXCEPTION 'the audit chain head moves only by an append: % refused', TG_OP
                    USING ERRCODE = 'insufficient_privilege';
            END
            $$
            """,
            """
            CREATE TRIGGER audit_chainhead_only_append
            BEFORE INSERT OR UPDATE OR DELETE ON audit_chainhead
            FOR EACH ROW EXECUTE FUNCTION audit_chainhead_append_only()
            """,
            """
            CREATE TRIGGER audit_chainhead_no_truncate
            BEFORE TRUNCATE ON audit_chainhead
            FOR EACH STATEMENT EXECUTE FUNCTION audit_chainhead_append_only()
            """,
        ],
        [
            "DROP TRIGGER IF EXISTS audit_chainhead_no_truncate ON audit_chainhead",
            "DROP TRIGGER IF EXISTS audit_chainhead_only_append ON audit_chainhead",
            "DROP FUNCTION IF EXISTS audit_chainhead_append_only()",
        ],
    ),
    "sqlite": (
        [
            """
            CREATE TRIGGER audit_chainhead_no_insert BEFORE INSERT ON audit_chainhead
            BEGIN SELECT RAISE(ABORT,
                'the audit chain head moves only by an append: INSERT refused'); END
            """,
            """
            CREATE TRIGGER audit_chainhead_no_delete BEFORE DELETE ON audit_chainhead
            BEGIN SELECT RAISE(ABORT,
                'the audit chain head moves only by an append: DELETE refused'); END
            """,
            """
            CREATE TRIGGER audit_chainhead_only_append BEFORE UPDATE ON audit_chainhead
            WHEN NOT (
                NEW.id = OLD.id
                AND NEW.last_event_id IS NOT NULL
                AND NEW.last_event_id > COALESCE(OLD.last_event_id, 0)
                AND NEW.last_event_id = (SELECT max(id) FROM audit_auditevent)
                AND EXISTS (
                    SELECT 1 FROM audit_auditevent e WHERE e.id = NEW.last_event_id
                    AND e.mac = NEW.last_mac AND e.prev_mac = OLD.last_mac
                )
            )
            BEGIN SELECT RAISE(ABORT,
                'the audit chain head moves only by an append: UPDATE refused'); END
            """,
        ],
        [
            "DROP TRIGGER IF EXISTS audit_chainhead_no_insert",
            "DROP TRIGGER IF EXISTS audit_chainhead_no_delete",
            "DROP TRIGGER IF EXISTS audit_chainhead_only_append",
        ],
    ),
}


def _run(schema_editor, statements):
    for statement in statements:
        schema_editor.execute(statement, params=None)


def ensure_head(apps, schema_editor):
    """0002 created the head; a database whose head went missing since gets it back here,
    once, by whoever runs the migrations, from the newest event (audit_verify still sees the
    id sequence run ahead of it if the newest events were cut)."""
    AuditEvent = apps.get_model("audit", "AuditEvent")
    ChainHead = apps.get_model("audit", "ChainHead")
    db = schema_editor.connection.alias
    if not ChainHead.objects.using(db).filter(pk=1).exists():
        newest = AuditEvent.objects.using(db).order_by("-id").first()
        ChainHead.objects.using(db).create(
            pk=1, last_event_id=newest.pk if newest else None, last_mac=newest.mac if newest else ""
        )


def create_triggers(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor not in SQL:
        raise RuntimeError(f"No chain head triggers for the {vendor} database; add them here.")
    _run(schema_editor, SQL[vendor][0])


def drop_triggers(apps, schema_editor):
    _run(schema_editor, SQL.get(schema_editor.connection.vendor, ((), ()))[1])


class Migration(migrations.Migration):
    dependencies = [("audit", "0004_refusaltally")]

    operations = [
        migrations.RunPython(ensure_head, migrations.RunPython.noop),
        migrations.RunPython(create_triggers, drop_triggers),
    ]
