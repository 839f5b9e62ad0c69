"""Test connection over TLS: the socket goes to the vetted IP while SNI, the Host header and
the certificate check all use the URI's host name."""

from __future__ import annotations

import json
from html import unescape
from pathlib import Path

from llmadmin.audit.models import AuditEvent
from llmadmin.audit.recorder import Origin
from llmadmin.llms.services import llm_test_connection
from llmadmin.llms.spec import LLMSpec
from llmadmin.llms.uri_policy import check_uri
from tests.support.fault_server import Fault
from tests.support.tls_server import self_signed, tls_fault_server

SECRET = "sk-tls-canary-1122334455667788"
OK = Fault.status(200, {"choices": []})


def spec_for(uri: str) -> LLMSpec:
    return LLMSpec(
        type="openai-compatible",
        name="tls-probe",
        model="gpt-4o",
        uri=uri,
        auth={"type": "bearer", "token": SECRET},
    )


def run(editor, team, uri: str, ca: Path | None):
    return llm_test_connection(
        actor=editor,
        origin=Origin.system("test"),
        team=team,
        spec=spec_for(uri),
        uri_check=check_uri(uri),
        ca_certs=str(ca) if ca else None,
    )


def test_a_trusted_certificate_for_the_name_works_through_the_pinned_ip(
    editor, team, model_dns, tmp_path
) -> None:
    cert = self_signed(tmp_path, "model.test")
    with tls_fault_server(OK, cert) as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        result = run(editor, team, f"https://model.test:{port}/v1/chat/completions", cert.cert)
    assert result.ok and result.status == 200 and result.address == "127.0.0.1"
    assert server.sni == ["model.test"], "SNI names the host even though the socket went to an IP"
    assert server.received[0].headers["host"] == f"model.test:{port}"


def test_a_certificate_for_another_name_is_refused_before_anything_is_sent(
    editor, team, model_dns, tmp_path
) -> None:
    cert = self_signed(tmp_path, "other.test")
    with tls_fault_server(OK, cert) as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        result = run(editor, team, f"https://model.test:{port}/v1/chat/completions", cert.cert)
    assert server.hits == 0, "the key must not travel to a server that isn't model.test"
    assert not result.ok and result.status is None
    assert "The TLS certificate that model.test at 127.0.0.1 presented is not valid for" in (
        result.message
    )
    event = AuditEvent.objects.get(action="llm.test")
    assert event.outcome == "failure" and SECRET not in json.dumps(event.details)


def test_a_self_signed_certificate_is_reported_as_untrusted_in_the_form(
    editor_client, model_dns, tmp_path
) -> None:
    cert = self_signed(tmp_path, "model.test")
    with tls_fault_server(OK, cert) as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        response = editor_client.post(
            "/llms/test-connection/",
            {
                "type": "openai-compatible",
                "name": "tls-probe",
                "model": "gpt-4o",
                "uri": f"https://model.test:{port}/v1/chat/completions",
                "auth_type": "bearer",
                "token": SECRET,
            },
            HTTP_HX_REQUEST="true",
        )
    html = " ".join(unescape(response.content.decode()).split())
    assert server.hits == 0 and SECRET not in html
    assert "The TLS certificate of model.test is not trusted" in html
    assert "Vectara will refuse it too" in html


def test_plain_http_on_a_tls_port_is_a_handshake_sentence(
    editor, team, model_dns_http, tmp_path
) -> None:
    cert = self_signed(tmp_path, "model.test")
    with tls_fault_server(OK, cert) as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        result = run(editor, team, f"http://model.test:{port}/v1/chat/completions", None)
    assert not result.ok
    assert "model.test" in result.message and "scheme and port" in result.message
