"""PATCH through the edit form's rules, and a canary: no API key and no LLM secret sent
through /v2/ may show up in a log, a page, a database row or the audit log."""

from __future__ import annotations

import logging
from io import StringIO

import httpx
import pytest
from django.core.management import call_command

from llmadmin.llms.models import LLMDefinition
from tests.api.conftest import URI, check_answer
from tests.teams.factories import TeamFactory, member

pytestmark = pytest.mark.django_db(transaction=True)

CANARY = "cnryApi7Hq2Zp9LmX4vB8nRw"


@pytest.fixture
def api(live_server, emulator, dns_records):
    def call(method: str, path: str, raw: str, body: object = None) -> tuple[int, object]:
        answer = httpx.request(
            method, f"{live_server.url}{path}", json=body, headers={"x-api-key": raw}
        )
        return answer.status_code, check_answer(method, path, answer.status_code, answer.text)

    return call


FIRST_TOKEN = "sk-first-token-0123456789"


def new_llm(api, raw: str, name: str = "patched", token: str = FIRST_TOKEN):
    body = {
        "type": "openai-compatible",
        "name": name,
        "model": "gpt-4o",
        "uri": URI,
        "auth": {"type": "bearer", "token": token},
    }
    status, created = api("POST", "/v2/llms", raw, body)
    assert status == 201, created
    return created


def test_patch_follows_the_edit_forms_rules(api, make_key, emulator):
    team = TeamFactory(name="Platform", slug="platform")
    raw = make_key(member("editor", team, username="erin"), team, "editor")
    created = new_llm(api, raw)
    path = f"/v2/llms/{created['id']}"

    status, answer = api("PATCH", path, raw, {"type": "openai-compatible", "name": "renamed"})
    assert (status, list(answer["field_errors"])) == (400, ["name"])
    # A stored secret is never sent to a new host: the form asks for it again.
    moved = {"type": "openai-compatible", "uri": "https://openrouter.ai/api/v1/chat/completions"}
    status, answer = api("PATCH", path, raw, moved)
    assert status == 400 and "enter the token again" in answer["field_errors"]["auth.token"]
    assert emulator.store.get(created["id"])["uri"] == URI

    status, answer = api(
        "PATCH",
        path,
        raw,
        {**moved, "auth": {"type": "bearer", "token": "sk-second-token-0123456"}},
    )
    assert (status, answer["uri"], answer["auth"]) == (
        200,
        moved["uri"],
        {"type": "bearer", "token": "****"},
    )
    assert emulator.store.get(created["id"])["auth"]["token"] == "sk-second-token-0123456"
    status, answer = api(
        "PATCH", path, raw, {"idle_timeout_seconds": 120, "headers": {"X-Team": "platform"}}
    )
    assert (answer["idle_timeout_seconds"], answer["headers"]) == (120, {"X-Team": "platform"})
    assert LLMDefinition.objects.get(vectara_id=created["id"]).idle_timeout_seconds == 120


def test_built_in_llms_are_listed_but_never_changed(api, make_key):
    team = TeamFactory(name="Platform", slug="platform")
    raw = make_key(member("admin", team, username="ada"), team, "admin")
    LLMDefinition.objects.create(
        vectara_id="llm_platform_1",
        name="mockingbird-2.0",
        type="openai-compatible",
        model="mockingbird-2.0",
        ownership="platform",
        auth_type="",
    )
    assert api("GET", "/v2/llms/mockingbird-2.0", raw)[0] == 200
    _status, listing = api("GET", "/v2/llms", raw)
    assert [x["name"] for x in listing["llms"]] == ["mockingbird-2.0"]
    assert api("PATCH", "/v2/llms/llm_platform_1", raw, {"enabled": False})[0] == 403
    assert api("DELETE", "/v2/llms/mockingbird-2.0", raw)[0] == 403


def test_no_key_or_secret_reaches_logs_pages_rows_or_the_audit_log(
    api, make_key, live_server, caplog, client
):
    caplog.set_level(logging.DEBUG)
    team = TeamFactory(name="Platform", slug="platform")
    ada = member("admin", team, username="ada")
    raw = make_key(ada, team, "admin")
    secret = f"sk-{CANARY}-create"
    created = new_llm(api, raw, token=secret)
    newer = f"sk-{CANARY}-update"
    api("PATCH", f"/v2/llms/{created['id']}", raw, {"auth": {"type": "bearer", "token": newer}})
    answers = [
        api("GET", "/v2/llms", raw),
        api("GET", f"/v2/llms/{created['id']}", raw),
        api("GET", "/v2/llms", f"{raw[:-2]}xx"),  # a near miss, refused
    ]
    client.force_login(ada)
    pages = [
        client.get(f"/llms/{LLMDefinition.objects.get().pk}/").content.decode(),
        client.get("/account/api-keys/").content.decode(),
        client.get("/audit/").content.decode(),
    ]
    rows = StringIO()
    call_command("dumpdata", "api", "llms", "audit", stdout=rows)
    haystack = "\n".join([caplog.text, *map(str, answers), *pages, rows.getvalue()])
    for needle in (raw, raw.split("_")[2], CANARY):
        assert needle not in haystack
    assert raw.split("_")[1] in rows.getvalue()  # the prefix names the key, by design
