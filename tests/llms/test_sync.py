"""Sync: every page fetched first, then one reconcile; the UI, its progress, and the command."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django_tasks_db.models import DBTaskResult

from emulator import PLATFORM_LLMS
from llmadmin.audit.models import AuditEvent
from llmadmin.audit.recorder import Origin
from llmadmin.core.errors import ApplicationError
from llmadmin.llms.models import LLMDefinition, SyncRun
from llmadmin.llms.services import ActionDenied, llm_assign, llm_sync
from tests.llms.lifecycle_support import FAULTS, TOKEN, local_copy, upstream_record
from tests.support.fault_server import Fault, fault_server, refused_url
from tests.teams.factories import member

ORIGIN = Origin.system("test")


def seed_outside(emulator, n: int) -> None:
    for i in range(n):
        emulator.store.put(upstream_record(f"outside-{i:03d}", model=f"m-{i}"))


def test_a_sync_over_several_pages_reconciles_every_case(editor, team, emulator) -> None:
    seed_outside(emulator, 110)  # with 3 built-ins: two pages of 100
    kept = emulator.store.put(upstream_record("gpt-kept"))
    changed = emulator.store.put(upstream_record("gpt-changed", model="gpt-4.1", enabled=False))
    local_copy(kept, team)
    local_copy(changed, team, model="gpt-4o", enabled=True)
    LLMDefinition.objects.create(
        team=team, vectara_id="llm_gone", name="gpt-gone", type="anthropic"
    )
    pages: list[tuple[int, int]] = []

    summary = llm_sync(actor=editor, origin=ORIGIN, team=team, on_page=lambda *p: pages.append(p))

    assert pages == [(1, 100), (2, 115)]
    assert (summary.added, summary.gone, summary.pages) == (113, 1, 2)
    # gpt-kept picks up the capabilities and auth header Vectara reports; both count as updated.
    assert summary.updated == 2 and summary.unchanged == 0
    outside = LLMDefinition.objects.get(name="outside-007")
    assert (outside.team, outside.ownership, outside.model) == (None, "customer", "m-7")
    assert outside.auth_type == "bearer" and outside.auth_public == {"type": "bearer"}
    assert TOKEN not in str(list(LLMDefinition.objects.values()))
    updated = LLMDefinition.objects.get(name="gpt-changed")
    assert (updated.model, updated.enabled, updated.team, updated.version) == (
        "gpt-4.1",
        False,
        team,
        2,
    )
    gone = LLMDefinition.objects.get(name="gpt-gone")
    assert (gone.upstream_state, gone.team) == ("missing", team)  # marked, not deleted
    builtin = LLMDefinition.objects.get(vectara_id=PLATFORM_LLMS[0]["id"])
    assert (builtin.ownership, builtin.team) == ("platform", None)
    event = AuditEvent.objects.get(action="llm.sync")
    assert event.outcome == "success"
    assert event.details["added"] == 113 and event.details["gone"] == 1
    # Each LLM changed or deleted outside the dashboard is named in its own history.
    drift = {e.target_label: e for e in AuditEvent.objects.filter(action="llm.drift")}
    assert sorted(drift) == ["gpt-changed", "gpt-gone", "gpt-kept"]
    changes = drift["gpt-changed"].details
    assert (changes["before"]["model"], changes["before"]["enabled"]) == ("gpt-4o", True)
    assert (changes["after"]["model"], changes["after"]["enabled"]) == ("gpt-4.1", False)
    assert drift["gpt-changed"].message.startswith("Changed in Vectara outside the dashboard:")
    assert drift["gpt-gone"].details["after"] == {"upstream_state": "missing"}
    assert drift["gpt-gone"].team_id == team.pk

    # Run again: nothing left to change.
    again = llm_sync(actor=editor, origin=ORIGIN, team=team)
    assert (again.added, again.updated, again.gone, again.unchanged) == (0, 0, 0, 116)


def test_builtin_llms_are_shown_read_only_to_every_team(editor_client, team, emulator) -> None:
    llm_sync(actor=member("editor", team), origin=ORIGIN, team=team)
    html = editor_client.get("/llms/").content.decode()
    assert "mockingbird-2.0" in html and "built-in" in html
    assert "Disable mockingbird-2.0" not in html


def test_a_sync_failing_on_page_two_changes_nothing_and_can_be_run_again(
    editor, team, settings, emulator
) -> None:
    kept = emulator.store.put(upstream_record("gpt-kept", model="gpt-4.1"))
    local = local_copy(kept, team, model="gpt-4o")
    LLMDefinition.objects.create(
        team=team, vectara_id="llm_gone", name="gpt-gone", type="anthropic"
    )
    page_one = {
        "llms": [{"id": kept["id"], "name": "gpt-kept", "type": "openai-compatible", "model": "x"}],
        "metadata": {"page_key": "page-2"},
    }
    fault = Fault.sequence(Fault.status(200, page_one), Fault.status(500, {"messages": ["boom"]}))
    with fault_server(fault) as server:
        settings.VECTARA_API_URL = server.base_url
        with pytest.raises(ApplicationError) as caught:
            llm_sync(actor=editor, origin=ORIGIN, team=team)
        assert [r.path for r in server.received][1].endswith("page_key=page-2")
    assert "sync the LLMs with Vectara" in caught.value.message
    assert "Nothing was changed in the dashboard" in caught.value.message
    local.refresh_from_db()
    assert local.model == "gpt-4o" and local.version == 1
    assert LLMDefinition.objects.get(name="gpt-gone").upstream_state == "present"
    assert LLMDefinition.objects.count() == 2
    event = AuditEvent.objects.get()
    assert (event.outcome, event.upstream_status, event.details) == (
        "failure",
        500,
        {"pages_fetched": 1},
    )

    settings.VECTARA_API_URL = emulator.base_url
    summary = llm_sync(actor=editor, origin=ORIGIN, team=team)
    assert (summary.updated, summary.gone) == (1, 1)
    assert LLMDefinition.objects.get(name="gpt-kept").model == "gpt-4.1"


@pytest.mark.parametrize("name", FAULTS)
def test_each_upstream_failure_changes_nothing(editor, team, settings, name) -> None:
    fault, status = FAULTS[name]
    LLMDefinition.objects.create(team=team, vectara_id="llm_1", name="gpt-team", type="anthropic")
    settings.VECTARA_READ_TIMEOUT = 0.5
    with fault_server(fault) as server:
        settings.VECTARA_API_URL = server.base_url
        with pytest.raises(ApplicationError, match="sync the LLMs with Vectara"):
            llm_sync(actor=editor, origin=ORIGIN, team=team)
    assert LLMDefinition.objects.get().upstream_state == "present"
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.upstream_status) == ("llm.sync", "failure", status)


def test_a_refused_connection_changes_nothing(editor, team, settings) -> None:
    settings.VECTARA_API_URL = refused_url()
    with pytest.raises(ApplicationError, match="The connection to Vectara failed"):
        llm_sync(actor=editor, origin=ORIGIN, team=team)
    assert not LLMDefinition.objects.exists()


def test_a_viewer_may_not_sync(team, emulator) -> None:
    with pytest.raises(ActionDenied):
        llm_sync(actor=member("viewer", team), origin=ORIGIN, team=team)
    assert emulator.requests == []
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.details) == (
        "access.denied",
        "denied",
        {"action": "llm.sync"},
    )


def test_an_llm_reusing_a_local_name_is_skipped_and_reported(editor, team, emulator) -> None:
    LLMDefinition.objects.create(team=team, vectara_id="llm_old", name="gpt-x", type="anthropic")
    emulator.store.put(upstream_record("gpt-x"))
    summary = llm_sync(actor=editor, origin=ORIGIN, team=team)
    assert summary.skipped == ["gpt-x"] and summary.gone == 1
    assert "already has the name, or one that looks like it: gpt-x." in summary.sentence()


@pytest.mark.parametrize("upstream_name", ["GPT-X", "g\u0440t-x", "\uff47\uff50\uff54-x"])
def test_an_llm_whose_name_only_looks_like_a_local_one_is_skipped(
    editor, team, emulator, upstream_name: str
) -> None:
    # Upper case, a Cyrillic "er", full-width letters: Vectara may hold such names beside the
    # local one, but the dashboard can't list two LLMs that read the same.
    LLMDefinition.objects.create(team=team, vectara_id="llm_old", name="gpt-x", type="anthropic")
    emulator.store.put(upstream_record(upstream_name))
    summary = llm_sync(actor=editor, origin=ORIGIN, team=team)
    assert summary.skipped == [upstream_name]
    customer = LLMDefinition.objects.filter(ownership="customer")
    assert list(customer.values_list("name", flat=True)) == ["gpt-x"]
    assert AuditEvent.objects.get(action="llm.sync").outcome == "success"


def test_only_org_admins_assign(team, emulator) -> None:
    llm_sync(actor=member("editor", team), origin=ORIGIN, team=team)
    emulator.store.put(upstream_record("outside"))
    llm_sync(actor=member("editor", team), origin=ORIGIN, team=team)
    outside = LLMDefinition.objects.get(name="outside")
    with pytest.raises(ActionDenied, match="Only an org admin"):
        llm_assign(actor=member("admin", team), origin=ORIGIN, llm=outside, team=team)
    assert LLMDefinition.objects.get(name="outside").team is None
    refusal = AuditEvent.objects.get(outcome="denied")
    assert (refusal.action, refusal.details) == (
        "access.denied",
        {"action": "llm.assign", "team": team.slug},
    )


# --- the command ----------------------------------------------------------------------------


def test_the_command_prints_the_same_summary(emulator, db) -> None:
    emulator.store.put(upstream_record("outside"))
    out, err = StringIO(), StringIO()
    call_command("sync_llms", stdout=out, stderr=err)
    assert out.getvalue().strip() == (
        "Sync finished: 4 added, 0 updated, 0 gone from Vectara (marked missing), 0 unchanged."
    )
    assert "Fetched page 1 (4 LLMs so far)." in err.getvalue()
    assert AuditEvent.objects.get().actor_username == "manage.py sync_llms"


def test_the_command_fails_with_the_sentence(settings, db) -> None:
    settings.VECTARA_API_URL = refused_url()
    with pytest.raises(CommandError, match="sync the LLMs with Vectara"):
        call_command("sync_llms", stdout=StringIO(), stderr=StringIO())


# --- the page -------------------------------------------------------------------------------


# Committed: db_worker recycles its database connection, which on PostgreSQL would end a
# test's surrounding transaction.
WORKER = pytest.mark.django_db(transaction=True)


def run_jobs() -> None:
    """What a worker does: run every job that is due now (the real queue and worker)."""
    call_command("run_jobs", once=True, verbosity=0)


@WORKER
def test_the_sync_page_queues_a_sync_and_follows_it(editor_client, team, emulator) -> None:
    page = editor_client.get("/llms/sync/").content.decode()
    assert "Sync now" in page and "hx-trigger" not in page  # nothing to follow yet

    emulator.store.put(upstream_record("outside"))
    response = editor_client.post("/llms/sync/", headers={"HX-Request": "true"})
    html = response.content.decode()
    # The answer comes before Vectara is asked: the job waits on the queue.
    assert "waiting for a worker" in html and "<html" not in html
    assert LLMDefinition.objects.count() == 0
    run = SyncRun.objects.get()
    assert f'hx-get="/llms/sync/progress/?run={run.pk}"' in html

    run_jobs()

    done = editor_client.get(f"/llms/sync/progress/?run={run.pk}").content.decode()
    assert "Sync finished: 4 added" in done and "hx-trigger" not in done
    assert LLMDefinition.objects.count() == 4


@WORKER
def test_a_second_sync_is_refused_while_one_is_active(editor_client, team, emulator) -> None:
    editor_client.post("/llms/sync/", headers={"HX-Request": "true"})
    client_two = Client()
    client_two.force_login(member("editor", team, username="other"))
    html = client_two.post("/llms/sync/", headers={"HX-Request": "true"}).content.decode()
    assert "A sync asked for by erin at" in html and "only one runs at a time" in html
    assert "waiting for a worker" in html  # and they see the one that is active
    assert SyncRun.objects.count() == 1 and DBTaskResult.objects.count() == 1

    run_jobs()
    # Once it has ended, the next one may start.
    client_two.post("/llms/sync/", headers={"HX-Request": "true"})
    assert SyncRun.objects.filter(active=True).count() == 1 and SyncRun.objects.count() == 2


@WORKER
def test_without_javascript_the_page_shows_the_run_and_its_outcome(editor_client, emulator):
    response = editor_client.post("/llms/sync/", follow=True)
    assert response.redirect_chain[-1][0] == "/llms/sync/"
    html = response.content.decode()
    assert "waiting for a worker" in html and "<noscript>" in html
    run_jobs()
    html = editor_client.get("/llms/sync/").content.decode()
    assert "Sync finished: 3 added" in html and "Last sync" in html


@WORKER
def test_a_failed_sync_shows_the_sentence(editor_client, settings) -> None:
    settings.VECTARA_API_URL = refused_url()
    settings.LLMADMIN_JOB_ATTEMPTS = 1
    editor_client.post("/llms/sync/", headers={"HX-Request": "true"})
    run_jobs()
    html = editor_client.get("/llms/sync/progress/").content.decode()
    assert "sync the LLMs with Vectara" in html and 'class="alert error"' in html
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.details["attempts"]) == ("llm.sync", "failure", 1)


def test_viewers_can_not_open_the_sync_page(client, team) -> None:
    client.force_login(member("viewer", team))
    assert client.get("/llms/sync/").status_code == 403
    assert client.post("/llms/sync/").status_code == 403
    assert client.get("/llms/sync/progress/").status_code == 403
