"""JSON typed or pasted into a form has bounds: 32 levels of nesting, a size, finite numbers.

Every entry point that parses such JSON (the create form, the edit form, the inline check
as the person leaves the textarea, Test connection, the service account key) refuses what
breaks a bound with a sentence that names the rule, before anything goes upstream: the
emulator and the model server get no request, no local record changes, the audit log
records nothing. JSON right at the bounds goes through, and its audit event seals.
"""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from llmadmin.audit.models import AuditEvent
from llmadmin.audit.verify import verify_chain
from llmadmin.llms.models import LLMDefinition
from llmadmin.llms.validators import MAX_JSON_DEPTH
from llmadmin.vectara.client import VectaraClient
from tests.llms.cases import DNS, SA_KEY, URIS
from tests.llms.lifecycle_support import seeded
from tests.support.fault_server import Fault, fault_server
from tests.teams.factories import member

BOUNDED = settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TOO_DEEP = f"This JSON nests objects and lists more than {MAX_JSON_DEPTH} levels deep"
NOT_FINITE = "only finite numbers are allowed, such as 0 or 1.5."
TOO_LONG = "characters long; the limit is 10,000. Shorten it."

# --- strategies ---------------------------------------------------------------------------


def nest(kinds: str) -> str:
    """A JSON object one level deeper than `kinds` says: under the top object, an object ("o")
    or a list ("l") per letter, each with some shallow company."""
    text = "0"
    for kind in kinds:
        text = f'{{"k": {text}, "n": 1}}' if kind == "o" else f"[1, {text}]"
    return f'{{"temperature": 0, "deep": {text}}}' if kinds else "{}"


def nested_object(depth: st.SearchStrategy[int]) -> st.SearchStrategy[str]:
    """JSON objects whose deepest point is `depth` objects and lists down (the top is 1)."""
    return depth.flatmap(lambda n: st.text("ol", min_size=n - 1, max_size=n - 1)).map(nest)


# NaN and the infinities in every spelling Python's json writes or reads, and numbers that
# overflow a float to infinity: huge exponents in each notation, and integers of 310+ digits.
NON_FINITE = st.one_of(
    st.sampled_from(["NaN", "Infinity", "-Infinity"]),
    st.builds(
        "{}{}{}{}".format,
        st.sampled_from(["", "-"]),
        st.sampled_from(["1", "9.99", "0.5", "17"]),
        st.sampled_from(["e", "E", "e+", "E+"]),
        st.integers(310, 10**6),
    ),
    st.integers(310, 4000).map(lambda digits: "9" * digits),
)


@st.composite
def with_non_finite(draw: st.DrawFn) -> str:
    number = draw(NON_FINITE)
    return draw(
        st.sampled_from(
            [
                f'{{"temperature": {number}}}',
                f'{{"top_p": 1, "stop": [1, 2, {number}]}}',
                f'{{"a": {{"b": {{"c": {number}}}}}}}',
            ]
        )
    )


def json_of_length(chars: int) -> str:
    return '{"k": "' + "a" * (chars - 9) + '"}'


TOO_BIG = st.integers(10_001, 200_000).map(json_of_length)
REFUSED = st.one_of(
    nested_object(st.integers(MAX_JSON_DEPTH + 1, 900)).map(lambda text: (text, TOO_DEEP)),
    with_non_finite().map(lambda text: (text, NOT_FINITE)),
    TOO_BIG.map(lambda text: (text, TOO_LONG)),
)


def field_errors(response, field: str) -> str:
    """The errors the page shows under `field`."""
    found = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', shown(response))
    return found.group(1) if found else ""


def shown(response) -> str:
    assert response.status_code == 200
    return " ".join(unescape(response.content.decode()).split())


@pytest.fixture
def admin_client(team, emulator, dns_records) -> Client:
    dns_records.update(DNS)
    client = Client()
    client.force_login(member("admin", team, username="ada"))
    return client


def create_form(**fields: object) -> dict[str, object]:
    data: dict[str, object] = {
        "type": "openai-compatible",
        "name": "bounded",
        "model": "gpt-4o",
        "uri": URIS["openai-compatible"],
        "auth_type": "bearer",
        "token": "sk-json-bounds-0123456789",
    }
    return data | fields


# --- the create form, the inline check, Test connection -----------------------------------


@BOUNDED
@given(case=REFUSED, htmx=st.booleans())
@example(case=(nest("o" * MAX_JSON_DEPTH), TOO_DEEP), htmx=False)
@example(case=('{"temperature": NaN}', NOT_FINITE), htmx=False)
@example(case=('{"temperature": 1e999}', NOT_FINITE), htmx=True)
@example(case=(json_of_length(10_001), TOO_LONG), htmx=True)
def test_the_create_form_refuses_unbounded_json_before_vectara(
    admin_client, emulator, case, htmx
) -> None:
    text, sentence = case
    emulator.requests.clear()
    events = AuditEvent.objects.count()
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    response = admin_client.post("/llms/new/", create_form(test_model_parameters=text), **headers)
    assert sentence in shown(response)
    assert sentence in field_errors(response, "test_model_parameters")
    assert emulator.requests == [], "nothing goes upstream"
    assert not LLMDefinition.objects.exists()
    assert AuditEvent.objects.count() == events


@BOUNDED
@given(case=REFUSED)
def test_the_inline_check_says_the_same_sentence(admin_client, emulator, case) -> None:
    text, sentence = case
    events = AuditEvent.objects.count()
    response = admin_client.post(
        "/llms/new/check-json/", {"test_model_parameters": text}, HTTP_HX_REQUEST="true"
    )
    assert sentence in shown(response)
    assert emulator.requests == []
    assert AuditEvent.objects.count() == events


@BOUNDED
@given(case=REFUSED)
def test_test_connection_refuses_it_before_calling_the_model(
    admin_client, emulator, model_dns_http, case
) -> None:
    text, sentence = case
    with fault_server(Fault.status(200, {"choices": []})) as server:
        port = server.base_url.rsplit(":", 1)[1]
        data = create_form(uri=f"http://model.test:{port}/v1/chat", test_model_parameters=text)
        html = shown(admin_client.post("/llms/test-connection/", data, HTTP_HX_REQUEST="true"))
    assert "Fix these before testing the connection:" in html and sentence in html
    assert server.hits == 0, "the model server got nothing"
    assert not AuditEvent.objects.filter(action="llm.test").exists()


@BOUNDED
@given(text=nested_object(st.integers(1, MAX_JSON_DEPTH)))
@example(text=nest("l" * (MAX_JSON_DEPTH - 1)))
@example(text=nest("ol" * 15))  # 31 levels
@example(text=json_of_length(10_000))
def test_json_within_the_bounds_is_created_and_its_event_seals(admin_client, emulator, text):
    LLMDefinition.objects.all().delete()
    emulator.store.clear()
    emulator.requests.clear()
    response = admin_client.post("/llms/new/", create_form(test_model_parameters=text))
    assert response.status_code == 302, shown(response)
    [sent] = [r for r in emulator.requests if r.method == "POST"]
    assert sent.json.get("test_model_parameters", {}) == json.loads(text)
    assert LLMDefinition.objects.get().test_model_parameters == json.loads(text)
    event = AuditEvent.objects.filter(action="llm.create").latest("id")
    assert event.outcome == "success"
    assert verify_chain().intact


# --- the edit form ------------------------------------------------------------------------


@BOUNDED
@given(case=REFUSED)
def test_the_edit_form_refuses_unbounded_json_before_vectara(
    admin_client, emulator, team, case
) -> None:
    text, sentence = case
    llm = LLMDefinition.objects.filter(name="bounded-edit").first()
    llm = llm or seeded(emulator, team, name="bounded-edit")
    before = (llm.version, llm.test_model_parameters)
    emulator.requests.clear()
    events = AuditEvent.objects.count()
    data = {
        "type": llm.type,
        "model": llm.model,
        "uri": llm.uri,
        "auth_type": llm.auth_type,
        "version": llm.version,
        "test_model_parameters": text,
    }
    response = admin_client.post(f"/llms/{llm.pk}/edit/", data)
    assert sentence in field_errors(response, "test_model_parameters")
    assert emulator.requests == []
    llm.refresh_from_db()
    assert (llm.version, llm.test_model_parameters) == before
    assert AuditEvent.objects.count() == events


def test_the_edit_form_takes_json_at_the_bounds(admin_client, emulator, team) -> None:
    """The refusals above are the JSON's: the same edit within the bounds is saved."""
    llm = seeded(emulator, team, name="bounded-edit")
    text = nest("lo" * 15 + "l")  # 32 levels
    data = {
        "type": llm.type,
        "model": llm.model,
        "uri": llm.uri,
        "auth_type": llm.auth_type,
        "version": llm.version,
        "test_model_parameters": text,
    }
    response = admin_client.post(f"/llms/{llm.pk}/edit/", data)
    assert response.status_code == 302
    [patch] = [r for r in emulator.requests if r.method == "PATCH"]
    assert patch.json["test_model_parameters"] == json.loads(text)
    llm.refresh_from_db()
    assert llm.test_model_parameters == json.loads(text)
    assert AuditEvent.objects.filter(action="llm.edit", outcome="success").exists()
    assert verify_chain().intact


def test_a_model_server_answering_json_nested_without_bound_gets_a_sentence(
    admin_client, emulator, model_dns_http
) -> None:
    """What the model answers is parsed for its error message; nesting can't turn it into a
    500, and the test's audit event still seals."""
    deep = "[" * 30_000 + "]" * 30_000
    answer = Fault.status(400, raw_body=deep, content_type="application/json")
    with fault_server(answer) as server:
        port = server.base_url.rsplit(":", 1)[1]
        data = create_form(uri=f"http://model.test:{port}/v1/chat")
        html = shown(admin_client.post("/llms/test-connection/", data, HTTP_HX_REQUEST="true"))
    assert server.hits == 1
    assert "model.test answered 400: the server was reached" in html
    assert AuditEvent.objects.get(action="llm.test").upstream_status == 400
    assert verify_chain().intact


# --- the service account key --------------------------------------------------------------


@BOUNDED
@given(number=NON_FINITE, depth=st.integers(MAX_JSON_DEPTH, 600), which=st.booleans())
def test_a_service_account_key_is_held_to_the_same_rules(
    admin_client, emulator, number, depth, which
) -> None:
    key = json.loads(SA_KEY)
    if which:
        pasted, sentence = SA_KEY[:-1] + f', "extra": {number}}}', NOT_FINITE
    else:
        # The key object is level 1, so `depth` more levels inside it breaks the bound.
        inner = "[" * depth + "1" + "]" * depth
        pasted, sentence = SA_KEY[:-1] + f', "extra": {inner}}}', TOO_DEEP
    emulator.requests.clear()
    data = {
        "type": "vertex-ai",
        "name": "sa-bounded",
        "model": "gemini-2.5-flash",
        "uri": URIS["vertex-ai"],
        "auth_type": "service_account",
        "key_json": pasted,
    }
    response = admin_client.post("/llms/new/", data)
    assert sentence in field_errors(response, "key_json")
    assert key["private_key_id"] not in shown(response), "the key is never quoted back"
    assert emulator.requests == []
    assert not LLMDefinition.objects.exists()


# --- the Vectara client -------------------------------------------------------------------


@pytest.mark.parametrize("number", [float("nan"), float("inf"), -float("inf")])
def test_the_vectara_client_never_sends_a_non_finite_number(emulator, number) -> None:
    client = VectaraClient(base_url=emulator.base_url, api_key="test-dashboard-key")
    body = {"type": "openai-compatible", "name": "x", "test_model_parameters": {"t": number}}
    with pytest.raises(ValueError, match="not JSON compliant"):
        client.create_llm(body)
    assert emulator.requests == []
