"""What a model endpoint answers to Test connection is shown to the person once and never kept.

A hostile or careless endpoint echoes the key it was sent, encoded so that no scrubbing
recognises it: base64, reversed, split into pieces, percent-encoded, or in a redirect's
Location. The audit log is append-only and chained, so whatever reaches it stays. The
event keeps the status, the latency, the address and a category; no audit row, no log line
holds the provider's words or the encoded key, while the page shows the provider's message.
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from html import unescape

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from llmadmin.audit.models import AuditEvent
from llmadmin.llms.models import LLMDefinition
from tests.support.fault_server import Fault, fault_server

ONCE = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
URL = "/llms/test-connection/"
SAID = "Invalid key; you sent"  # the provider's own words, around the echoed key
ELSEWHERE = "https://collect.example/cb?k="

ENCODINGS: dict[str, Callable[[str], str]] = {
    "base64": lambda key: base64.b64encode(key.encode()).decode(),
    "base64url": lambda key: base64.urlsafe_b64encode(key.encode()).decode().rstrip("="),
    "reversed": lambda key: key[::-1],
    "split": lambda key: " ".join(key[i : i + 4] for i in range(0, len(key), 4)),
    "split-dashes": lambda key: "-".join(key[i : i + 5] for i in range(0, len(key), 5)),
    "url-encoded": lambda key: "".join(f"%{byte:02X}" for byte in key.encode()),
    "hex": lambda key: key.encode().hex(),
}
BODIES: dict[str, Callable[[str], bytes]] = {
    "openai": lambda text: json.dumps({"error": {"message": text}}).encode(),
    "message": lambda text: json.dumps({"message": text}).encode(),
    "fastapi": lambda text: json.dumps({"detail": [{"msg": text}]}).encode(),
    "plain": lambda text: text.encode(),
}

SECRET = st.text(
    "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789", min_size=24, max_size=40
)


def echoing(status: int, encoding: str, body: str) -> Fault:
    """A model server that answers `status` with the key it was sent, encoded; a redirect puts
    it in the Location."""
    encode = ENCODINGS[encoding]

    def action(conn, request, stop) -> None:  # type: ignore[no-untyped-def]
        key = request.headers["authorization"].removeprefix("Bearer ")
        echoed = encode(key)
        headers = {"Connection": "close"}
        data = BODIES[body](f"{SAID} {echoed}.")
        if 300 <= status < 400:
            headers["Location"] = ELSEWHERE + echoed
        headers["Content-Type"] = "text/plain" if body == "plain" else "application/json"
        headers["Content-Length"] = str(len(data))
        head = f"HTTP/1.1 {status} Whatever\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in headers.items()
        )
        conn.sendall(head.encode() + b"\r\n" + data)

    return Fault(f"echo {encoding} in {status}", action)


def everything_kept(since: int) -> str:
    """Every audit row written after `since`, every column, as one text."""
    rows = AuditEvent.objects.filter(id__gt=since).values()
    return json.dumps(list(rows), default=str, ensure_ascii=False)


@pytest.fixture
def stored_llm(team) -> LLMDefinition:
    return LLMDefinition.objects.create(
        team=team,
        vectara_id="llm_echo",
        name="echo-model",
        type="openai-compatible",
        model="gpt-4o",
        uri="http://model.test:9/v1/chat/completions",
        auth_type="bearer",
        auth_public={"type": "bearer"},
    )


@ONCE
@given(
    secret=SECRET,
    encoding=st.sampled_from(sorted(ENCODINGS)),
    status=st.sampled_from([400, 401, 403, 404, 422, 429, 500, 503, 301, 302, 307, 308]),
    body=st.sampled_from(sorted(BODIES)),
    editing=st.booleans(),
)
@example(
    secret="sk2AbCdEfGh2345JkLmNpQrStUv",
    encoding="base64",
    status=401,
    body="openai",
    editing=False,
)
@example(
    secret="sk2AbCdEfGh2345JkLmNpQrStUv",
    encoding="reversed",
    status=302,
    body="plain",
    editing=True,
)
def test_the_providers_words_are_shown_once_and_never_kept(
    editor_client, model_dns_http, stored_llm, caplog, secret, encoding, status, body, editing
) -> None:
    since = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first() or 0
    caplog.clear()
    caplog.set_level(logging.DEBUG)
    echoed = ENCODINGS[encoding](secret)
    with fault_server(echoing(status, encoding, body)) as server:
        port = server.base_url.rsplit(":", 1)[1]
        data = {
            "type": "openai-compatible",
            "name": "probe",
            "model": "gpt-4o",
            "uri": f"http://model.test:{port}/v1/chat/completions",
            "auth_type": "bearer",
            "token": secret,
        }
        if editing:
            data["llm"] = stored_llm.pk
        response = editor_client.post(URL, data, HTTP_HX_REQUEST="true")
    assert server.hits == 1, "the key reached the model server"

    # The person sees what the provider said, once.
    assert response.status_code == 200
    html = " ".join(unescape(response.content.decode()).split())
    assert f"HTTP status <strong>{status}</strong>" in html
    if 300 <= status < 400:
        assert f"It redirects to: {ELSEWHERE}" in html
    else:
        assert f"The provider says: “{SAID} " in html
    assert secret not in html

    # The audit event keeps the dashboard's own figures and a category, nothing the
    # provider wrote; nor does any other row, nor any log line.
    event = AuditEvent.objects.get(action="llm.test", id__gt=since)
    assert event.upstream_status == event.details["status"] == status
    assert event.details["address"] == "127.0.0.1" and event.details["latency_ms"] >= 0
    assert event.details["category"] == category_of(status)
    assert set(event.details) == {
        "type", "model", "uri", "auth", "extra_headers", "address", "status", "latency_ms",
        "category",
    }  # fmt: skip
    kept = everything_kept(since)
    logged = caplog.text
    for text in (echoed, secret, secret[-8:], SAID, "collect.example"):
        assert text not in kept, f"{text!r} is in the audit log"
        assert text not in logged, f"{text!r} is in the logs"


def category_of(status: int) -> str:
    if 300 <= status < 400:
        return "redirect"
    return {401: "auth_refused", 403: "auth_refused", 404: "not_found", 429: "rate_limited"}.get(
        status, "provider_error" if status >= 500 else "client_error"
    )
