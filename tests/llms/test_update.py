"""Editing an LLM through the edit page and the emulator over real HTTP."""

from __future__ import annotations

import pytest

from llmadmin.audit.models import AuditEvent
from llmadmin.audit.recorder import Origin
from llmadmin.llms.models import LLMDefinition
from llmadmin.llms.services import ActionDenied, llm_create, llm_update
from llmadmin.llms.spec import LLMChanges, LLMSpec
from tests.support import contract
from tests.teams.factories import MembershipFactory, TeamFactory, member

pytestmark = pytest.mark.usefixtures("dns_records")

TOKEN = "sk-original-0123456789abcd"
NEW_TOKEN = "sk-rotated-9876543210wxyz"


@pytest.fixture
def llm(editor, team, emulator) -> LLMDefinition:
    spec = LLMSpec(
        type="openai-compatible",
        name="gpt-edit",
        description="Before",
        model="gpt-4o",
        uri="https://api.openai.com/v1/chat/completions",
        auth={"type": "header", "header": "api-key", "value": TOKEN},
        headers={"x-team": "ml"},
        idle_timeout_seconds=60,
    )
    created = llm_create(actor=editor, origin=Origin.system("test"), team=team, spec=spec)
    emulator.requests.clear()
    return created


def edit_url(llm: LLMDefinition) -> str:
    return f"/llms/{llm.pk}/edit/"


def form_of(client, llm: LLMDefinition) -> dict[str, object]:
    """What the edit page posts when nothing is touched: its own initial values."""
    form = client.get(edit_url(llm)).context["form"]
    data = {name: form[name].value() for name in form.fields if name != "key_file"}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data["header_name"] = [row.name for row in form.header_rows]
    data["header_value"] = [row.value for row in form.header_rows]
    return data


def stored_secret(emulator, llm: LLMDefinition) -> str:
    return emulator.store.get(llm.vectara_id)["auth"]["value"]


def edit_events() -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="llm.edit").order_by("id"))


def patches(emulator) -> list[dict]:
    return [r.json for r in emulator.requests if r.method == "PATCH"]


def test_the_edit_page_shows_the_record_with_name_read_only_and_no_secret(
    editor_client, llm
) -> None:
    html = editor_client.get(edit_url(llm)).content.decode()
    assert "gpt-edit" in html and 'name="name"' not in html
    assert "can't be changed" in html
    assert "Before</textarea>" in html
    assert 'value="api-key"' in html
    assert 'name="version"' in html and 'value="x-team"' in html
    assert TOKEN not in html
    assert "Leave blank to keep the stored secret." in html


def test_only_the_changed_field_is_sent_and_the_record_follows(
    editor_client, emulator, llm
) -> None:
    data = form_of(editor_client, llm)
    data["description"] = "After"
    response = editor_client.post(edit_url(llm), data)

    assert response.status_code == 302 and response["Location"] == llm.get_absolute_url()
    [body] = patches(emulator)
    assert body == {"type": "openai-compatible", "description": "After"}
    contract.validate("UpdateLLMRequest", body)
    llm.refresh_from_db()
    assert (llm.description, llm.version) == ("After", 2)
    assert stored_secret(emulator, llm) == TOKEN  # blank secret: kept
    page = editor_client.get(response["Location"]).content.decode()
    assert "Your changes to gpt-edit are saved in Vectara." in page
    [event] = edit_events()
    assert (event.outcome, event.upstream_status) == ("success", 200)
    assert event.details == {"before": {"description": "Before"}, "after": {"description": "After"}}


def test_untouched_form_sends_nothing(editor_client, emulator, llm) -> None:
    response = editor_client.post(edit_url(llm), form_of(editor_client, llm), follow=True)
    assert "Nothing changed" in response.content.decode()
    assert patches(emulator) == [] and edit_events() == []


def test_a_masked_secret_is_never_sent_back(editor_client, emulator, llm) -> None:
    data = form_of(editor_client, llm) | {"value": "****", "model": "gpt-4.1"}
    assert editor_client.post(edit_url(llm), data).status_code == 302
    [body] = patches(emulator)
    assert body == {"type": "openai-compatible", "model": "gpt-4.1"}
    assert stored_secret(emulator, llm) == TOKEN


def test_a_typed_secret_replaces_the_whole_auth_and_stays_out_of_the_audit(
    editor_client, emulator, llm
) -> None:
    data = form_of(editor_client, llm) | {"value": NEW_TOKEN}
    assert editor_client.post(edit_url(llm), data).status_code == 302
    [body] = patches(emulator)
    assert body == {
        "type": "openai-compatible",
        "auth": {"type": "header", "header": "api-key", "value": NEW_TOKEN},
    }
    assert stored_secret(emulator, llm) == NEW_TOKEN
    llm.refresh_from_db()
    assert llm.auth_fingerprint == "…wxyz"
    [event] = edit_events()
    assert event.details["after"]["auth"] == {
        "type": "header",
        "header": "api-key",
        "value": "[redacted]",
    }
    assert event.details["before"]["auth"]["value"] == "[redacted]"
    assert NEW_TOKEN not in str(event.details) and TOKEN not in str(event.details)


def test_a_new_host_demands_the_secret_again(editor_client, emulator, llm) -> None:
    data = form_of(editor_client, llm) | {"uri": "https://openrouter.ai/api/v1/chat/completions"}
    response = editor_client.post(edit_url(llm), data)
    assert response.status_code == 200
    [message] = response.context["form"].errors["value"]
    assert "moved to https://openrouter.ai:443" in message and "never sent to a new host" in message
    assert patches(emulator) == []

    data["value"] = NEW_TOKEN
    assert editor_client.post(edit_url(llm), data).status_code == 302
    [body] = patches(emulator)
    assert body["uri"] == "https://openrouter.ai/api/v1/chat/completions"
    assert body["auth"]["value"] == NEW_TOKEN


def test_a_new_port_on_the_same_host_demands_the_secret_again(editor_client, emulator, llm) -> None:
    host = llm.uri.split("/")[2]
    data = form_of(editor_client, llm) | {"uri": llm.uri.replace(host, f"{host}:8443", 1)}
    response = editor_client.post(edit_url(llm), data)
    assert "never sent to a new host, port or scheme" in response.context["form"].errors["value"][0]
    assert patches(emulator) == []


def test_a_new_path_on_the_same_host_keeps_the_secret(editor_client, emulator, llm) -> None:
    data = form_of(editor_client, llm) | {"uri": "https://api.openai.com/v1/responses"}
    assert editor_client.post(edit_url(llm), data).status_code == 302
    assert patches(emulator) == [
        {"type": "openai-compatible", "uri": "https://api.openai.com/v1/responses"}
    ]


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"auth_type": "bearer"}, "changed the credential type"),
        ({"header": "x-key"}, "to change the header name"),
        ({"type": "anthropic"}, "changed the type"),
    ],
)
def test_changing_the_credential_demands_its_secret(
    editor_client, emulator, llm, change: dict, needle: str
) -> None:
    response = editor_client.post(edit_url(llm), form_of(editor_client, llm) | change)
    errors = response.context["form"].errors
    secret_field = "token" if change.get("auth_type") == "bearer" else "value"
    assert needle in errors[secret_field][0]
    assert patches(emulator) == []


def test_a_type_change_with_its_secret_sends_a_valid_body(editor_client, emulator, llm) -> None:
    data = form_of(editor_client, llm) | {
        "type": "anthropic",
        "auth_type": "bearer",
        "token": NEW_TOKEN,
        "uri": "https://api.anthropic.com/v1/messages",
    }
    assert editor_client.post(edit_url(llm), data).status_code == 302
    [body] = patches(emulator)
    contract.validate("UpdateLLMRequest", body)
    assert body["type"] == "anthropic" and body["auth"] == {"type": "bearer", "token": NEW_TOKEN}
    llm.refresh_from_db()
    assert (llm.type, llm.auth_type) == ("anthropic", "bearer")


def test_headers_time_out_and_capabilities_send_only_their_changes(
    editor_client, emulator, llm
) -> None:
    data = form_of(editor_client, llm) | {
        "header_name": [""],
        "header_value": [""],
        "idle_timeout_seconds": "",
        "tool_calling": "false",
        "test_model_parameters": '{"temperature": 0}',
    }
    assert editor_client.post(edit_url(llm), data).status_code == 302
    [body] = patches(emulator)
    assert body == {
        "type": "openai-compatible",
        "headers": {},
        "idle_timeout_seconds": None,  # an explicit null clears it, as the contract says
        "capabilities": {"tool_calling": False},
        "test_model_parameters": {"temperature": 0},
    }
    llm.refresh_from_db()
    assert (llm.headers, llm.idle_timeout_seconds) == ({}, None)
    assert llm.capabilities["tool_calling"] is False
    assert llm.test_model_parameters == {"temperature": 0}


def test_a_stale_version_is_refused_with_a_sentence(editor_client, emulator, llm) -> None:
    data = form_of(editor_client, llm) | {"description": "Mine"}
    # Someone else saved first: the row moved on to version 2.
    LLMDefinition.objects.filter(pk=llm.pk).update(version=2, description="Theirs")
    response = editor_client.post(edit_url(llm), data)
    assert response.status_code == 200
    [message] = response.context["form"].non_field_errors()
    assert message.startswith("Someone else changed this LLM since you opened the form; reload")
    assert patches(emulator) == []
    llm.refresh_from_db()
    assert (llm.description, llm.version) == ("Theirs", 2)
    [event] = edit_events()
    assert event.outcome == "failure" and "Someone else" in event.message


def test_htmx_edits_redirect_on_success_and_re_render_on_errors(
    editor_client, emulator, llm
) -> None:
    htmx = {"HX-Request": "true"}
    data = form_of(editor_client, llm)
    bad = editor_client.post(edit_url(llm), data | {"model": ""}, headers=htmx)
    html = bad.content.decode()
    assert bad.status_code == 200 and html.lstrip().startswith('<form id="llm-form"')
    assert "<html" not in html and "This field is required." in html
    good = editor_client.post(edit_url(llm), data | {"model": "gpt-5"}, headers=htmx)
    assert good["HX-Redirect"] == llm.get_absolute_url()


def test_adding_a_header_row_on_the_edit_page(editor_client, emulator, llm) -> None:
    data = form_of(editor_client, llm) | {"_action": "add_header"}
    html = editor_client.post(edit_url(llm), data, headers={"HX-Request": "true"}).content.decode()
    assert html.lstrip().startswith('<div id="extra-headers"')
    assert html.count('name="header_name"') == 2 and f"/llms/{llm.pk}/edit/" in html
    assert patches(emulator) == []


def test_the_edit_auth_fragment_swaps_to_the_chosen_auth_type(editor_client, llm) -> None:
    html = editor_client.get(
        f"/llms/{llm.pk}/edit/auth-fields/", {"auth_type": "header"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert html.lstrip().startswith('<div id="auth-fields"')
    assert 'name="header"' in html and 'name="value"' in html and 'name="token"' not in html


def test_the_edit_type_fragment_keeps_the_secret_help(editor_client, llm) -> None:
    html = editor_client.get(
        f"/llms/{llm.pk}/edit/type-fields/", {"type": "vertex-ai"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert 'name="api_key"' in html and "Leave blank to keep" in html


def test_a_platform_llm_page_says_why_it_cannot_be_edited(editor_client, emulator, team) -> None:
    platform = LLMDefinition.objects.create(
        team=team,
        vectara_id="llm_builtin",
        name="builtin",
        type="openai-compatible",
        auth_type="bearer",
        ownership="platform",
    )
    html = editor_client.get(edit_url(platform)).content.decode()
    assert "built into Vectara" in html and 'name="model"' not in html
    editor_client.post(edit_url(platform), {"description": "x", "version": "1"})
    assert patches(emulator) == []


def test_another_teams_llm_is_not_found(client, emulator, llm) -> None:
    client.force_login(member("editor"))  # an editor, but of another team
    assert client.get(edit_url(llm)).status_code == 404
    assert client.post(edit_url(llm), {"description": "x"}).status_code == 404


def test_a_viewer_may_not_edit(client, team, emulator, llm) -> None:
    client.force_login(member("viewer", team))
    response = client.get(edit_url(llm))
    assert response.status_code == 403 and "editor or admin role" in response.content.decode()
    assert client.post(edit_url(llm), {"description": "x", "version": "1"}).status_code == 403
    assert patches(emulator) == []


def test_the_service_checks_the_role_itself(team, emulator, llm) -> None:
    viewer = member("viewer", team)
    changes = LLMChanges(type="openai-compatible", fields={"description": "x"})
    with pytest.raises(ActionDenied):
        llm_update(actor=viewer, origin=Origin.system("t"), llm=llm, changes=changes, version=1)
    assert patches(emulator) == []
    assert edit_events() == []
    event = AuditEvent.objects.get(outcome="denied")
    assert (event.action, event.outcome, event.details["action"]) == (
        "access.denied",
        "denied",
        "llm.edit",
    )
    assert event.details["after"] == {"description": "x"}


def test_the_edit_forms_helpers_work_for_an_llm_of_another_team_than_the_current_one(
    client, team, emulator, llm
) -> None:
    # An editor of `team` whose current team (first by name) is one where they only view.
    person = member("editor", team, username="multi")
    MembershipFactory(
        user=person, team=TeamFactory(name="Aardvark", slug="aardvark"), role="viewer"
    )
    client.force_login(person)
    assert client.get(edit_url(llm)).status_code == 200
    check = client.post("/llms/new/check-uri/", {"uri": "https://10.0.0.1/v1"})
    assert check.status_code == 200 and "10.0.0.1" in check.content.decode()
    assert client.post("/llms/new/check-json/", {"test_model_parameters": "{"}).status_code == 200
