"""The create flow through Django's test client and the emulator over real HTTP."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from llmadmin.audit.models import AuditEvent
from llmadmin.llms.models import LLMDefinition
from tests.llms import cases
from tests.support import contract
from tests.teams.factories import member

pytestmark = pytest.mark.usefixtures("dns_records")

NEW = "/llms/new/"
TOKEN = "sk-live-9f8e7d6c5b4a3210"


def form_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "type": "openai-compatible",
        "name": "gpt-prod",
        "description": "Production GPT-4o",
        "model": "gpt-4o",
        "uri": "https://api.openai.com/v1/chat/completions",
        "auth_type": "bearer",
        "token": TOKEN,
        "max_tokens": "16",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_form_shows_the_public_field_names(editor_client) -> None:
    html = editor_client.get(NEW).content.decode()
    for name in ("type", "name", "description", "model", "uri", "auth_type", "token"):
        assert f'name="{name}"' in html
    # Bearer is the default: its token field is shown, the header fields are not.
    assert 'name="header"' not in html and 'name="value"' not in html


def test_create_sends_the_contract_body_and_shows_the_detail_page(editor_client, emulator) -> None:
    response = editor_client.post(NEW, form_data())

    llm = LLMDefinition.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/llms/{llm.pk}/"
    [sent] = emulator.requests
    assert (sent.method, sent.path) == ("POST", "/v2/llms")
    assert sent.headers["x-api-key"] == "test-dashboard-key"
    contract.validate("CreateLLMRequest", sent.json)
    assert sent.json == {
        "type": "openai-compatible",
        "name": "gpt-prod",
        "description": "Production GPT-4o",
        "model": "gpt-4o",
        "uri": "https://api.openai.com/v1/chat/completions",
        "auth": {"type": "bearer", "token": TOKEN},
        "test_model_parameters": {"max_tokens": 16},
    }
    assert llm.vectara_id == emulator.store.get("gpt-prod")["id"]

    page = editor_client.get(response["Location"]).content.decode()
    for text in (
        llm.vectara_id,
        "gpt-prod",
        "Production GPT-4o",
        "gpt-4o",
        "enabled",
        "Bearer token",
        "…3210",
    ):
        assert text in page
    assert TOKEN not in page


def test_create_with_a_custom_header_and_extra_headers(editor_client, emulator) -> None:
    response = editor_client.post(
        NEW,
        form_data(
            name="azure-gpt4",
            uri="https://my-resource.openai.azure.com/openai/deployments/gpt4/chat/completions?api-version=2024-02-15-preview",
            auth_type="header",
            token=None,
            header="api-key",
            value=TOKEN,
            header_name=["x-team", ""],
            header_value=["platform", ""],
        ),
    )
    assert response.status_code == 302
    [sent] = emulator.requests
    contract.validate("CreateLLMRequest", sent.json)
    assert sent.json["auth"] == {"type": "header", "header": "api-key", "value": TOKEN}
    assert sent.json["headers"] == {"x-team": "platform"}
    llm = LLMDefinition.objects.get()
    assert (llm.auth_type, llm.auth_public, llm.headers) == (
        "header",
        {"type": "header", "header": "api-key"},
        {"x-team": "platform"},
    )


def test_an_htmx_create_answers_with_a_client_redirect(editor_client, emulator) -> None:
    response = editor_client.post(NEW, form_data(), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response["HX-Redirect"] == LLMDefinition.objects.get().get_absolute_url()


def test_an_htmx_create_with_errors_re_renders_only_the_form(editor_client, emulator) -> None:
    response = editor_client.post(NEW, form_data(name=""), headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<form id="llm-form"') and "<html" not in html
    assert "This field is required." in html
    assert emulator.requests == []


def test_invalid_input_never_reaches_vectara_nor_the_database(editor_client, emulator) -> None:
    response = editor_client.post(NEW, form_data(uri="https://10.1.2.3/v1", name="x\r\ny"))
    assert response.status_code == 200
    assert emulator.requests == []
    assert not LLMDefinition.objects.exists()
    assert TOKEN not in response.content.decode()


def test_a_name_taken_in_vectara_is_shown_at_the_name_field(editor_client, emulator) -> None:
    emulator.store.put(
        {
            "id": "llm_outside",
            "name": "gpt-prod",
            "type": "openai-compatible",
            "model": "gpt-4o",
            "uri": "https://api.openai.com/v1/chat/completions",
            "auth": {"type": "bearer", "token": "other"},
            "enabled": True,
            "ownership": "customer",
        }
    )
    response = editor_client.post(NEW, form_data())
    assert response.status_code == 200
    assert "already exists" in response.context["form"].errors["name"][0]
    assert not LLMDefinition.objects.exists()
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.upstream_status) == ("llm.create", "failure", 409)


def test_a_successful_create_is_one_audit_event_with_the_secret_redacted(
    editor_client, emulator
) -> None:
    editor_client.post(NEW, form_data(), REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT="pytest-ua")
    event = AuditEvent.objects.get()
    llm = LLMDefinition.objects.get()
    assert (event.action, event.outcome, event.actor_username) == ("llm.create", "success", "erin")
    assert (event.target_type, event.target_id, event.target_label) == (
        "llm",
        str(llm.pk),
        "gpt-prod",
    )
    assert (event.source_ip, event.user_agent, event.upstream_status) == (
        "198.51.100.7",
        "pytest-ua",
        201,
    )
    assert event.request_id and event.team_slug == "platform"
    assert event.details["request"]["auth"] == {"type": "bearer", "token": "[redacted]"}
    assert TOKEN not in str(event.details)


def test_a_viewer_may_not_open_the_form(client, team) -> None:
    client.force_login(member("viewer", team))
    response = client.get(NEW)
    assert response.status_code == 403
    assert "editor or admin role" in response.content.decode()
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome) == ("access.denied", "denied")


def test_a_viewer_posting_the_form_changes_nothing(client, team, emulator) -> None:
    client.force_login(member("viewer", team))
    assert client.post(NEW, form_data()).status_code == 403
    assert emulator.requests == [] and not LLMDefinition.objects.exists()


def test_anonymous_people_are_sent_to_log_in(client, db) -> None:
    response = client.get(NEW)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_auth_fields_fragment_swaps_to_header_fields(editor_client) -> None:
    html = editor_client.get(
        "/llms/new/auth-fields/", {"auth_type": "header"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert html.lstrip().startswith('<div id="auth-fields"')
    assert 'name="header"' in html and 'name="value"' in html and 'name="token"' not in html


@pytest.mark.parametrize(
    ("uri", "needle"),
    [
        ("https://169.254.169.254/latest", "169.254.169.254"),
        ("https://nowhere.example.net/v1", "does not resolve"),
        ("https://my-resource.openai.azure.com/openai/deployments/x/chat/completions", "api-key"),
        ("https://api.anthropic.com/v1/messages", "x-api-key"),
    ],
)
def test_inline_uri_check_explains_refusals_warnings_and_hints(editor_client, uri, needle) -> None:
    response = editor_client.post(
        "/llms/new/check-uri/", {"uri": uri}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="uri-feedback"')
    assert needle in html


def test_adding_a_header_row_keeps_the_typed_rows(editor_client, emulator) -> None:
    response = editor_client.post(
        NEW,
        form_data(_action="add_header", header_name=["x-team"], header_value=["ml"]),
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="extra-headers"')
    assert html.count('name="header_name"') == 2 and 'value="x-team"' in html
    assert emulator.requests == []


@pytest.mark.parametrize("htmx", [True, False])
def test_removing_a_header_row_keeps_the_others(editor_client, emulator, htmx) -> None:
    rows = {"header_name": ["x-drop", "x-keep"], "header_value": ["gone", "kept"]}
    response = editor_client.post(
        NEW,
        form_data(_action="remove_header:0", **rows),
        headers={"HX-Request": "true"} if htmx else {},
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="extra-headers"') == htmx
    assert 'value="x-keep"' in html and 'value="kept"' in html
    assert "x-drop" not in html and "gone" not in html
    assert emulator.requests == []


def test_without_javascript_the_refresh_button_shows_the_chosen_auth_fields(editor_client) -> None:
    response = editor_client.post(NEW, form_data(_action="refresh", auth_type="header", token=None))
    html = response.content.decode()
    assert 'name="header"' in html and 'name="value"' in html
    assert 'value="gpt-prod"' in html  # what was typed stays
    assert "This field is required" not in html


# --- every type ------------------------------------------------------------------------------


@pytest.mark.parametrize(("llm_type", "auth_type"), cases.CASES, ids=cases.CASE_IDS)
def test_create_of_every_type_and_auth_through_the_emulator(
    editor_client, emulator, dns_records, llm_type: str, auth_type: str
) -> None:
    dns_records.update(cases.DNS)
    data = cases.form_fields(llm_type, auth_type, image_support="true", idle_timeout_seconds="90")
    response = editor_client.post(NEW, data)

    llm = LLMDefinition.objects.get()
    assert response.status_code == 302 and response["Location"] == llm.get_absolute_url()
    [sent] = emulator.requests
    contract.validate("CreateLLMRequest", sent.json)
    assert sent.json["auth"] == cases.expected_auth(auth_type)
    assert sent.json["capabilities"] == {"image_support": True}
    stored = emulator.store.get(llm.vectara_id)
    assert stored["type"] == llm_type and stored["idle_timeout_seconds"] == 90
    assert (llm.type, llm.auth_type, llm.idle_timeout_seconds) == (llm_type, auth_type, 90)
    assert llm.capabilities["image_support"] is True  # as Vectara answered, inferred ones too
    assert cases.SECRET not in str(llm.auth_public) + llm.auth_fingerprint
    page = editor_client.get(llm.get_absolute_url()).content.decode()
    assert cases.SECRET not in page and "BEGIN PRIVATE" not in page


def test_an_anthropic_llm_without_uri_gets_vectaras_default(editor_client, emulator) -> None:
    data = cases.form_fields("anthropic", "bedrock_api_key", uri="")
    assert editor_client.post(NEW, data).status_code == 302
    assert "uri" not in emulator.requests[0].json
    assert LLMDefinition.objects.get().uri == "https://api.anthropic.com/v1/messages"


def test_a_key_file_upload_creates_a_vertex_llm(editor_client, emulator, dns_records) -> None:
    dns_records.update(cases.DNS)
    data = cases.form_fields("vertex-ai", "service_account", key_json="")
    data["key_file"] = SimpleUploadedFile("key.json", cases.SA_KEY.encode())
    assert editor_client.post(NEW, data).status_code == 302
    assert emulator.requests[0].json["auth"] == {
        "type": "service_account",
        "key_json": cases.SA_KEY,
    }
    assert LLMDefinition.objects.get().auth_fingerprint == "key id …01234567"


def test_the_type_fragment_offers_the_types_auth_and_keeps_header_rows(editor_client) -> None:
    response = editor_client.get(
        "/llms/new/type-fields/",
        {
            "type": "anthropic",
            "auth_type": "api_key",
            "header_name": "x-team",
            "header_value": "ml",
        },
        headers={"HX-Request": "true"},
    )
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="type-fields"')
    # api_key is not an Anthropic shape: the first one it accepts is shown instead.
    assert 'value="bedrock_static_iam"' in html and 'value="oauth_client_credentials"' not in html
    assert 'name="token"' in html and 'value="x-team"' in html
    assert "optional" in html  # Anthropic's URI note

    vertex = editor_client.get(
        "/llms/new/type-fields/", {"type": "vertex-ai"}, headers={"HX-Request": "true"}
    ).content.decode()
    assert 'name="api_key"' in vertex and 'name="header_name"' not in vertex


def test_the_auth_fragment_depends_on_the_type(editor_client) -> None:
    html = editor_client.get(
        "/llms/new/auth-fields/",
        {"type": "anthropic", "auth_type": "vertex_service_account"},
        headers={"HX-Request": "true"},
    ).content.decode()
    for name in ("key_json", "key_file", "project", "region"):
        assert f'name="{name}"' in html


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ('{"temperature": 0}', "valid JSON object"),
        ("[1]", "JSON object, such as"),
        ("{", "not valid JSON"),
    ],
)
def test_the_inline_json_check(editor_client, raw: str, needle: str) -> None:
    response = editor_client.post(
        "/llms/new/check-json/", {"test_model_parameters": raw}, headers={"HX-Request": "true"}
    )
    html = response.content.decode()
    assert response.status_code == 200 and html.lstrip().startswith('<div id="json-feedback"')
    assert needle in html


def test_without_javascript_the_refresh_button_shows_the_chosen_type(editor_client) -> None:
    response = editor_client.post(
        NEW, form_data(_action="refresh", type="vertex-ai", auth_type="bearer", token=None)
    )
    html = response.content.decode()
    assert 'name="api_key"' in html and 'name="token"' not in html
    assert 'value="gpt-prod"' in html and "This field is required" not in html
