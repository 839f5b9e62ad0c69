"""Syncs as jobs on the queue (django-tasks, database backend): retried with back-off that
honours Retry-After, one audit event per job whatever the tries, the roles checked when the
job runs, a dead worker's run given up, and the scheduled sync that records drift. Each test
runs the real worker (`manage.py run_jobs --once`) against the real queue table."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from llmadmin.audit.models import AuditEvent
from llmadmin.audit.recorder import Origin
from llmadmin.core.errors import ApplicationError
from llmadmin.core.retry import retry_delay
from llmadmin.llms.models import LLMDefinition, SyncRun
from llmadmin.llms.services import sync_start
from llmadmin.teams.models import Membership
from tests.llms.lifecycle_support import local_copy, upstream_record
from tests.support.fault_server import Fault, fault_server

# Committed: db_worker recycles its database connection, which on PostgreSQL would end a
# test's surrounding transaction.
pytestmark = pytest.mark.django_db(transaction=True)
ORIGIN = Origin(actor_username="erin")
EMPTY_LIST = {"llms": [], "metadata": {"page_key": None}}


def run_jobs() -> None:
    call_command("run_jobs", once=True, verbosity=0)


def until(moment: object) -> None:
    """Sleep until the clock passes `moment` (a wait for a retry, not a measurement)."""
    while timezone.now() <= moment:  # type: ignore[operator]
        time.sleep(0.1)


def sync_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="llm.sync"))


def test_a_failing_sync_is_retried_after_retry_after_and_audited_once(editor, team, settings):
    settings.LLMADMIN_JOB_ATTEMPTS = 3
    busy = Fault.status(503, {"messages": ["busy"]}, headers={"Retry-After": "1"})
    with fault_server(Fault.sequence(busy, Fault.status(200, EMPTY_LIST))) as vectara:
        settings.VECTARA_API_URL = vectara.base_url
        run = sync_start(actor=editor, origin=ORIGIN, team=team)
        asked = timezone.now()

        run_jobs()
        run.refresh_from_db()
        # Not yet: waiting as long as Vectara asked, the person told when, nothing recorded.
        assert (run.state, run.attempts, run.active) == ("waiting", 1, True)
        assert run.retry_at >= asked + timedelta(seconds=1)
        assert "503" in run.message and "attempt 2 of 3" in run.message
        assert sync_events() == []

        until(run.retry_at)
        run_jobs()
        assert vectara.hits == 2
    run.refresh_from_db()
    assert (run.state, run.attempts, run.active) == ("done", 2, False)
    [event] = sync_events()
    assert (event.outcome, event.details["attempts"]) == ("success", 2)


def test_a_sync_failing_every_try_ends_with_one_failure_event(editor, team, settings) -> None:
    settings.LLMADMIN_JOB_ATTEMPTS = 3
    with fault_server(Fault.status(502, raw_body="<html>bad gateway</html>")) as vectara:
        settings.VECTARA_API_URL = vectara.base_url
        run = sync_start(actor=editor, origin=ORIGIN, team=team)
        for _ in range(3):  # no Retry-After and no back-off in the tests: due at once
            run_jobs()
        assert vectara.hits == 3
    run.refresh_from_db()
    assert (run.state, run.attempts, run.active) == ("failed", 3, False)
    assert "gateway answered 502" in run.message
    [event] = sync_events()
    assert (event.outcome, event.upstream_status, event.details["attempts"]) == ("failure", 502, 3)


def test_a_refused_key_is_not_retried(editor, team, settings) -> None:
    settings.LLMADMIN_JOB_ATTEMPTS = 3
    with fault_server(Fault.status(401, {"messages": ["bad key"]})) as vectara:
        settings.VECTARA_API_URL = vectara.base_url
        run = sync_start(actor=editor, origin=ORIGIN, team=team)
        run_jobs()
        assert vectara.hits == 1
    run.refresh_from_db()
    assert (run.state, run.attempts) == ("failed", 1)
    assert [e.outcome for e in sync_events()] == ["failure"]


def test_back_off_doubles_and_yields_to_a_longer_retry_after(settings) -> None:
    settings.LLMADMIN_JOB_RETRY_SECONDS = 30
    assert [retry_delay(n, None).seconds for n in (1, 2, 3)] == [30, 60, 120]
    assert retry_delay(1, 300).seconds == 300
    assert retry_delay(9, None) == timedelta(minutes=10)  # capped


def test_the_job_acts_with_the_roles_its_person_holds_when_it_runs(editor, team, emulator):
    run = sync_start(actor=editor, origin=ORIGIN, team=team)
    Membership.objects.filter(user=editor, team=team).update(role="viewer")
    run_jobs()
    run.refresh_from_db()
    assert (run.state, run.active) == ("failed", False)
    [event] = AuditEvent.objects.all()
    assert (event.action, event.details["action"]) == ("access.denied", "llm.sync")
    assert emulator.requests == []  # Vectara was never asked


def test_a_run_whose_worker_died_is_given_up_with_its_event(editor, team, emulator) -> None:
    dead = sync_start(actor=editor, origin=ORIGIN, team=team)
    long_ago = timezone.now() - timedelta(hours=1)
    SyncRun.objects.filter(pk=dead.pk).update(state="running", heartbeat_at=long_ago)

    fresh = sync_start(actor=editor, origin=ORIGIN, team=team)

    dead.refresh_from_db()
    assert (dead.state, dead.active) == ("failed", False)
    assert "its worker stopped answering" in dead.message
    [event] = sync_events()
    assert (event.outcome, event.actor_username) == ("failure", "erin")
    assert fresh.active and fresh.state == "queued"


def test_a_job_delivered_twice_runs_once(editor, team, emulator) -> None:
    from llmadmin.llms.tasks import sync_llms

    run = sync_start(actor=editor, origin=ORIGIN, team=team)
    sync_llms.enqueue(run.pk)  # the same run's job a second time
    run_jobs()
    assert [e.outcome for e in sync_events()] == ["success"]
    assert [r.method for r in emulator.requests].count("GET") == 1


def test_the_command_is_refused_while_a_queued_sync_is_active(editor, team, emulator) -> None:
    sync_start(actor=editor, origin=ORIGIN, team=team)
    with pytest.raises(ApplicationError, match="only one runs at a time"):
        sync_start(actor=editor, origin=ORIGIN, team=team)


def test_the_scheduled_sync_records_what_changed_outside_the_dashboard(team, emulator, settings):
    settings.LLMADMIN_SYNC_EVERY_MINUTES = 60
    changed = emulator.store.put(upstream_record("gpt-drifted", enabled=False))
    local_copy(changed, team, enabled=True)
    LLMDefinition.objects.create(team=team, vectara_id="llm_gone", name="gpt-gone", type="openai")

    run_jobs()  # a worker finds the schedule due: no sync ever ran
    run = SyncRun.objects.get()
    assert (run.trigger, run.state) == ("schedule", "done")
    drift = {e.target_label: e for e in AuditEvent.objects.filter(action="llm.drift")}
    assert drift["gpt-drifted"].details["after"]["enabled"] is False
    assert drift["gpt-drifted"].actor_username == "scheduled sync"
    assert drift["gpt-gone"].message.startswith("Deleted in Vectara outside the dashboard")
    assert drift["gpt-drifted"].team_id == team.pk  # in the LLM's own team's history

    run_jobs()  # not due again for an hour
    assert SyncRun.objects.count() == 1


def test_a_run_given_up_while_it_ran_saves_nothing(editor, team, emulator) -> None:
    from llmadmin.llms.services import llm_sync

    emulator.store.put(upstream_record("gpt-late"))
    run = sync_start(actor=editor, origin=ORIGIN, team=team, queue=False)
    # Another worker gave it up as dead while it was still fetching.
    SyncRun.objects.filter(pk=run.pk).update(active=False, state="failed")
    with pytest.raises(ApplicationError, match="given up as stopped"):
        llm_sync(actor=editor, origin=ORIGIN, team=team, run=run)
    assert not LLMDefinition.objects.exists()  # its results were rolled back
    assert not AuditEvent.objects.filter(action__in=["llm.sync", "llm.drift"]).exists()
