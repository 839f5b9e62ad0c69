"""The emulator's PATCH and DELETE, and the platform LLMs neither may touch."""

from __future__ import annotations

import pytest

from tests.emulator.emulator_support import (
    MASK,
    PLATFORM_IDS,
    VALID_BODIES,
    VERTEX,
    assert_error,
    assert_field_error,
    assert_matches_contract,
    openai_body,
)

# --- update ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"description": "after"},
        {"model": "gpt-5-mini"},
        {"uri": "https://gateway.example.com/v1/chat/completions"},
        {"headers": {"x-team": "b"}},
        {"idle_timeout_seconds": 60},
        {"enabled": False},
    ],
)
def test_patch_changes_only_the_fields_sent(api, emulator, full_llm, change):
    response = api("PATCH", f"/v2/llms/{full_llm['id']}", json=change)

    assert response.status_code == 200, response.text
    assert_matches_contract("LLM", response.json())
    assert response.json() == full_llm | change
    assert api("GET", f"/v2/llms/{full_llm['id']}").json() == full_llm | change
    assert emulator.store.get("full")["auth"]["token"] == "sk-secret-full"


def test_patch_merges_capabilities(api, full_llm):
    response = api("PATCH", "/v2/llms/full", json={"capabilities": {"image_support": True}})
    capabilities = response.json()["capabilities"]
    assert (capabilities["image_support"], capabilities["context_limit"]) == (True, 8192)


def test_patch_toggles_enabled(api, full_llm):
    assert api("PATCH", "/v2/llms/full", json={"enabled": False}).json()["enabled"] is False
    assert api("GET", "/v2/llms/full").json()["enabled"] is False
    assert api("PATCH", "/v2/llms/full", json={"enabled": True}).json()["enabled"] is True


def test_patch_null_idle_timeout_clears_it_and_omitting_it_keeps_it(api, full_llm):
    assert (
        api("PATCH", "/v2/llms/full", json={"description": "x"}).json()["idle_timeout_seconds"]
        == 300
    )
    cleared = api("PATCH", "/v2/llms/full", json={"idle_timeout_seconds": None})
    assert cleared.json()["idle_timeout_seconds"] is None


def test_patch_replaces_auth_whole(api, emulator, full_llm):
    new_auth = {"type": "header", "header": "api-key", "value": "rotated-secret"}
    response = api("PATCH", "/v2/llms/full", json={"auth": new_auth})

    assert response.json()["auth"] == {"type": "header", "header": "api-key", "value": MASK}
    assert emulator.store.get("full")["auth"] == new_auth  # no token left over from bearer
    assert "rotated-secret" not in response.text


def test_patch_can_change_type_with_a_new_auth_and_uri(api, emulator, full_llm):
    change = {k: VERTEX[k] for k in ("type", "uri", "auth", "model")}
    response = api("PATCH", "/v2/llms/full", json=change)

    assert response.status_code == 200, response.text
    assert response.json()["type"] == "vertex-ai"
    assert response.json()["auth"] == {"type": "api_key", "api_key": MASK}
    assert emulator.store.get("full")["auth"] == VERTEX["auth"]


def test_patch_to_anthropic_without_uri_takes_its_default(api, full_llm):
    auth = VALID_BODIES["anthropic/bedrock_api_key"]["auth"]
    response = api("PATCH", "/v2/llms/full", json={"type": "anthropic", "auth": auth})
    assert response.json()["uri"] == "https://api.anthropic.com/v1/messages"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": "renamed"}, "name"),
        ({"name": "full"}, "name"),
        ({"id": "llm_1"}, "id"),
        ({"auth": {"type": "bearer", "token": MASK}}, "auth.token"),
        ({"auth": {"type": "header", "header": "api-key", "value": MASK}}, "auth.value"),
        ({"auth": {"type": "api_key", "api_key": "k"}}, "auth.type"),
        ({"auth": {"type": "bearer"}}, "auth.token"),
        ({"type": "vertex-ai"}, "auth"),
        ({"type": "vertex-ai", "auth": VERTEX["auth"]}, "uri"),
        (
            {"type": "vertex-ai", "uri": VERTEX["uri"], "auth": {"type": "bearer", "token": "t"}},
            "auth.type",
        ),
        ({"type": "nope"}, "type"),
        ({"idle_timeout_seconds": 0}, "idle_timeout_seconds"),
        ({"enabled": "no"}, "enabled"),
        ({"description": "d" * 1001}, "description"),
        ({"model": ""}, "model"),
        ({"uri": "not a uri"}, "uri"),
        ({"ownership": "customer"}, "ownership"),
        ({"default": True}, "default"),
    ],
)
def test_patch_rejects_invalid_changes_and_changes_nothing(api, emulator, full_llm, change, field):
    before = emulator.store.get("full")
    assert_field_error(api("PATCH", "/v2/llms/full", json=change), field)
    assert emulator.store.get("full") == before


def test_patch_unknown_llm_is_404(api):
    body = assert_error(
        api("PATCH", "/v2/llms/llm_9", json={"description": "x"}), 404, "NotFoundError"
    )
    assert body["id"] == "llm_9"


@pytest.mark.parametrize("key", [PLATFORM_IDS[2], "claude-3-7-sonnet"])
def test_platform_llms_cannot_be_updated_or_deleted(api, key):
    assert_error(api("PATCH", f"/v2/llms/{key}", json={"description": "mine now"}), 403)
    assert_error(api("DELETE", f"/v2/llms/{key}"), 403)

    llm = api("GET", f"/v2/llms/{key}").json()
    assert llm["description"] != "mine now" and llm["ownership"] == "platform"


# --- delete ------------------------------------------------------------------------------------


def test_delete_answers_204_then_the_llm_is_gone(api, emulator):
    llm = api.create(openai_body("doomed"))

    response = api("DELETE", f"/v2/llms/{llm['id']}")

    assert response.status_code == 204 and response.content == b""
    assert_error(api("GET", f"/v2/llms/{llm['id']}"), 404, "NotFoundError")
    assert_error(api("DELETE", f"/v2/llms/{llm['id']}"), 404, "NotFoundError")
    assert emulator.store.all() == []


def test_delete_by_name(api, emulator):
    api.create(openai_body("by-name"))
    assert api("DELETE", "/v2/llms/by-name").status_code == 204
    assert emulator.store.all() == []
