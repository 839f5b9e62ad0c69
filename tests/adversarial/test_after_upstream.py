"""Issue 14, class 2: nothing after the upstream call may escape.

Vectara has answered 2xx to a create, an edit, a toggle or a delete; then a step of ours
fails unexpectedly (the local write, the success event's append, the re-read of the row).
Each action at each step must end with: a page, never a 500, showing a sentence that says what
happened; Vectara changed back where that can be done (the emulator's store is as before),
or, for a delete, the local record kept and marked missing upstream; the local record
unchanged; exactly one new audit event of the action, a failure that says whether Vectara
was changed back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.db.models import Model, QuerySet
from django.test import Client

from llmadmin.audit import chain
from llmadmin.audit.models import AuditEvent
from llmadmin.llms.models import LLMDefinition, UpstreamState
from tests.llms.lifecycle_support import seeded
from tests.teams.factories import member

pytestmark = pytest.mark.usefixtures("dns_records")

NAME = "gpt-after"
CREATE_FORM = {
    "type": "openai-compatible",
    "name": NAME,
    "model": "gpt-4o",
    "uri": "https://api.openai.com/v1/chat/completions",
    "auth_type": "bearer",
    "token": "sk-after-upstream-0123456789",
}


class Injected(RuntimeError):
    pass


def _once(
    original: Callable[..., Any], applies: Callable[..., bool], fired: list[bool] | None = None
) -> Callable[..., Any]:
    """`original`, except that the first call for which `applies` holds raises instead:
    an unexpected failure at one step, while later steps (the failure event, the view's own
    re-read) work as they would. Wrappers given the same `fired` fail once between them."""
    fired = [False] if fired is None else fired

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not fired[0] and applies(*args, **kwargs):
            fired[0] = True
            raise Injected("injected after the upstream call")
        return original(*args, **kwargs)

    return wrapper


def _is_llm(target: Model | QuerySet, *args: Any, **kwargs: Any) -> bool:
    return (
        target.model is LLMDefinition
        if isinstance(target, QuerySet)
        else (isinstance(target, LLMDefinition))
    )


def break_local_write(monkeypatch: pytest.MonkeyPatch) -> None:
    # Model.save covers create and edit; the toggle updates and the delete deletes in SQL.
    fired = [False]
    monkeypatch.setattr(Model, "save", _once(Model.save, _is_llm, fired))
    monkeypatch.setattr(QuerySet, "update", _once(QuerySet.update, _is_llm, fired))
    monkeypatch.setattr(QuerySet, "delete", _once(QuerySet.delete, _is_llm, fired))


def break_success_event(monkeypatch: pytest.MonkeyPatch) -> None:
    def is_success(event: AuditEvent, *args: Any, **kwargs: Any) -> bool:
        return event.outcome == "success"

    monkeypatch.setattr(chain, "append", _once(chain.append, is_success))


def break_refresh(monkeypatch: pytest.MonkeyPatch) -> None:
    original = LLMDefinition.refresh_from_db
    monkeypatch.setattr(LLMDefinition, "refresh_from_db", _once(original, lambda *a, **k: True))


STEPS = {"local-write": break_local_write, "success-event": break_success_event}
CASES = [
    *(("create", step) for step in STEPS),
    *(("edit", step) for step in [*STEPS, "refresh"]),
    *(("disable", step) for step in [*STEPS, "refresh"]),
    *(("delete", step) for step in STEPS),
]


@pytest.fixture
def admin_client(team) -> Client:
    client = Client()
    client.force_login(member("admin", team, username="ada"))
    return client


def _events(action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def _shown(response) -> str:
    """The sentence a person sees: a form error, the delete page's error or a message."""
    if response.status_code == 302:
        return " ".join(str(m) for m in get_messages(response.wsgi_request))
    context = response.context
    if "form" in context and context["form"] is not None:
        return " ".join(context["form"].non_field_errors())
    return str(context.get("error", ""))


@pytest.mark.parametrize(("action", "step"), CASES, ids=[f"{a}-{s}" for a, s in CASES])
def test_a_failure_after_vectara_answered_is_undone_or_named_and_audited(
    admin_client, team, emulator, monkeypatch, action: str, step: str
) -> None:
    llm = None if action == "create" else seeded(emulator, team, NAME, description="Before")
    stored_before = emulator.store.all()
    (STEPS.get(step) or break_refresh)(monkeypatch)

    if action == "create":
        response = admin_client.post("/llms/new/", CREATE_FORM)
    elif action == "edit":
        form = {k: v for k, v in CREATE_FORM.items() if k not in ("name", "token")}
        response = admin_client.post(
            f"/llms/{llm.pk}/edit/", {**form, "description": "After", "version": "1"}
        )
    elif action == "disable":
        response = admin_client.post(f"/llms/{llm.pk}/enabled/", {"enabled": "0", "confirm": "1"})
    else:
        response = admin_client.post(f"/llms/{llm.pk}/delete/")

    assert response.status_code in (200, 302)
    shown = _shown(response)
    [event] = _events({"disable": "llm.disable", "edit": "llm.edit"}.get(action, f"llm.{action}"))
    assert event.outcome == "failure"
    assert event.message == shown
    methods = [r.method for r in emulator.requests]

    if action == "delete":
        # A delete can't be undone: Vectara no longer has it, and the sentence says so.
        assert emulator.store.get(llm.vectara_id) is None
        assert "Vectara deleted gpt-after" in shown and "missing upstream" in shown
        assert event.details["upstream_undone"] is False
        llm.refresh_from_db()
        assert llm.upstream_state == UpstreamState.MISSING
        return

    # Everything else is changed back in Vectara, with one more request.
    assert emulator.store.all() == stored_before
    assert event.details["upstream_undone"] is True
    assert "could not record it" in shown and "again" in shown
    if action == "create":
        assert methods == ["POST", "DELETE"]
        assert not LLMDefinition.objects.exists()
        assert event.upstream_status == 201 and event.target_id == ""
        return
    assert methods == ["PATCH", "PATCH"]
    assert emulator.requests[-1].json == (
        {"type": "openai-compatible", "description": "Before"}
        if action == "edit"
        else {"enabled": True}
    )
    llm_after = LLMDefinition.objects.get(pk=llm.pk)
    assert (llm_after.description, llm_after.enabled, llm_after.version) == ("Before", True, 1)
    assert event.upstream_status == 200


def test_an_edit_whose_new_secret_cant_be_put_back_names_what_vectara_keeps(
    admin_client, team, emulator, monkeypatch
) -> None:
    llm = seeded(emulator, team, NAME, description="Before")
    break_local_write(monkeypatch)
    form = {k: v for k, v in CREATE_FORM.items() if k != "name"}
    new_token = "sk-after-rotated-9876543210"
    response = admin_client.post(
        f"/llms/{llm.pk}/edit/", {**form, "token": new_token, "version": "1"}
    )
    assert response.status_code == 200
    shown = _shown(response)
    assert "Vectara keeps the new auth" in shown and "can't be put back" in shown
    assert [r.method for r in emulator.requests] == ["PATCH"]  # no half-undo
    assert emulator.store.get(llm.vectara_id)["auth"]["token"] == new_token
    [event] = _events("llm.edit")
    assert (event.outcome, event.details["upstream_undone"]) == ("failure", False)
    assert new_token not in str(event.details) + event.message


def test_a_failed_undo_says_the_llm_is_left_in_vectara(admin_client, emulator, monkeypatch) -> None:
    # The local write fails, and so does the DELETE that would undo the create, because
    # the emulator no longer has the LLM by then (someone removed it meanwhile).
    def save_then_vanish(target: Model, *args: Any, **kwargs: Any) -> bool:
        if isinstance(target, LLMDefinition):
            emulator.store.clear()
            return True
        return False

    monkeypatch.setattr(Model, "save", _once(Model.save, save_then_vanish))
    response = admin_client.post("/llms/new/", CREATE_FORM)
    assert response.status_code == 200
    shown = _shown(response)
    assert "Removing it from Vectara failed too" in shown and "is left there" in shown
    assert [r.method for r in emulator.requests] == ["POST", "DELETE"]
    [event] = _events("llm.create")
    assert (event.outcome, event.details["upstream_undone"]) == ("failure", False)
