"""Property-based fuzzing of every form and filter a person can submit.

For any input — arbitrary unicode, control characters, CR/LF, NUL, huge values, nested and
invalid JSON, numbers in odd scripts — the dashboard:
  - never answers 500;
  - never calls Vectara unless the data was valid, and then the body matches the contract;
  - never lets CR, LF or NUL reach a header Vectara receives, or one it would send on;
  - never echoes a secret typed into the submission.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from llmadmin.llms.models import LLMDefinition
from llmadmin.vectara.contract import (
    AUTH_TYPES,
    AUTH_TYPES_BY_LLM_TYPE,
    LLM_TYPES,
    SECRET_AUTH_FIELDS,
)
from tests.adversarial.corpus import RECORDS
from tests.llms.cases import AUTHS, DNS, URIS
from tests.llms.lifecycle_support import seeded
from tests.support import contract
from tests.teams.factories import UserFactory, member

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# --- strategies ---------------------------------------------------------------------------

NASTY = [
    "", " ", "\r\nX-Injected: yes", "\n", "\r", "\x00", "a\x00b", "x-a\r\nx-b", "\u202e",
    "\ufeff", "\u2028", "\x1b[31m", "<script>alert(1)</script>", "'\"><img src=x>",
    "' OR 1=1 --", "%00", "%0d%0a", "{{ 7*7 }}", "{% debug %}", "${jndi:x}", "../../etc/passwd",
    "A" * 5000, "é" * 3000, "\U0001f600" * 500, "²", "١٢", "9" * 30, "9" * 5000, "-1", "0",
    "NaN", "1e999", "[" * 5000, '{"a":' * 3000, "{}", "[]", "null", '"s"', "{'a': 1}",
]  # fmt: skip
CONTROL = st.characters(categories=["Cc", "Cf", "Zs", "Zl", "Zp"])
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)
# Strings that look like numbers to str.isdigit() or to a person, and numbers too big to store.
NUMBERISH = st.one_of(
    st.sampled_from(["²", "³", "١٢", "߁", "9" * 20, "9" * 5000, "-1", "0", "1.5", "1e3", "0x10"]),
    st.integers().map(str),
)
TEXT = st.one_of(
    st.text(max_size=120),
    NUMBERISH,
    st.sampled_from(NASTY),
    st.text(CONTROL, max_size=12),
    st.text(alphabet="\r\n\x00\t :;ab-", max_size=30),
    st.builds(lambda a, b: a + b, st.text(max_size=20), st.sampled_from(NASTY)),
)
JSON_TEXT = st.one_of(
    TEXT,
    st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=5).map(json.dumps),
    JSON_VALUES.map(json.dumps),
    st.integers(1, 3000).map(lambda n: '{"a":' * n + "1" + "}" * n),
)
URI = st.one_of(
    st.sampled_from([*sorted(set(URIS.values())), "https://llm.fuzz.example/v1"]),
    TEXT,
    TEXT.map("https://api.openai.com/v1/".__add__),
)
INJECTION = st.sampled_from(["\r\nX-Injected: 1", "\n", "\r", "\x00", "\u2028", "\x85", "\t"])
HEADER_NAME = st.one_of(st.sampled_from(["x-team", "anthropic-version", "x-trace-id"]), TEXT)
HEADER_VALUE = st.one_of(
    TEXT,
    st.builds(
        lambda a, b, c: a + b + c, st.sampled_from(["v1", "a b"]), INJECTION, st.text(max_size=5)
    ),
)
# A secret carries a random marker, so an echo of it can be told from a coincidence.
MARKER = st.text("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", min_size=16, max_size=16)
SECRET = st.builds(lambda m, t: f"zz{m}{t}", MARKER, st.one_of(st.just(""), TEXT))

SECRET_FIELDS = tuple(sorted(SECRET_AUTH_FIELDS))
PLAIN_FIELDS = (
    "name", "description", "model", "header", "client_id", "token_endpoint", "scopes",
    "aws_access_key_id", "region", "project", "max_tokens", "context_limit",
    "idle_timeout_seconds", "image_support", "tool_calling", "structured_outputs",
)  # fmt: skip


@st.composite
def llm_submission(draw: st.DrawFn) -> tuple[dict[str, Any], list[str]]:
    """A create/edit submission: a valid base for one type and auth shape, with some fields
    fuzzed; and the secrets in it."""
    llm_type = draw(st.sampled_from(sorted(LLM_TYPES)))
    auth_type = draw(
        st.one_of(
            st.sampled_from(AUTH_TYPES_BY_LLM_TYPE[llm_type]), st.sampled_from(sorted(AUTH_TYPES))
        )
    )
    data: dict[str, Any] = {
        "type": llm_type,
        "name": f"fz-{draw(MARKER).lower()}",
        "model": "model-x",
        "uri": URIS[llm_type],
        "auth_type": auth_type,
        **AUTHS[auth_type][0],
    }
    for field in draw(st.lists(st.sampled_from(PLAIN_FIELDS), max_size=2, unique=True)):
        data[field] = draw(TEXT)
    if draw(st.booleans()):
        data["uri"] = draw(URI)
    if draw(st.booleans()):
        data["test_model_parameters"] = draw(JSON_TEXT)
    if draw(st.integers(0, 4)) == 0:
        data["type"] = draw(TEXT)
    secrets = []
    for field in draw(st.lists(st.sampled_from(SECRET_FIELDS), max_size=3, unique=True)):
        data[field] = draw(SECRET)
        secrets.append(data[field][:18])  # the marker, enough to spot any echo
    rows = draw(st.lists(st.tuples(HEADER_NAME, HEADER_VALUE), max_size=3))
    if rows:
        data["header_name"] = [n for n, _ in rows]
        data["header_value"] = [v for _, v in rows]
    if draw(st.integers(0, 9)) == 0:
        steps = st.sampled_from(["add_header", "refresh", "remove_header:0"])
        data["_action"] = draw(st.one_of(steps, TEXT.map("remove_header:".__add__)))
    return data, secrets


# --- the invariants -------------------------------------------------------------------------

BAD_IN_HEADERS = ("\r", "\n", "\x00")


def strings_in(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*strings_in(k), *strings_in(v))]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return []


def assert_safe(response, emulator, secrets: list[str], *, body_schema: str | None) -> None:
    assert response.status_code < 500, response.status_code
    content = b"".join(response.streaming_content) if response.streaming else response.content
    text = content.decode("utf-8", "replace") + str(response.headers)
    for secret in secrets:
        assert secret not in text, "a secret came back in the response"
    for name, value in response.headers.items():
        assert not any(c in name + value for c in BAD_IN_HEADERS), (name, value)
    form = (response.context or {}).get("form") if response.context is not None else None
    local_errors = [
        e for errors in (form.errors.values() if form is not None and form.is_bound else [])
        for e in errors if not e.startswith(("Vectara says", "Extra headers:"))
    ]  # fmt: skip
    for request in emulator.requests:
        # The dashboard's own request headers, and every header Vectara will send on.
        for name, value in request.headers.items():
            assert not any(c in name + value for c in BAD_IN_HEADERS), (name, value)
        if request.json is None:
            continue
        auth = request.json.get("auth") or {}
        forwarded = [*strings_in(request.json.get("headers") or {}), *strings_in(auth)]
        assert not [s for s in forwarded if any(c in s for c in BAD_IN_HEADERS)], forwarded
        if body_schema:
            contract.validate(body_schema, request.json)
    if local_errors:
        assert [r for r in emulator.requests if r.method != "GET"] == [], local_errors


@pytest.fixture
def admin_client(team, emulator, dns_records) -> Client:
    dns_records.update(RECORDS | DNS)
    client = Client()
    client.force_login(member("admin", team, username="ada"))
    return client


# --- the LLM forms --------------------------------------------------------------------------


@FUZZ
@given(submission=llm_submission(), htmx=st.booleans())
def test_the_create_form_survives_any_submission(admin_client, emulator, submission, htmx) -> None:
    data, secrets = submission
    emulator.requests.clear()
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = admin_client.post("/llms/new/", data, **headers)
    assert_safe(response, emulator, secrets, body_schema="CreateLLMRequest")


@FUZZ
@given(
    name=HEADER_NAME,
    value=HEADER_VALUE,
    rows=st.lists(st.tuples(HEADER_NAME, HEADER_VALUE), min_size=1, max_size=3),
    llm_type=st.sampled_from(["openai-compatible", "anthropic"]),
)
@example(name="x-team", value="v1\r\nX-Injected: 1", rows=[("", "")], llm_type="anthropic")
@example(name="x-k", value="v1", rows=[("x-trace-id", "a\r\nb: c")], llm_type="anthropic")
@example(name="x-k\r\nX-Injected: 1", value="v1", rows=[("", "")], llm_type="anthropic")
@example(name="x-k", value="v1", rows=[("x-a\nx-b", "v")], llm_type="openai-compatible")
def test_no_cr_lf_or_nul_reaches_a_header_vectara_sends(
    admin_client, emulator, name, value, rows, llm_type
) -> None:
    """The custom auth header and the extra headers, fuzzed on an otherwise valid form."""
    data = {
        "type": llm_type,
        "name": f"hdr-{len(emulator.store.all())}",
        "model": "model-x",
        "uri": URIS[llm_type],
        "auth_type": "header",
        "header": name,
        "value": value,
        "header_name": [n for n, _ in rows],
        "header_value": [v for _, v in rows],
    }
    emulator.requests.clear()
    response = admin_client.post("/llms/new/", data)
    assert_safe(response, emulator, [], body_schema="CreateLLMRequest")


@FUZZ
@given(submission=llm_submission(), version=st.one_of(st.just("1"), TEXT))
def test_the_edit_form_survives_any_submission(
    admin_client, emulator, team, submission, version
) -> None:
    data, secrets = submission
    # The database and the emulator keep their state between examples of one test.
    llm = LLMDefinition.objects.filter(name="fuzz-edit").first()
    llm = llm or seeded(emulator, team, name="fuzz-edit")
    emulator.requests.clear()
    response = admin_client.post(f"/llms/{llm.pk}/edit/", {**data, "version": version})
    assert_safe(response, emulator, secrets, body_schema="UpdateLLMRequest")


@FUZZ
@given(submission=llm_submission(), llm_field=st.one_of(st.just(""), TEXT))
def test_test_connection_survives_any_submission(
    admin_client, emulator, submission, llm_field
) -> None:
    data, secrets = submission
    # Only names that resolve nowhere: a valid submission must not reach out to the internet.
    data["uri"] = "https://llm.fuzz.example/v1" if data.get("uri") in URIS.values() else data["uri"]
    emulator.requests.clear()
    response = admin_client.post("/llms/test-connection/", {**data, "llm": llm_field})
    assert_safe(response, emulator, secrets, body_schema=None)
    assert emulator.requests == []


@FUZZ
@given(raw=JSON_TEXT)
def test_the_json_check_answers_any_text_with_a_verdict(admin_client, emulator, raw) -> None:
    response = admin_client.post(
        "/llms/new/check-json/", {"test_model_parameters": raw}, HTTP_HX_REQUEST="true"
    )
    assert_safe(response, emulator, [], body_schema=None)
    html = response.content.decode()
    if raw.strip():
        assert ("feedback error" in html) != ("feedback ok" in html), html


@FUZZ
@given(uri=URI)
def test_the_uri_check_answers_any_text(admin_client, emulator, uri) -> None:
    response = admin_client.post("/llms/new/check-uri/", {"uri": uri}, HTTP_HX_REQUEST="true")
    assert_safe(response, emulator, [], body_schema=None)


@FUZZ
@given(
    query=st.dictionaries(st.sampled_from(["q", "sort", "filter", "page"]), TEXT, max_size=4),
    htmx=st.booleans(),
)
@example(query={"q": "\x00"}, htmx=False)  # PostgreSQL text can't hold NUL: was a 500
@example(query={"page": "9" * 5000, "sort": "-\x00", "filter": "unowned"}, htmx=True)
def test_the_llm_list_survives_any_search_and_sort(admin_client, emulator, query, htmx) -> None:
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = admin_client.get("/llms/", query, **headers)
    assert_safe(response, emulator, [], body_schema=None)
    assert response.status_code == 200


AUDIT_KEYS = [
    "q",
    "actor",
    "team",
    "action",
    "outcome",
    "target",
    "since",
    "until",
    "before",
    "after",
]


@FUZZ
@given(query=st.dictionaries(st.sampled_from(AUDIT_KEYS), TEXT, max_size=5), htmx=st.booleans())
@example(query={"q": "\x00", "actor": "\x00", "before": "9" * 30, "after": "²"}, htmx=False)
def test_the_audit_filters_survive_anything(admin_client, emulator, query, htmx) -> None:
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = admin_client.get("/audit/", query, **headers)
    assert_safe(response, emulator, [], body_schema=None)
    assert response.status_code == 200
    for fmt in ("csv", "jsonl"):
        assert_safe(admin_client.get(f"/audit/export.{fmt}", query), emulator, [], body_schema=None)


@FUZZ
@given(username=TEXT, role=st.one_of(st.sampled_from(["viewer", "editor", "admin"]), TEXT))
def test_the_members_form_survives_anything(admin_client, emulator, team, username, role) -> None:
    UserFactory(username="target-user")
    data = {"username": username if username.strip() else "target-user", "role": role}
    response = admin_client.post(f"/teams/{team.slug}/members/", data)
    assert_safe(response, emulator, [], body_schema=None)
    assert response.status_code in (200, 302, 403)


@FUZZ
@given(username=TEXT, password=SECRET, next_url=st.one_of(st.just(""), TEXT))
def test_the_log_in_form_survives_anything_and_never_echoes_the_password(
    db, emulator, username, password, next_url
) -> None:
    client = Client()
    response = client.post(
        "/accounts/login/", {"username": username, "password": password, "next": next_url}
    )
    assert_safe(response, emulator, [password[:18]], body_schema=None)
    assert response.status_code in (200, 403)
