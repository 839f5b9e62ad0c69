"""Test connection from the create and edit forms, against real servers on free ports: what
the model server receives, where the connection goes, and what the person sees."""

from __future__ import annotations

import json
import logging
import socket
from collections.abc import Iterator
from html import unescape

import pytest

from llmadmin.audit.models import AuditEvent
from llmadmin.llms import outbound
from llmadmin.llms.models import LLMDefinition
from tests.support.fault_server import Fault, fault_server, refused_url, unaccepting_server

URL = "/llms/test-connection/"
SECRET = "sk-test-conn-canary-7788990011223344"
OK = Fault.status(200, {"id": "chatcmpl-1", "choices": [{"message": {"content": "pong"}}]})
HTMX = {"HTTP_HX_REQUEST": "true"}


def port_of(base_url: str) -> int:
    return int(base_url.rsplit(":", 1)[1])


def form(port: int, path: str = "/v1/chat/completions", **fields: object) -> dict[str, object]:
    data: dict[str, object] = {
        "type": "openai-compatible",
        "name": "probe",
        "model": "gpt-4o-mini",
        "uri": f"http://model.test:{port}{path}",
        "auth_type": "bearer",
        "token": SECRET,
    }
    data.update(fields)
    return {k: v for k, v in data.items() if v is not None}


def fragment(response) -> str:
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="connection-result"'), "htmx gets the fragment only"
    assert SECRET not in html
    return " ".join(unescape(html).split())


def the_event() -> AuditEvent:
    event = AuditEvent.objects.get(action="llm.test")
    assert SECRET not in json.dumps(event.details) + event.message
    assert SECRET[-12:] not in json.dumps(event.details) + event.message
    return event


# --- what the model server receives ------------------------------------------------------


def test_bearer_sends_exactly_the_configured_headers_and_a_minimal_chat(
    editor_client, model_dns_http
) -> None:
    with fault_server(OK) as server:
        port = port_of(server.base_url)
        data = form(
            port, "/v1/chat/completions?api-version=1", test_model_parameters='{"temperature": 0}'
        )
        data |= {
            "header_name": ["anthropic-version", "x-team"],
            "header_value": ["2023-06-01", "a"],
        }
        html = fragment(editor_client.post(URL, data, **HTMX))
    [received] = server.received
    assert received.method == "POST"
    assert received.path == "/v1/chat/completions?api-version=1"
    assert received.headers == {
        "host": f"model.test:{port}",
        "user-agent": outbound.USER_AGENT,
        "accept-encoding": "identity",
        "content-type": "application/json",
        "accept": "application/json",
        "content-length": str(len(received.body)),
        "authorization": f"Bearer {SECRET}",
        "anthropic-version": "2023-06-01",
        "x-team": "a",
    }
    assert received.json() == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "ping"}],
        "max_tokens": 16,
        "temperature": 0,
    }
    assert "model.test answered 200 in" in html
    assert "the credentials work" in html
    event = the_event()
    assert (event.outcome, event.upstream_status, event.target_label) == ("success", 200, "probe")
    assert event.details["auth"] == {"type": "bearer", "token": "[redacted]"}
    assert event.details["status"] == 200 and event.details["latency_ms"] >= 0


def test_header_auth_sends_the_key_in_the_named_header_only(editor_client, model_dns_http) -> None:
    with fault_server(OK) as server:
        data = form(port_of(server.base_url), auth_type="header", token=None)
        data |= {"header": "x-api-key", "value": SECRET}
        fragment(editor_client.post(URL, data, **HTMX))
    [received] = server.received
    assert received.headers["x-api-key"] == SECRET
    assert "authorization" not in received.headers


def test_openai_responses_gets_its_own_body_with_the_forms_max_tokens(
    editor_client, model_dns_http
) -> None:
    with fault_server(OK) as server:
        data = form(port_of(server.base_url), "/v1/responses", type="openai-responses")
        fragment(editor_client.post(URL, data | {"max_tokens": "32"}, **HTMX))
    assert server.received[0].json() == {
        "model": "gpt-4o-mini",
        "input": "ping",
        "max_output_tokens": 32,
    }


# --- where the connection goes -----------------------------------------------------------

LOOKUPS: list[str] = []


def resolve_once(host: str) -> list[str]:
    """Answers the URI check, then fails the test if anything asks again (DNS rebinding)."""
    LOOKUPS.append(host)
    if len(LOOKUPS) > 1:
        raise AssertionError(f"{host} was resolved a second time")
    return ["127.0.0.1"]


@pytest.fixture
def lookups(settings, monkeypatch) -> Iterator[list[str]]:
    settings.LLMADMIN_DNS_RESOLVER = f"{__name__}.resolve_once"
    system = socket.getaddrinfo
    asked: list[str] = []

    def spy(host, *args, **kwargs):  # type: ignore[no-untyped-def]
        asked.append(str(host))
        return system(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", spy)
    LOOKUPS.clear()
    yield asked
    LOOKUPS.clear()


def test_the_request_goes_to_the_vetted_address_without_a_second_lookup(
    editor_client, model_dns_http, lookups
) -> None:
    with fault_server(OK) as server:
        html = fragment(editor_client.post(URL, form(port_of(server.base_url)), **HTMX))
    assert server.hits == 1
    assert "answered 200" in html and "127.0.0.1" in html
    assert LOOKUPS == ["model.test"], "only the URI check looks the name up"
    assert "model.test" not in lookups, "the socket is opened to the IP, not the name"


def test_a_refused_vetted_address_falls_back_to_the_next_one(editor_client, model_dns_http) -> None:
    # Nothing listens on 127.0.0.2, so the first vetted address refuses the connection.
    model_dns_http["model.test"] = ["127.0.0.2", "127.0.0.1"]
    with fault_server(OK) as server:
        html = fragment(editor_client.post(URL, form(port_of(server.base_url)), **HTMX))
    assert server.hits == 1
    assert "answered 200" in html and "from 127.0.0.1" in html
    assert AuditEvent.objects.filter(action="llm.test").count() == 1


def test_a_name_that_does_not_resolve_here_is_not_tested(editor_client, model_dns_http) -> None:
    del model_dns_http["model.test"]
    html = fragment(editor_client.post(URL, form(8080), **HTMX))
    assert (
        "model.test does not resolve from the dashboard's network, so it can't be tested from "
        "here; Vectara will test it when you save." in html
    )
    assert the_event().outcome == "failure"


def test_a_redirect_is_reported_and_not_followed(editor_client, model_dns_http) -> None:
    with fault_server(OK) as final:
        moved = Fault.status(302, headers={"Location": f"{final.base_url}/v2/chat"})
        with fault_server(moved) as server:
            html = fragment(editor_client.post(URL, form(port_of(server.base_url)), **HTMX))
        assert final.hits == 0, "the redirect target must get nothing, least of all the key"
    assert server.hits == 1
    assert (
        "model.test answered 302 and redirected to the address below; llmadmin does not "
        "follow redirects — use the final URL." in html
    )
    assert f"<p>It redirects to: {final.base_url}/v2/chat</p>" in html
    event = the_event()
    assert (event.upstream_status, event.details["category"]) == (302, "redirect")
    assert "/v2/chat" not in event.message + json.dumps(event.details), "the Location is not kept"


# --- what the provider said --------------------------------------------------------------


def test_a_401_shows_the_providers_message_with_the_echoed_key_scrubbed(
    editor_client, model_dns_http, caplog
) -> None:
    caplog.set_level(logging.DEBUG)  # urllib3 logs each request line at DEBUG
    partial = SECRET[:10] + "****" + SECRET[-6:]
    said = f"Incorrect API key provided: {SECRET}. Also known as {partial}."
    with fault_server(Fault.status(401, {"error": {"message": said}})) as server:
        html = fragment(editor_client.post(URL, form(port_of(server.base_url)), **HTMX))
    assert "model.test refused the credentials (401)" in html
    assert "Incorrect API key provided: [redacted]. Also known as [redacted]" in html
    assert SECRET[:10] not in html
    event = the_event()
    assert (event.outcome, event.upstream_status) == ("failure", 401)
    assert event.details["category"] == "auth_refused"
    assert "Incorrect API key" not in event.message + json.dumps(event.details), "shown, not kept"
    assert "POST /v1/chat/completions" in caplog.text and SECRET[:10] not in caplog.text


@pytest.mark.parametrize(
    ("answer", "shown"),
    [
        (Fault.status(400, {"error": "model not found"}), "model not found"),
        (Fault.status(404, {"message": "No route"}), "No route"),
        (Fault.status(422, {"detail": [{"msg": "field required"}]}), "field required"),
        (Fault.status(503, [{"error": {"code": 503, "message": "Overloaded"}}]), "Overloaded"),
        (Fault.status(500, raw_body="upstream broke", content_type="text/plain"), "upstream broke"),
    ],
    ids=["error-string", "message", "detail-list", "google-list", "plain-text"],
)
def test_common_error_shapes_show_the_providers_words(
    editor_client, model_dns_http, answer, shown
) -> None:
    with fault_server(answer) as server:
        html = fragment(editor_client.post(URL, form(port_of(server.base_url)), **HTMX))
    assert f"The provider says: “{shown}”" in html


def test_a_long_provider_message_is_cut_short(editor_client, model_dns_http) -> None:
    with fault_server(Fault.status(400, {"error": {"message": "x" * 5000}})) as server:
        html = fragment(editor_client.post(URL, form(port_of(server.base_url)), **HTMX))
    assert "The provider says: “" + "x" * 299 + "…”" in html


# --- no answer ---------------------------------------------------------------------------


def test_a_refused_connection_says_so(editor_client, model_dns_http) -> None:
    port = port_of(refused_url())
    html = fragment(editor_client.post(URL, form(port), **HTMX))
    assert f"model.test at 127.0.0.1 refused the connection on port {port}." in html
    assert "127.0.0.1 is what model.test resolved to when checked" in html
    event = the_event()
    assert (event.outcome, event.details["category"]) == ("failure", "refused")


def test_a_server_that_never_answers_times_out_with_a_sentence(
    editor_client, model_dns_http, monkeypatch
) -> None:
    monkeypatch.setattr(outbound, "READ_TIMEOUT_SECONDS", 0.3)
    with fault_server(Fault.hang_before_headers(5)) as server:
        html = fragment(editor_client.post(URL, form(port_of(server.base_url)), **HTMX))
    assert server.hits == 1
    assert "model.test accepted the request but did not answer within 0.3 seconds." in html
    assert the_event().details["status"] is None


def test_a_server_that_never_accepts_times_out_with_a_sentence(
    editor_client, model_dns_http, monkeypatch
) -> None:
    monkeypatch.setattr(outbound, "CONNECT_TIMEOUT_SECONDS", 0.3)
    with unaccepting_server() as base_url:
        port = port_of(base_url)
        html = fragment(editor_client.post(URL, form(port), **HTMX))
    assert f"did not accept a connection on port {port} within 0.3 seconds" in html


def test_a_connection_closed_without_an_answer_says_so(editor_client, model_dns_http) -> None:
    with fault_server(Fault.close_without_response()) as server:
        html = fragment(editor_client.post(URL, form(port_of(server.base_url)), **HTMX))
    assert "model.test closed the connection without an HTTP answer." in html


# --- the form ----------------------------------------------------------------------------


def test_a_blank_secret_asks_for_it_and_sends_nothing(editor_client, model_dns_http) -> None:
    with fault_server(OK) as server:
        html = fragment(editor_client.post(URL, form(port_of(server.base_url), token=""), **HTMX))
    assert server.hits == 0
    assert "Type the secret to test the connection; llmadmin does not keep it." in html
    assert not AuditEvent.objects.filter(action="llm.test").exists()


def test_what_to_fix_is_listed_but_a_missing_name_does_not_block_a_test(
    editor_client, model_dns_http
) -> None:
    html = fragment(editor_client.post(URL, form(1, model="", uri="http://10.0.0.1/"), **HTMX))
    assert "Fix these before testing the connection:" in html
    assert "Model: This field is required." in html
    assert "Endpoint URI:" in html and "10.0.0.1" in html

    with fault_server(OK) as server:
        html = fragment(editor_client.post(URL, form(port_of(server.base_url), name=""), **HTMX))
    assert server.hits == 1 and "answered 200" in html


def test_without_javascript_the_result_is_a_page_with_a_way_back(
    editor_client, model_dns_http
) -> None:
    with fault_server(OK) as server:
        response = editor_client.post(URL, form(port_of(server.base_url)))
    html = unescape(response.content.decode())
    assert response.status_code == 200 and SECRET not in html
    assert "<h1>Test connection</h1>" in html and "answered 200" in html
    assert 'href="/llms/new/"' in html


def test_the_create_form_has_the_button_and_an_empty_result_slot(editor_client) -> None:
    html = editor_client.get("/llms/new/").content.decode()
    assert "{# test-connection #}" not in html  # the markers are template comments
    assert (
        'hx-post="/llms/test-connection/"' in html and 'formaction="/llms/test-connection/"' in html
    )
    assert 'id="connection-result"' in html


def test_a_viewer_may_not_test(client, model_dns_http, team) -> None:
    from tests.teams.factories import member

    client.force_login(member("viewer", team, username="vic"))
    with fault_server(OK) as server:
        response = client.post(URL, form(port_of(server.base_url)), **HTMX)
    assert response.status_code == 403
    assert server.hits == 0
    assert AuditEvent.objects.get().action == "access.denied"


# --- the edit form -----------------------------------------------------------------------


@pytest.fixture
def stored_llm(team, model_dns_http) -> Iterator[LLMDefinition]:
    yield LLMDefinition.objects.create(
        team=team,
        vectara_id="llm_stored",
        name="stored-model",
        type="openai-compatible",
        model="gpt-4o",
        uri="http://model.test:9/v1/chat/completions",
        auth_type="bearer",
        auth_public={"type": "bearer"},
        auth_fingerprint="…3344",
    )


def test_editing_with_the_secret_left_blank_asks_for_it(editor_client, stored_llm) -> None:
    html = fragment(editor_client.post(URL, {"llm": stored_llm.pk, "token": ""}, **HTMX))
    assert "Type the secret to test the connection; llmadmin does not keep it." in html


def test_editing_tests_the_stored_fields_with_the_typed_secret(editor_client, stored_llm) -> None:
    with fault_server(OK) as server:
        uri = f"http://model.test:{port_of(server.base_url)}/v1/chat/completions"
        data = {"llm": stored_llm.pk, "model": "gpt-4.1", "uri": uri, "token": SECRET}
        html = fragment(editor_client.post(URL, data, **HTMX))
    assert "answered 200" in html
    assert server.received[0].json()["model"] == "gpt-4.1"
    event = the_event()
    assert (event.target_id, event.target_label) == (str(stored_llm.pk), "stored-model")
