"""llm_test_connection as a script would call it: the role check, honest refusals for the
auth shapes it can't reproduce, and the anthropic request."""

from __future__ import annotations

import pytest

from llmadmin.audit.models import AuditEvent
from llmadmin.audit.recorder import Origin
from llmadmin.core.in_flight import PROCESS_FULL
from llmadmin.llms.services import ActionDenied, llm_test_connection
from llmadmin.llms.services.connection import UNSUPPORTED
from llmadmin.llms.spec import LLMSpec
from llmadmin.llms.uri_policy import check_uri
from tests.support.fault_server import Fault, fault_server
from tests.teams.factories import member

SECRET = "sk-service-canary-99887766554433"


def test_anthropic_gets_its_messages_body_and_the_configured_headers(
    editor, team, model_dns_http
) -> None:
    with fault_server(Fault.status(200, {"content": []})) as server:
        uri = f"{server.base_url.replace('127.0.0.1', 'model.test')}/v1/messages"
        spec = LLMSpec(
            type="anthropic",
            name="claude",
            model="claude-sonnet-4-5",
            uri=uri,
            auth={"type": "header", "header": "x-api-key", "value": SECRET},
            headers={"anthropic-version": "2023-06-01"},
        )
        result = llm_test_connection(
            actor=editor, origin=Origin.system("t"), team=team, spec=spec, uri_check=check_uri(uri)
        )
    assert result.ok
    [received] = server.received
    assert received.headers["x-api-key"] == SECRET
    assert received.headers["anthropic-version"] == "2023-06-01"
    assert received.json() == {
        "model": "claude-sonnet-4-5",
        "messages": [{"role": "user", "content": "ping"}],
        "max_tokens": 16,
    }


@pytest.mark.parametrize(
    ("llm_type", "auth"),
    [
        ("openai-compatible", {"type": "oauth_client_credentials", "client_id": "c",
                               "client_secret": SECRET, "token_endpoint": "https://t.test/"}),
        ("vertex-ai", {"type": "api_key", "api_key": SECRET}),
        ("anthropic", {"type": "bedrock_api_key", "api_key": SECRET, "region": "us-east-1"}),
    ],
)  # fmt: skip
def test_auth_it_cannot_reproduce_is_refused_honestly_and_audited(
    editor, team, model_dns_http, llm_type, auth
) -> None:
    uri = "http://model.test:9/v1/chat/completions"
    spec = LLMSpec(type=llm_type, name="n", model="m", uri=uri, auth=auth)
    result = llm_test_connection(
        actor=editor, origin=Origin.system("t"), team=team, spec=spec, uri_check=check_uri(uri)
    )
    assert not result.ok and result.message == UNSUPPORTED
    event = AuditEvent.objects.get(action="llm.test")
    assert event.outcome == "failure" and SECRET not in str(event.details)


def test_a_viewer_is_refused_by_the_service_itself(team, model_dns_http) -> None:
    uri = "http://model.test:9/v1/chat/completions"
    spec = LLMSpec(type="openai-compatible", name="n", model="m", uri=uri,
                   auth={"type": "bearer", "token": SECRET})  # fmt: skip
    with pytest.raises(ActionDenied, match="editor or admin role"):
        llm_test_connection(
            actor=member("viewer", team),
            origin=Origin.system("t"),
            team=team,
            spec=spec,
            uri_check=check_uri(uri),
        )
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.details["action"]) == (
        "access.denied",
        "denied",
        "llm.test",
    )
    assert SECRET not in str(event.details)


def test_a_full_process_refuses_test_connection_before_sending(
    editor, team, model_dns_http, settings
) -> None:
    settings.LLMADMIN_OUTBOUND_PER_PROCESS = 0  # every place is taken
    with fault_server(Fault.status(200, {"choices": []})) as server:
        uri = f"{server.base_url.replace('127.0.0.1', 'model.test')}/v1/chat/completions"
        spec = LLMSpec(
            type="openai-compatible",
            name="n",
            model="m",
            uri=uri,
            auth={"type": "bearer", "token": SECRET},
        )
        result = llm_test_connection(
            actor=editor, origin=Origin.system("t"), team=team, spec=spec, uri_check=check_uri(uri)
        )
        assert server.hits == 0
    assert (result.ok, result.category, result.message) == (False, "busy", PROCESS_FULL)
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.message) == ("llm.test", "failure", PROCESS_FULL)
