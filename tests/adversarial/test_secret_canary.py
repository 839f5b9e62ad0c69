"""A unique canary in every secret field of every auth shape, through create, edit, test
connection and sync; then a search of everything the dashboard produced: every response,
every log record (and its JSON log line), a dump of every database row and both audit
exports. The canary may only be found where it belongs: upstream.

(Supersedes tests/llms/test_secret_canary.py, which covered bearer and header on create.)
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client

from llmadmin.audit.models import AuditEvent
from llmadmin.core.logging import JsonFormatter
from llmadmin.llms.forms.edit import initial_for
from llmadmin.llms.models import LLMDefinition
from llmadmin.vectara.contract import SECRET_AUTH_FIELDS
from tests.llms.cases import CASES, DNS, SA_KEY, URIS
from tests.llms.lifecycle_support import upstream_record
from tests.support.fault_server import Fault, fault_server
from tests.teams.factories import UserFactory, member

CANARY = "cnry7Hq2Zp9LmX4vB8nRw"
# A leak of any part of the secret counts, not only of all of it: search for a middle piece
# too (the fingerprint shows the last four characters, by design, and nothing else).
NEEDLES = (CANARY, CANARY[4:14])
_counter = iter(range(10_000))


def canary() -> str:
    """A fresh secret, unique per field and per step, that carries the canary."""
    return f"{CANARY}{next(_counter):04d}"


def service_account_key(secret: str) -> str:
    key = json.loads(SA_KEY)
    key["private_key"] = f"-----BEGIN PRIVATE KEY-----\n{secret}\n-----END PRIVATE KEY-----\n"
    return json.dumps(key)


# Non-secret fields each auth shape needs, and how each secret field is filled.
PLAIN = {
    "header": {"header": "x-api-key"},
    "oauth_client_credentials": {
        "client_id": "llmadmin",
        "token_endpoint": "https://auth.example.com/oauth2/token",
        "scopes": "read:llm",
    },
    "bedrock_static_iam": {"aws_access_key_id": "AKIAIOSFODNN7EXAMPLE", "region": "us-east-1"},
    "bedrock_api_key": {"region": "us-east-1"},
    "vertex_service_account": {"project": "my-project-123", "region": "us-central1"},
    "vertex_access_token": {"project": "my-project-123", "region": "us-central1"},
}
SECRET_OF = {
    "bearer": "token",
    "header": "value",
    "oauth_client_credentials": "client_secret",
    "api_key": "api_key",
    "service_account": "key_json",
    "bedrock_static_iam": "aws_secret_access_key",
    "bedrock_api_key": "api_key",
    "vertex_service_account": "key_json",
    "vertex_access_token": "access_token",
}


def secret_fields(auth_type: str) -> tuple[dict[str, str], str]:
    """The secret form field(s) of `auth_type` holding a fresh canary, and that canary."""
    field, secret = SECRET_OF[auth_type], canary()
    value = service_account_key(secret) if field == "key_json" else secret
    return {field: value}, secret


class Witness:
    """Keeps every response body and header the dashboard sent back."""

    def __init__(self) -> None:
        self.seen: list[tuple[str, str]] = []

    def __call__(self, label: str, response: Any) -> Any:
        if getattr(response, "streaming", False):
            body = b"".join(response.streaming_content).decode()
        else:
            body = response.content.decode()
        self.seen.append((label, body + "\n" + str(response.headers)))
        return response

    def leaks(self) -> list[str]:
        return [label for label, text in self.seen if any(n in text for n in NEEDLES)]


@pytest.fixture
def witness() -> Witness:
    return Witness()


@pytest.fixture
def model_server(model_dns_http) -> Iterator[Any]:
    """A model server on a free port that rejects the key and quotes it back, as OpenAI does
    ("Incorrect API key provided: sk-…"): the dashboard must not pass the quote on."""

    def quoting(conn, request, stop):  # type: ignore[no-untyped-def]
        said = request.headers.get("authorization", "") + request.headers.get("x-api-key", "")
        body = json.dumps({"error": {"message": f"Incorrect API key provided: {said}."}}).encode()
        head = (
            "HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Type: application/json"
            f"\r\nContent-Length: {len(body)}\r\n\r\n"
        )
        conn.sendall(head.encode() + body)

    with fault_server(Fault("quote the key", quoting)) as server:
        yield server


@pytest.mark.django_db(transaction=True)  # the real worker runs a sync
def test_a_canary_in_every_secret_field_reaches_vectara_and_nothing_else(
    team, emulator, dns_records, model_server, caplog, witness
) -> None:
    caplog.set_level(logging.DEBUG)  # the root logger, every record of every library
    dns_records.update(DNS)
    admin = member("admin", team, username="ada")
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    web, org = Client(), Client()
    web.force_login(admin)
    org.force_login(root)
    sent: dict[str, str] = {}  # LLM name -> the canary it must hold upstream, last one wins

    # --- create: every type x auth shape, one invalid attempt and one valid ---------------
    for llm_type, auth_type in CASES:
        name = f"canary-{llm_type}-{auth_type}".replace("_", "-")
        fields = {"type": llm_type, "model": "model-x", "uri": URIS[llm_type]}
        fields |= {"auth_type": auth_type, **PLAIN.get(auth_type, {})}
        secret_form, secret = secret_fields(auth_type)
        bad = witness("create invalid", web.post("/llms/new/", {**fields, **secret_form}))
        assert bad.status_code == 200 and "name" in bad.context["form"].errors
        witness(
            "create htmx step",
            web.post(
                "/llms/new/",
                {**fields, **secret_form, "name": name, "_action": "add_header"},
                HTTP_HX_REQUEST="true",
            ),
        )
        created = witness("create", web.post("/llms/new/", {**fields, **secret_form, "name": name}))
        assert created.status_code == 302, created.content.decode()[:2000]
        sent[name] = secret

    # --- edit: a new canary with a changed model, and a refused edit carrying one ---------
    for llm in LLMDefinition.objects.filter(name__in=sent):
        fields = {k: v for k, v in initial_for(llm).items() if v is not None}
        secret_form, secret = secret_fields(llm.auth_type)
        refused = {**fields, **secret_form, "model": "bad\nmodel"}
        witness("edit invalid", web.post(f"/llms/{llm.pk}/edit/", refused))
        edited = {**fields, **secret_form, "model": "model-y"}
        response = witness("edit", web.post(f"/llms/{llm.pk}/edit/", edited))
        assert response.status_code == 302, response.content.decode()[:2000]
        sent[llm.name] = secret

    # --- test connection: against a model server that quotes the key back ----------------
    uri = f"http://model.test:{model_server.base_url.rsplit(':', 1)[1]}/v1/chat/completions"
    tested: list[str] = []
    for llm in LLMDefinition.objects.filter(name__in=sent):
        secret_form, secret = secret_fields(llm.auth_type)
        data = {"llm": str(llm.pk), "uri": uri, "model": "model-x", **secret_form}
        for htmx in ({}, {"HTTP_HX_REQUEST": "true"}):
            answer = witness("test connection", web.post("/llms/test-connection/", data, **htmx))
            assert answer.status_code == 200
        if llm.auth_type in ("bearer", "header"):
            tested.append(secret)
    assert tested and len(model_server.requests("POST")) == 2 * len(tested)
    heard = " ".join(json.dumps(r.headers) for r in model_server.requests("POST"))
    assert all(secret in heard for secret in tested), "the key must reach the model server"

    # --- sync: LLMs made outside the dashboard, with canaries, from the UI and the command
    for auth in ({"type": "bearer", "token": canary()}, {"type": "header", "header": "x-k"}):
        auth.setdefault("value", canary())
        emulator.store.put(upstream_record(f"outside-{auth['type']}", auth=auth))
    witness("sync page", web.get("/llms/sync/"))
    witness("sync", web.post("/llms/sync/", {}))
    witness("sync refused", web.post("/llms/sync/", {}, HTTP_HX_REQUEST="true"))
    command_output = StringIO()
    call_command("run_jobs", once=True, stdout=command_output, stderr=command_output)
    witness("sync done", web.get("/llms/sync/"))
    call_command("sync_llms", stdout=command_output, stderr=command_output)
    witness.seen.append(("sync_llms output", command_output.getvalue()))

    # --- every page that shows what was done ---------------------------------------------
    for client in (web, org):
        witness("list", client.get("/llms/?filter=all"))
        for llm in LLMDefinition.objects.all():
            witness("detail", client.get(f"/llms/{llm.pk}/"))
            witness("edit page", client.get(f"/llms/{llm.pk}/edit/"))
        witness("audit", client.get("/audit/"))
        for event in AuditEvent.objects.all():
            witness("audit event", client.get(f"/audit/{event.pk}/"))
        for fmt in ("csv", "jsonl"):
            export = witness(f"export {fmt}", client.get(f"/audit/export.{fmt}"))
            assert export.status_code == 200

    dump = StringIO()
    call_command("dumpdata", stdout=dump)

    # --- it went upstream ------------------------------------------------------------------
    store = {r["name"]: json.dumps(r["auth"]) for r in emulator.store.all()}
    assert len(sent) == len(CASES)
    assert all(secret in store[name] for name, secret in sent.items()), "Vectara must get it"
    used = {k for r in emulator.store.all() for k, v in r["auth"].items() if CANARY in str(v)}
    assert used == SECRET_AUTH_FIELDS, "every secret field of the contract was exercised"
    assert AuditEvent.objects.filter(action="llm.test").count() >= 2 * len(sent)

    # --- and nowhere else -------------------------------------------------------------------
    assert witness.leaks() == [], "a response echoed the secret"
    formatter = JsonFormatter()
    logged = [r.getMessage() + formatter.format(r) for r in caplog.records]
    assert len(logged) > 100  # the search ran over real log traffic
    assert [line for line in logged if any(n in line for n in NEEDLES)] == []
    assert not any(n in caplog.text for n in NEEDLES), "a log record holds the secret"
    assert not any(n in dump.getvalue() for n in NEEDLES), "a database row holds the secret"
