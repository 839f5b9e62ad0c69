"""Issue 14, class 4: no secret on Django's debug page.

With DEBUG on, an unexpected exception during a create or an edit renders Django's
technical 500 page, with every frame's local variables and the request's POST data. For
every auth shape, a fresh canary in each of its secret fields (inside the private key of a
key_json) must appear nowhere on that page, whichever step failed; nor may the dashboard's
own Vectara API key.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import pytest
from django.test import Client

from llmadmin.llms.forms import LLMCreateForm
from llmadmin.llms.forms.auth import AUTH_FIELDS
from llmadmin.vectara import client as vectara_client
from llmadmin.vectara.contract import SECRET_AUTH_FIELDS
from tests.llms.cases import CASES, DNS, SA_KEY, form_fields
from tests.llms.lifecycle_support import seeded
from tests.teams.factories import member

API_KEY = "test-dashboard-key"  # the emulator fixture's
# One LLM type for each auth shape.
AUTH_CASES = {auth: llm_type for llm_type, auth in reversed(CASES)}


def test_every_auth_shape_is_covered() -> None:
    assert set(AUTH_CASES) == set(AUTH_FIELDS)


def canary() -> str:
    # Made at run time: the page shows source lines, so a literal could be found there.
    return f"cnry{secrets.token_hex(12)}"


def with_canaries(fields: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """`fields` with a fresh canary in every secret field; the canaries."""
    found = []
    for name in list(fields):
        if name not in SECRET_AUTH_FIELDS:
            continue
        secret = canary()
        found.append(secret)
        if name == "key_json":
            key = json.loads(SA_KEY)
            key["private_key"] = (
                f"-----BEGIN PRIVATE KEY-----\n{secret}\n-----END PRIVATE KEY-----\n"
            )
            fields[name] = json.dumps(key)
        else:
            fields[name] = secret
    return fields, found


def fail_reading_the_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """After the body was built and sent: the client fails reading Vectara's answer."""

    def broken(*args: Any) -> bytes:
        raise RuntimeError("reading the answer failed")

    monkeypatch.setattr(vectara_client, "_read_body", broken)


def fail_the_form(monkeypatch: pytest.MonkeyPatch) -> None:
    """Before anything is sent: the form fails once it has cleaned every secret."""
    original = LLMCreateForm.clean

    def broken(self: LLMCreateForm) -> dict[str, Any]:
        cleaned = original(self)
        raise RuntimeError(f"the form failed with {len(cleaned)} fields")

    monkeypatch.setattr(LLMCreateForm, "clean", broken)


@pytest.fixture
def debug_client(team, emulator, dns_records, settings) -> Client:
    settings.DEBUG = True
    dns_records.update(DNS)
    client = Client(raise_request_exception=False)
    client.force_login(member("editor", team))
    return client


def assert_page_hides(response, needles: list[str], frame: str) -> None:
    page = response.content.decode()
    # The technical page itself, down to the frame that failed: not a page that shows nothing.
    assert response.status_code == 500 and "RuntimeError" in page and frame in page
    assert "Local vars" in page
    for needle in [*needles, API_KEY]:
        assert needle not in page
        assert needle[4:16] not in page  # no piece of it either


@pytest.mark.parametrize("auth_type", sorted(AUTH_CASES))
@pytest.mark.parametrize(
    "failing", [fail_reading_the_answer, fail_the_form], ids=["client", "form"]
)
def test_a_failing_create_shows_no_secret_on_the_debug_page(
    debug_client, monkeypatch, auth_type: str, failing
) -> None:
    fields, needles = with_canaries(form_fields(AUTH_CASES[auth_type], auth_type))
    assert needles, "every auth shape has a secret"
    failing(monkeypatch)
    response = debug_client.post("/llms/new/", fields)
    assert_page_hides(response, needles, "broken")


def test_a_failing_edit_with_a_new_secret_shows_none_on_the_debug_page(
    debug_client, team, emulator, monkeypatch
) -> None:
    llm = seeded(emulator, team, "gpt-debug")
    fields, needles = with_canaries(
        {
            "type": "openai-compatible",
            "model": "gpt-4o",
            "uri": "https://api.openai.com/v1/chat/completions",
            "auth_type": "header",
            "header": "x-api-key",
            "value": "",
            "version": "1",
        }
    )
    fail_reading_the_answer(monkeypatch)
    response = debug_client.post(f"/llms/{llm.pk}/edit/", fields)
    assert_page_hides(response, needles, "update_llm")
    assert [r.method for r in emulator.requests] == ["PATCH"]  # it did get that far


@pytest.mark.parametrize("auth_type", ["bearer", "header"])
def test_a_failing_test_connection_shows_no_secret_on_the_debug_page(
    debug_client, model_dns_http, monkeypatch, auth_type: str
) -> None:
    from llmadmin.llms import outbound

    fields, needles = with_canaries(
        {
            "type": "openai-compatible",
            "name": "probe",
            "model": "gpt-4o-mini",
            "uri": "http://model.test:9/v1/chat/completions",
            "auth_type": auth_type,
            "token": "",
            "header": "x-api-key",
            "value": "",
        }
    )
    fields = {k: v for k, v in fields.items() if v}

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the socket failed oddly")

    # As the request is about to leave, with the credential in its headers.
    monkeypatch.setattr(outbound.urllib3, "HTTPConnectionPool", broken)
    response = debug_client.post("/llms/test-connection/", fields)
    assert_page_hides(response, needles, "broken")
