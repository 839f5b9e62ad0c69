from __future__ import annotations

import pytest
from django.http import QueryDict

from llmadmin.llms.forms import LLMCreateForm

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
        (["content-length"], ["5"], "sets this header itself"),
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
