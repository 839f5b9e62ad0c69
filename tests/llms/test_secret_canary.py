"""A unique canary in every secret field, then a search of everything the dashboard
produced: responses, log records, every database row. It must appear only upstream."""

from __future__ import annotations

import logging
from io import StringIO

import pytest
from django.core.management import call_command

from llmadmin.llms.models import LLMDefinition
from tests.support.fault_server import Fault, fault_server

pytestmark = pytest.mark.usefixtures("dns_records")

CANARY = "canary-7Hq2Zp9LmX4vB8nR"


def test_a_canary_secret_never_leaves_the_upstream_request(
    editor_client, emulator, settings, caplog
) -> None:
    caplog.set_level(logging.DEBUG)
    bodies: list[str] = []

    def keep(response) -> None:
        bodies.append(response.content.decode())
        bodies.append(str(response.headers))

    common = {"type": "openai-compatible", "model": "gpt-4o", "max_tokens": "8"}
    keep(
        editor_client.post(
            "/llms/new/",
            {
                **common,
                "name": "canary-bearer",
                "uri": "https://api.openai.com/v1/chat/completions",
                "auth_type": "bearer",
                "token": CANARY,
            },
        )
    )
    keep(
        editor_client.post(
            "/llms/new/",
            {
                **common,
                "name": "canary-header",
                "uri": "https://api.anthropic.com/v1/messages",
                "auth_type": "header",
                "header": "x-api-key",
                "value": CANARY,
            },
        )
    )
    # Invalid forms and htmx fragments re-render the form: the secret must not come back.
    keep(
        editor_client.post(
            "/llms/new/", {**common, "name": "", "auth_type": "bearer", "token": CANARY}
        )
    )
    keep(
        editor_client.post(
            "/llms/new/",
            {
                **common,
                "name": "x",
                "auth_type": "bearer",
                "token": CANARY,
                "_action": "add_header",
            },
            headers={"HX-Request": "true"},
        )
    )
    # A failing upstream must not echo it either.
    with fault_server(Fault.status(400, {"field_errors": {"auth.token": "bad"}})) as server:
        settings.VECTARA_API_URL = server.base_url
        keep(
            editor_client.post(
                "/llms/new/",
                {
                    **common,
                    "name": "canary-fail",
                    "uri": "https://api.openai.com/v1/chat/completions",
                    "auth_type": "bearer",
                    "token": CANARY,
                },
            )
        )
    settings.VECTARA_API_URL = emulator.base_url
    for llm in LLMDefinition.objects.all():
        keep(editor_client.get(llm.get_absolute_url()))
    keep(editor_client.get("/llms/"))

    dump = StringIO()
    call_command("dumpdata", stdout=dump)

    assert LLMDefinition.objects.count() == 2
    assert [r["auth"].get("token") or r["auth"].get("value") for r in emulator.store.all()] == [
        CANARY,
        CANARY,
    ], "the secret must reach Vectara"
    assert not [b for b in bodies if CANARY in b], "a response echoed the secret"
    assert CANARY not in caplog.text, "a log record holds the secret"
    assert CANARY not in dump.getvalue(), "a database row holds the secret"
