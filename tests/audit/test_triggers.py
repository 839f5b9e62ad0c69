from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from llmadmin.audit.models import AuditEvent
from tests.audit.factories import event
from tests.audit.support import raw

pytestmark = pytest.mark.django_db


def refused(sql: str) -> None:
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        raw(sql)


def test_the_database_refuses_to_change_an_event() -> None:
    written = event(message="original")
    refused("UPDATE audit_auditevent SET message = 'rewritten'")
    assert AuditEvent.objects.get(pk=written.pk).message == "original"


def test_the_database_refuses_to_delete_an_event() -> None:
    event()
    refused("DELETE FROM audit_auditevent")
    assert AuditEvent.objects.count() == 1


def test_bulk_orm_updates_and_deletes_are_refused_too() -> None:
    event()
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.update(message="x")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.all().delete()
    assert AuditEvent.objects.get().message == ""


def test_the_model_refuses_before_the_database_is_asked() -> None:
    written = event()
    with pytest.raises(ValueError, match="append-only"):
        written.save()
    with pytest.raises(ValueError, match="append-only"):
        written.delete()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="TRUNCATE is PostgreSQL's")
def test_postgresql_refuses_to_truncate_the_log() -> None:
    event()
    refused("TRUNCATE audit_auditevent")
    assert AuditEvent.objects.count() == 1
