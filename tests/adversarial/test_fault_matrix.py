"""Issue 8, part 3: every dashboard action that talks to Vectara, against every upstream fault.

One parametrized test over the whole cross-product. For each cell, against a real HTTP
server that misbehaves on command (tests/support/fault_server.py), it asserts what a person
and an auditor would notice:

- the page answers 200 or 302, never 500 (the command exits with its one-line error);
- the message shown names the action ("…create the LLM…") and what went wrong;
- after a failure that may have reached Vectara, a change says to look before retrying,
  and one that could not have reached it says so by not claiming it might have;
- the local LLM records are exactly as before (or, where documented, changed as documented:
  delete takes a 404 as "already gone"; disable and the detail page mark a 404 missing);
- exactly one new audit event, with the outcome and the upstream status;
- the server saw exactly one request, of the action's method: nothing is retried, and a
  failed create sends no compensating DELETE.

The per-action fault tests in tests/llms/ stay: they look deeper at single flows.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client, override_settings

from llmadmin.audit.models import AuditEvent
from llmadmin.llms.models import LLMDefinition, SyncRun
from llmadmin.llms.tasks import sync_llms
from tests.support.fault_server import Fault, fault_server, refused_url
from tests.teams.factories import member

pytestmark = pytest.mark.usefixtures("dns_records")

READ_TIMEOUT = 0.3  # seconds; every stall below lasts far longer
STALL = 3.0  # the fault server wakes up as soon as the test leaves it, so this costs nothing
REQ_ID = "req_matrix_1"
LLM_NAME = "gpt-matrix"
NEW_NAME = "gpt-matrix-new"
LOCAL_MODEL = "gpt-4o-local-copy"
# Said by every message after which a change may have happened in Vectara anyway.
LOOK_FIRST = "the list before trying again"


def _error(message: str) -> dict[str, Any]:
    return {"messages": [message], "request_id": REQ_ID}


# --- the faults ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upstream:
    """One way for Vectara to fail. `make` gets the status the action expects on success
    (201 for a create, 200 otherwise) and returns the fault; None means "refuse to connect"."""

    make: Callable[[int], Fault | None]
    status: Callable[[int], int | None]  # what the audit event must record
    says: str  # what the message shown must say about it
    may_have_reached: bool  # a change sent this way may have been made anyway
    request_id: bool = False  # Vectara's request id comes back (and must be recorded)


FIELD_ERROR = "Unknown model gpt-9."


def _with_body(ok: int) -> int:
    return 200 if ok == 204 else ok


FAULTS: dict[str, Upstream] = {
    "timeout-before-headers": Upstream(
        lambda ok: Fault.hang_before_headers(STALL),
        lambda ok: None,
        "did not respond in time",
        True,
    ),
    # A 204 has no body to be slow with, so a delete gets the other success status, 200.
    "slow-body": Upstream(
        lambda ok: Fault.slow_body(_with_body(ok), pause_seconds=STALL),
        lambda ok: _with_body(ok),
        "the answer stopped arriving",
        True,
    ),
    "reset": Upstream(
        lambda ok: Fault.reset(), lambda ok: None, "The connection to Vectara failed", True
    ),
    "refused": Upstream(
        lambda ok: None, lambda ok: None, "The connection to Vectara failed", False
    ),
    "500": Upstream(
        lambda ok: Fault.status(500, _error("Internal error")),
        lambda ok: 500,
        "Vectara answered 500",
        True,
        request_id=True,
    ),
    "502-html": Upstream(
        lambda ok: Fault.status(
            502,
            raw_body="<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1></body></html>",
            content_type="text/html",
        ),
        lambda ok: 502,
        "gateway answered 502 with an HTML page",
        True,
    ),
    "200-invalid-json": Upstream(
        lambda ok: Fault.status(
            200, raw_body='{"id": "llm_1", nope', content_type="application/json"
        ),
        lambda ok: 200,
        "could not be understood",
        True,
    ),
    "400-field-errors": Upstream(
        lambda ok: Fault.status(
            400, {"field_errors": {"model": FIELD_ERROR}, **_error("Invalid request")}
        ),
        lambda ok: 400,
        FIELD_ERROR,
        False,
        request_id=True,
    ),
    "401": Upstream(
        lambda ok: Fault.status(401, _error("Invalid API key")),
        lambda ok: 401,
        "VECTARA_API_KEY",
        False,
        request_id=True,
    ),
    "403": Upstream(
        lambda ok: Fault.status(403, _error("Not allowed")),
        lambda ok: 403,
        "(403)",
        False,
        request_id=True,
    ),
    "404": Upstream(
        lambda ok: Fault.status(404, _error("No such LLM")),
        lambda ok: 404,
        "(404)",
        False,
        request_id=True,
    ),
    "409": Upstream(
        lambda ok: Fault.status(409, _error("Name taken")),
        lambda ok: 409,
        "(409)",
        False,
        request_id=True,
    ),
    "429-retry-after": Upstream(
        lambda ok: Fault.status(429, _error("Slow down"), headers={"Retry-After": "30"}),
        lambda ok: 429,
        "Try again in 30 seconds",
        False,
        request_id=True,
    ),
}


# --- the actions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one action shows: the HTTP status of its answer (None for the command) and the
    text a person reads (the page it leads to, or the command's error)."""

    status: int | None
    text: str


def _page(client: Client, response: Any) -> Outcome:
    if response.status_code == 302:  # the message is on the page it sends the person to
        shown = client.get(response["Location"])
        assert shown.status_code == 200
        return Outcome(302, _text(shown.content.decode()))
    return Outcome(response.status_code, _text(response.content.decode()))


def _text(page: str) -> str:
    # What a person reads: no tags, entities decoded, whitespace collapsed.
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


CREATE_FORM = {
    "type": "openai-compatible",
    "name": NEW_NAME,
    "model": "gpt-4o",
    "uri": "https://api.openai.com/v1/chat/completions",
    "auth_type": "bearer",
    "token": "sk-matrix-canary-0123456789",
}


def _create(client: Client, llm: LLMDefinition) -> Outcome:
    return _page(client, client.post("/llms/new/", CREATE_FORM))


def _edit(client: Client, llm: LLMDefinition) -> Outcome:
    form = {
        "type": llm.type,
        "description": "Changed by the matrix",
        "model": LOCAL_MODEL,
        "uri": llm.uri,
        "auth_type": llm.auth_type,
        "version": str(llm.version),
    }
    return _page(client, client.post(f"/llms/{llm.pk}/edit/", form))


def _disable(client: Client, llm: LLMDefinition) -> Outcome:
    return _page(client, client.post(f"/llms/{llm.pk}/enabled/", {"enabled": "0", "confirm": "1"}))


def _delete(client: Client, llm: LLMDefinition) -> Outcome:
    return _page(client, client.post(f"/llms/{llm.pk}/delete/"))


def _sync_page(client: Client, llm: LLMDefinition) -> Outcome:
    client.post("/llms/sync/")
    # The queued job's own function, in this test's transaction (tests/llms/test_jobs.py runs
    # the real worker); one try, so that its outcome is the one to check.
    with override_settings(LLMADMIN_JOB_ATTEMPTS=1):
        sync_llms.call(SyncRun.objects.get(active=True).pk)
    return _page(client, client.get("/llms/sync/"))


def _sync_command(client: Client, llm: LLMDefinition) -> Outcome:
    with pytest.raises(CommandError) as failed:  # manage.py turns this into exit status 1
        call_command("sync_llms", stdout=StringIO(), stderr=StringIO())
    return Outcome(None, str(failed.value))


def _detail(client: Client, llm: LLMDefinition) -> Outcome:
    outcome = _page(client, client.get(f"/llms/{llm.pk}/"))
    assert LOCAL_MODEL in outcome.text, "the local record must still be shown"
    return outcome


@dataclass(frozen=True)
class Action:
    run: Callable[[Client, LLMDefinition], Outcome]
    method: str  # of the one request to Vectara
    ok: int  # what Vectara answers on success
    page: int | None  # the status of the dashboard's answer to a failure
    names: str  # how the message names the action
    audit: str
    changes: bool  # a change (POST/PATCH/DELETE): "may have been made" applies


ACTIONS: dict[str, Action] = {
    "create": Action(_create, "POST", 201, 200, "create the LLM", "llm.create", True),
    "edit": Action(_edit, "PATCH", 200, 200, "update the LLM", "llm.edit", True),
    "disable": Action(
        _disable, "PATCH", 200, 302, f"disable the LLM {LLM_NAME}", "llm.disable", True
    ),
    "delete": Action(_delete, "DELETE", 204, 200, f"delete the LLM {LLM_NAME}", "llm.delete", True),
    "sync-page": Action(
        _sync_page, "GET", 200, 200, "sync the LLMs with Vectara", "llm.sync", False
    ),
    "sync-command": Action(
        _sync_command, "GET", 200, None, "sync the LLMs with Vectara", "llm.sync", False
    ),
    "detail": Action(_detail, "GET", 200, 200, "read the LLM from Vectara", "llm.view", False),
}


# --- the cells that differ, as documented ----------------------------------------------------


@dataclass(frozen=True)
class Documented:
    """A cell whose documented behaviour is not "failure, nothing changed, the message names
    the action". `local` is what happens to the LLM's row: "same", "missing" or "deleted"."""

    says: str
    outcome: str = "failure"
    local: str = "same"
    page: int | None = None  # when the dashboard answers differently from the action's usual
    names_action: bool = True  # False: the message is put beside a field of the form


DOCUMENTED: dict[tuple[str, str], Documented] = {
    # DESIGN.md: "400 field_errors → errors on the matching fields"; 409 means the name.
    ("create", "400-field-errors"): Documented(f"Vectara says: {FIELD_ERROR}", names_action=False),
    ("create", "409"): Documented(f"An LLM named '{NEW_NAME}' already exists", names_action=False),
    ("edit", "400-field-errors"): Documented(f"Vectara says: {FIELD_ERROR}", names_action=False),
    # Toggle and the detail page: a 404 means the LLM is gone from Vectara; say so, mark it.
    ("disable", "404"): Documented(
        f"Vectara has no LLM {LLM_NAME} any more (404), so it could not disable it. It is now "
        "marked as missing upstream",
        local="missing",
        names_action=False,  # "could not disable it", in the sentence itself
    ),
    ("detail", "404"): Documented(
        f"Vectara has no LLM {LLM_NAME} any more (404): it was deleted outside the dashboard. "
        "It is now marked as missing upstream",
        local="missing",
        names_action=False,
    ),
    # Delete: a 404 means "already gone", so the local record goes too.
    ("delete", "404"): Documented(
        f"{LLM_NAME} was already gone from Vectara, so only the dashboard's record of it was "
        "deleted.",
        outcome="success",
        local="deleted",
        page=302,
        names_action=False,
    ),
    # Delete reads no body: a 200 is a deletion, whatever follows it.
    ("delete", "200-invalid-json"): Documented(
        f"{LLM_NAME} is deleted from Vectara and from this dashboard.",
        outcome="success",
        local="deleted",
        page=302,
        names_action=False,
    ),
}


# --- the test --------------------------------------------------------------------------------


@pytest.fixture
def actor_client(client: Client, team: Any) -> Client:
    # A team admin may do every action in the matrix, delete included.
    client.force_login(member("admin", team, username="matrix-admin"))
    return client


@pytest.fixture
def llm(team: Any) -> LLMDefinition:
    """The LLM the actions act on; it exists for the create and sync cells too, so "nothing
    changed locally" is checked against a real row rather than an empty table."""
    return LLMDefinition.objects.create(
        team=team,
        vectara_id="llm_matrix_1",
        name=LLM_NAME,
        type="openai-compatible",
        description="As stored",
        model=LOCAL_MODEL,
        uri="https://api.openai.com/v1/chat/completions",
        auth_type="bearer",
        auth_public={"type": "bearer"},
        auth_fingerprint="…6789",
    )


def _snapshot() -> list[dict[str, Any]]:
    return list(LLMDefinition.objects.order_by("pk").values())


def _expected(before: list[dict[str, Any]], llm: LLMDefinition, local: str) -> list[Any]:
    if local == "deleted":
        return [row for row in before if row["id"] != llm.pk]
    if local == "missing":
        return [
            {**row, "upstream_state": "missing"} if row["id"] == llm.pk else row for row in before
        ]
    return before


@pytest.mark.parametrize("fault_name", FAULTS)
@pytest.mark.parametrize("action_name", ACTIONS)
def test_every_action_survives_every_upstream_fault(
    action_name: str, fault_name: str, actor_client: Client, llm: LLMDefinition, settings: Any
) -> None:
    action, upstream = ACTIONS[action_name], FAULTS[fault_name]
    documented = DOCUMENTED.get((action_name, fault_name))
    settings.VECTARA_READ_TIMEOUT = READ_TIMEOUT
    before = _snapshot()
    last_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    fault = upstream.make(action.ok)
    if fault is None:
        settings.VECTARA_API_URL = refused_url()
        outcome = action.run(actor_client, llm)
        methods: list[str] | None = None
    else:
        with fault_server(fault) as server:
            settings.VECTARA_API_URL = server.base_url
            outcome = action.run(actor_client, llm)
            methods = [request.method for request in server.received]

    # Never a 500: the page the person gets (or the command's one-line error).
    expected_page = documented.page if documented and documented.page else action.page
    assert outcome.status == expected_page, outcome.text[:500]
    assert "Traceback" not in outcome.text and "Server Error" not in outcome.text

    # A message that says what was being done and what went wrong.
    says = documented.says if documented else upstream.says
    assert says in outcome.text, f"{says!r} not shown in: {outcome.text[:1500]}"
    if not documented or documented.names_action:
        assert action.names in outcome.text, outcome.text[:1500]
    if action.changes and not documented:
        # After a failure that may have reached Vectara, look before clicking again; after
        # one that couldn't have, don't send the person looking for nothing.
        warned = LOOK_FIRST in outcome.text
        assert warned == upstream.may_have_reached, outcome.text[:1500]

    # The local records: untouched, or changed exactly as documented.
    assert _snapshot() == _expected(before, llm, documented.local if documented else "same")

    # One audit event: this action, its outcome, Vectara's status (and request id).
    [event] = AuditEvent.objects.filter(pk__gt=last_event)
    outcome_name = documented.outcome if documented else "failure"
    assert (event.action, event.outcome, event.upstream_status) == (
        action.audit,
        outcome_name,
        upstream.status(action.ok),
    )
    if outcome_name == "failure":
        # The auditor reads the whole sentence, even where the form put Vectara's words
        # beside a field.
        if documented and documented.local == "missing":
            assert documented.says in event.message
        else:
            assert action.names in event.message and upstream.says in event.message
        assert event.upstream_request_id == (REQ_ID if upstream.request_id else "")
    if action_name == "sync-command":
        assert event.actor_username == "manage.py sync_llms"

    # Exactly one request, of the action's own method: no retry, no compensating DELETE.
    # After a create that may have reached Vectara, one GET looks for what it may have made.
    if methods is not None:
        looked = action_name == "create" and upstream.may_have_reached
        assert methods == [action.method, *(["GET"] if looked else [])]
