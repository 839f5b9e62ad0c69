from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from django.db import DatabaseError, connection, connections, transaction
from django.db.transaction import TransactionManagementError

from llmadmin.audit import chain
from llmadmin.audit.chain import GENESIS, mac_for
from llmadmin.audit.models import AuditEvent, Outcome
from llmadmin.audit.recorder import Origin, record
from llmadmin.audit.verify import verify_chain
from llmadmin.teams.models import Team
from tests.audit.factories import event

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.django_db
def test_each_event_is_sealed_onto_the_one_before_it() -> None:
    first, second, third = event(), event(outcome=Outcome.FAILURE), event()
    assert first.prev_mac == GENESIS
    assert second.prev_mac == first.mac
    assert third.prev_mac == second.mac
    assert len({first.mac, second.mac, third.mac}) == 3


@pytest.mark.django_db
def test_the_mac_read_back_from_the_database_matches_the_one_written() -> None:
    event()  # the first event starts the chain's head; the second is an ordinary append
    written = event(
        details={"request": {"max_tokens": 1.0, "big": 1e16, "t": 0.25, "list": (1, "é")}}
    )
    stored = AuditEvent.objects.get(pk=written.pk)
    assert mac_for(stored) == stored.mac == written.mac
    assert verify_chain().intact


@pytest.mark.django_db
def test_the_mac_depends_on_the_key_kept_outside_the_database(settings) -> None:
    written = event()
    assert mac_for(written, key="another-key-of-at-least-thirty-two-chars") != written.mac


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
def test_concurrent_workers_keep_the_chain_linear() -> None:
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(15):
                record(
                    origin=Origin.system(f"worker-{n}"),
                    action="test.concurrent",
                    outcome=Outcome.SUCCESS,
                    details={"i": i},
                )
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert AuditEvent.objects.count() == 90
    report = verify_chain()
    assert report.intact, report.problem
    # No two events claim the same predecessor: the chain never forked.
    assert AuditEvent.objects.values("prev_mac").distinct().count() == 90


def start(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"AUDIT_HMAC_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "llmadmin.settings", "SECRET_KEY": "x" * 50, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_refuses_a_short_audit_key() -> None:
    result = start(DEBUG="false", AUDIT_HMAC_KEY="short")
    assert result.returncode != 0
    assert "AUDIT_HMAC_KEY must be" in result.stderr


def test_production_starts_with_an_audit_key_and_debug_without_one() -> None:
    assert start(DEBUG="false", AUDIT_HMAC_KEY="k" * 40).returncode == 0
    assert start(DEBUG="true").returncode == 0


def test_a_malformed_trusted_proxy_stops_start_up() -> None:
    result = start(DEBUG="true", LLMADMIN_TRUSTED_PROXIES="10.0.0.0/8,proxy.internal")
    assert result.returncode != 0
    assert "LLMADMIN_TRUSTED_PROXIES has 'proxy.internal'" in result.stderr


@pytest.mark.django_db(transaction=True)
def test_a_failed_append_inside_a_transaction_cannot_be_committed_quietly() -> None:
    """The event and the change it records stand or fall together: a caller that swallows
    the append's error can't go on and commit the change without its event."""
    event(message="the chain has a head")
    with pytest.raises(TransactionManagementError), transaction.atomic():
        Team.objects.create(slug="kept-alone", name="Kept alone")
        with pytest.raises(DatabaseError):  # the column's CHECK refuses a negative status
            record(
                origin=Origin.system("test"),
                action="test.fails",
                outcome=Outcome.SUCCESS,
                upstream_status=-1,
            )
        Team.objects.create(slug="after", name="After")
    assert not Team.objects.filter(slug__in=["kept-alone", "after"]).exists()


def nested(levels: int) -> object:
    value: object = "leaf"
    for _ in range(levels):
        value = [value]
    return value


@pytest.mark.django_db
def test_details_nested_without_bound_are_refused_with_a_sentence() -> None:
    """Services bound what they put in details; the seal refuses what slips past them with
    a sentence, not a RecursionError, and leaves the chain as it was."""
    first = event(message="the chain has a head")
    refused = pytest.raises(ValueError, match="nest more than 100 levels deep")
    with refused, transaction.atomic():
        record(
            origin=Origin.system("test"),
            action="test.deep",
            outcome=Outcome.SUCCESS,
            details={"deep": nested(chain.MAX_DETAILS_DEPTH)},
        )
    # Far past Python's recursion limit, the canonical form still answers with the sentence.
    with pytest.raises(ValueError, match="nest more than 100 levels deep"):
        chain.canonical(AuditEvent(occurred_at=first.occurred_at, details=nested(5000)))
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [first.pk]
    sealed = event(details={"deep": nested(chain.MAX_DETAILS_DEPTH - 1)})
    assert sealed.prev_mac == first.mac
    assert verify_chain().intact
