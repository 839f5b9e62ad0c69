from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import QueryDict

from llmadmin.llms.forms import AUTH_FIELDS, LLMCreateForm, parse_json_object
from llmadmin.vectara import contract as contract_module
from tests.llms import cases
from tests.support import contract

pytestmark = pytest.mark.usefixtures("dns_records")


def post(**fields: object) -> QueryDict:
    data = {
        "type": "openai-compatible",
        "name": "gpt-prod",
        "description": "",
        "model": "gpt-4o",
        "uri": "https://api.openai.com/v1/chat/completions",
        "auth_type": "bearer",
        "token": "sk-test-0123456789abcdef",
    }
    data.update({k: v for k, v in fields.items() if not isinstance(v, list)})
    q = QueryDict(mutable=True)
    for key, value in data.items():
        if value is not None:
            q[key] = str(value)
    for key, value in fields.items():
        if isinstance(value, list):
            q.setlist(key, [str(v) for v in value])
    return q


def errors(**fields: object) -> dict[str, list[str]]:
    form = LLMCreateForm(post(**fields))
    assert not form.is_valid()
    return {k: list(v) for k, v in form.errors.items()}


def test_a_complete_bearer_form_builds_the_spec() -> None:
    form = LLMCreateForm(post(max_tokens=32, description="Main model"))
    assert form.is_valid(), form.errors
    spec = form.to_spec()
    assert spec.auth == {"type": "bearer", "token": "sk-test-0123456789abcdef"}
    assert spec.test_model_parameters == {"max_tokens": 32}
    assert spec.description == "Main model"


def test_header_auth_needs_a_name_and_a_value() -> None:
    found = errors(auth_type="header", token=None)
    assert "header" in found and "value" in found
    assert "Enter the header name" in found["header"][0]


def test_header_auth_builds_header_spec_and_ignores_a_stray_token() -> None:
    form = LLMCreateForm(post(auth_type="header", header="api-key", value="k" * 20))
    assert form.is_valid(), form.errors
    assert form.to_spec().auth == {"type": "header", "header": "api-key", "value": "k" * 20}


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("name", "", "required"),
        ("name", "x" * 256, "at most 255"),
        ("description", "d" * 1001, "at most 1000"),
        ("model", "", "required"),
        ("uri", "", "required"),
        ("name", "evil\r\nX-Injected: 1", "control character"),
        ("model", "gpt\x00", "control character"),
        ("description", "ok\x00", "control character"),
        ("token", "sk-abc\r\nX-Injected: yes", "line breaks"),
        ("token", "", "Enter the token"),
    ],
)
def test_bad_fields_get_a_sentence_at_the_field(field: str, value: str, needle: str) -> None:
    found = errors(**{field: value})
    assert any(needle in message for message in found[field]), found


@pytest.mark.parametrize("name", ["x api key", "api-key:", "ключ", "a\r\nb", "a\x00"])
def test_a_header_name_must_be_an_http_token(name: str) -> None:
    found = errors(auth_type="header", header=name, value="secret-value-123", token=None)
    assert any("header name may only use" in m or "control character" in m for m in found["header"])


@pytest.mark.parametrize(
    ("uri", "needle"),
    [
        ("http://api.openai.com/v1", "http"),
        ("https://127.0.0.1/v1", "127.0.0.1"),
        ("https://169.254.169.254/latest/meta-data", "169.254.169.254"),
        ("ftp://api.openai.com/", "https"),
        ("https://user:pw@api.openai.com/v1", "user"),
    ],
)
def test_a_refused_uri_is_explained_at_the_field(uri: str, needle: str) -> None:
    found = errors(uri=uri)
    assert needle.lower() in found["uri"][0].lower()


def test_a_name_resolving_to_a_private_address_is_refused(dns_records: dict) -> None:
    dns_records["internal.example.com"] = ["10.0.0.5"]
    found = errors(uri="https://internal.example.com/v1/chat/completions")
    assert "10.0.0.5" in found["uri"][0]


def test_the_uri_is_sent_normalised() -> None:
    form = LLMCreateForm(post(uri="HTTPS://API.OPENAI.COM./v1/chat/completions"))
    assert form.is_valid(), form.errors
    assert form.to_spec().uri == "https://api.openai.com/v1/chat/completions"


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "JSON object"),
        ('"text"', "JSON object"),
    ],
)
def test_test_parameters_must_be_a_json_object(raw: str, needle: str) -> None:
    found = errors(test_model_parameters=raw)
    assert needle in found["test_model_parameters"][0]


def test_max_tokens_merges_into_test_parameters_once() -> None:
    form = LLMCreateForm(post(max_tokens=64, test_model_parameters='{"temperature": 0}'))
    assert form.is_valid(), form.errors
    assert form.to_spec().test_model_parameters == {"temperature": 0, "max_tokens": 64}
    assert (
        "one place"
        in errors(max_tokens=5, test_model_parameters='{"max_tokens": 9}')["test_model_parameters"][
            0
        ]
    )


def test_extra_headers_become_a_mapping_and_blank_rows_are_ignored() -> None:
    form = LLMCreateForm(
        post(header_name=["anthropic-version", "", "x-team"], header_value=["2023-06-01", "", "ml"])
    )
    assert form.is_valid(), form.errors
    assert form.to_spec().headers == {"anthropic-version": "2023-06-01", "x-team": "ml"}


@pytest.mark.parametrize(
    ("names", "values", "needle"),
    [
        (["x team"], ["1"], "header name may only use"),
        (["x-a", "X-A"], ["1", "2"], "listed twice"),
        (["authorization"], ["Bearer sk-zzz"], "Authentication fields"),
        (["x-api-key"], ["sk-zzz"], "Authentication fields"),
        (["content-length"], ["5"], "set by the HTTP client itself"),
        (["Keep-Alive"], ["timeout=5"], "is hop-by-hop"),
        (["Proxy-Authorization"], ["Basic eA=="], "Authentication fields"),
        (["x-a"], ["line\r\nbreak"], "printable ASCII"),
        (["x-a"], ["nul\x00"], "printable ASCII"),
    ],
)
def test_bad_extra_headers_are_refused_row_by_row(
    names: list[str], values: list[str], needle: str
) -> None:
    form = LLMCreateForm(post(header_name=names, header_value=values))
    assert not form.is_valid()
    assert any(needle in row.error for row in form.header_rows)
    assert any(needle in message for message in form.non_field_errors())


def test_an_extra_header_may_not_repeat_the_auth_header() -> None:
    form = LLMCreateForm(
        post(
            auth_type="header",
            header="api-key",
            value="v" * 20,
            header_name=["API-KEY"],
            header_value=["x"],
        )
    )
    assert not form.is_valid()
    assert "Authentication fields" in form.header_rows[0].error


def test_upstream_field_errors_land_on_matching_fields() -> None:
    form = LLMCreateForm(post())
    assert form.is_valid()
    form.add_upstream_errors(
        {"auth.token": "Token rejected.", "model": "Unknown model.", "odd": "?"}
    )
    assert form.errors["token"] == ["Vectara says: Token rejected."]
    assert form.errors["model"] == ["Vectara says: Unknown model."]
    assert "Vectara says odd: ?" in form.non_field_errors()


# --- every type and auth shape ---------------------------------------------------------------


@pytest.fixture
def more_dns(dns_records: dict) -> None:
    dns_records.update(cases.DNS)


def typed_post(llm_type: str, auth_type: str, **extra: object) -> QueryDict:
    q = QueryDict(mutable=True)
    for key, value in cases.form_fields(llm_type, auth_type, **extra).items():
        if value is not None:
            q[key] = str(value)
    return q


@pytest.mark.usefixtures("more_dns")
@pytest.mark.parametrize(("llm_type", "auth_type"), cases.CASES, ids=cases.CASE_IDS)
def test_every_type_and_auth_builds_a_contract_body(llm_type: str, auth_type: str) -> None:
    form = LLMCreateForm(typed_post(llm_type, auth_type, idle_timeout_seconds=120))
    assert form.is_valid(), form.errors
    body = form.to_spec().create_body()
    contract.validate("CreateLLMRequest", body)
    assert body["type"] == llm_type
    assert body["auth"] == cases.expected_auth(auth_type)
    assert body["idle_timeout_seconds"] == 120


@pytest.mark.usefixtures("more_dns")
@pytest.mark.parametrize(("llm_type", "auth_type"), cases.CASES, ids=cases.CASE_IDS)
def test_every_auth_shape_names_its_missing_fields(llm_type: str, auth_type: str) -> None:
    post = typed_post(llm_type, auth_type)
    required = [f for f in AUTH_FIELDS[auth_type] if f != "scopes"]
    for field in required:
        post[field] = ""
    form = LLMCreateForm(post)
    assert not form.is_valid()
    for field in required:
        assert "Enter the" in form.errors[field][0], (field, form.errors)


@pytest.mark.parametrize(
    ("llm_type", "offered"),
    [
        ("openai-compatible", ["bearer", "header", "oauth_client_credentials"]),
        ("vertex-ai", ["api_key", "service_account"]),
        ("anthropic", list(contract_module.AUTH_TYPES_BY_LLM_TYPE["anthropic"])),
    ],
)
def test_each_type_offers_exactly_its_auth_shapes(llm_type: str, offered: list[str]) -> None:
    form = LLMCreateForm(initial={"type": llm_type})
    assert [value for value, _ in form.fields["auth_type"].choices] == offered


def test_an_auth_shape_of_another_type_is_refused() -> None:
    found = errors(type="vertex-ai", auth_type="bearer")
    assert "credential types offered for this LLM type" in found["auth_type"][0]


def test_the_uri_is_optional_for_anthropic_only(dns_records: dict) -> None:
    form = LLMCreateForm(typed_post("anthropic", "bedrock_api_key", uri=""))
    assert form.is_valid(), form.errors
    assert "uri" not in form.to_spec().create_body()
    assert "only Anthropic" in errors(uri="")["uri"][0]


def test_vertex_ai_never_sends_extra_headers(more_dns: None) -> None:
    post = typed_post("vertex-ai", "api_key")
    post.setlist("header_name", ["x-team"])
    post.setlist("header_value", ["ml"])
    form = LLMCreateForm(post)
    assert form.is_valid(), form.errors
    assert "headers" not in form.to_spec().create_body()
    assert not form.show_headers


def test_capabilities_send_only_what_was_chosen() -> None:
    form = LLMCreateForm(
        post(image_support="true", tool_calling="false", structured_outputs="", context_limit=8192)
    )
    assert form.is_valid(), form.errors
    assert form.to_spec().create_body()["capabilities"] == {
        "image_support": True,
        "tool_calling": False,
        "context_limit": 8192,
    }
    plain = LLMCreateForm(post())
    assert plain.is_valid()
    assert "capabilities" not in plain.to_spec().create_body()  # unset: Vectara infers


@pytest.mark.parametrize(
    ("field", "value", "needle"),
    [
        ("context_limit", "4095", "greater than or equal to 4096"),
        ("idle_timeout_seconds", "0", "greater than or equal to 1"),
        ("idle_timeout_seconds", "3601", "less than or equal to 3600"),
        ("image_support", "maybe", "Select a valid choice"),
    ],
)
def test_capability_and_time_out_limits(field: str, value: str, needle: str) -> None:
    assert needle in errors(**{field: value})[field][0]


SA = json.loads(cases.SA_KEY)


@pytest.mark.parametrize(
    ("key_json", "needle"),
    [
        ("{not json", "not valid JSON"),
        ("[1]", "not a service account key"),
        (json.dumps({**SA, "type": "authorized_user"}), "not a service account key"),
        (json.dumps({k: v for k, v in SA.items() if k != "private_key"}), "no private_key"),
        (json.dumps({**SA, "private_key": "abc"}), "not a PEM private key"),
        (json.dumps({**SA, "token_uri": "http://x"}), "malformed"),
    ],
)
def test_a_service_account_key_is_checked_without_echoing_it(
    more_dns: None, key_json: str, needle: str
) -> None:
    form = LLMCreateForm(typed_post("vertex-ai", "service_account", key_json=key_json))
    assert not form.is_valid()
    [message] = form.errors["key_json"]
    assert needle in message
    assert "BEGIN PRIVATE" not in message and "0123456789abcdef" not in message


def test_a_service_account_key_may_be_uploaded_as_a_file(more_dns: None) -> None:
    upload = SimpleUploadedFile("key.json", cases.SA_KEY.encode(), "application/json")
    form = LLMCreateForm(
        typed_post("vertex-ai", "service_account", key_json=""), {"key_file": upload}
    )
    assert form.is_valid(), form.errors
    assert form.to_spec().auth == {"type": "service_account", "key_json": cases.SA_KEY}


def test_an_oauth_token_endpoint_is_checked_like_the_uri() -> None:
    found = errors(
        auth_type="oauth_client_credentials",
        client_id="c",
        client_secret="s" * 20,
        token_endpoint="https://169.254.169.254/token",
    )
    assert "169.254.169.254" in found["token_endpoint"][0]


@pytest.mark.usefixtures("more_dns")
@pytest.mark.parametrize(("llm_type", "auth_type"), cases.CASES, ids=cases.CASE_IDS)
def test_no_secret_is_ever_rendered_back(llm_type: str, auth_type: str) -> None:
    form = LLMCreateForm(typed_post(llm_type, auth_type, name=""))  # invalid: re-rendered
    assert not form.is_valid()
    html = "".join(str(field) for field in form.auth_fields())
    assert cases.SECRET not in html and "BEGIN PRIVATE" not in html


def test_test_parameters_json_check_for_the_inline_feedback() -> None:
    assert parse_json_object(' {"temperature": 0.2} ') == {"temperature": 0.2}
    with pytest.raises(ValidationError, match="line 1, column 2"):
        parse_json_object("{x}")
