"""The emulator's store: persistence across restarts, seeding, clearing, copies."""

from __future__ import annotations

import pytest

from emulator import (
    EmulatorStoreError,
    make_server,
    running_emulator,
)
from tests.emulator.emulator_support import (
    API_KEY,
    MASK,
    PLATFORM_IDS,
    VALID_BODIES,
    Api,
    assert_error,
    assert_matches_contract,
    openai_body,
)


def test_llms_survive_a_restart_with_the_same_store(tmp_path):
    store_path = tmp_path / "persisted.json"
    with running_emulator(store_path=store_path, api_key=API_KEY) as first:
        created = Api(first.base_url).create(VALID_BODIES["anthropic/bedrock_static_iam"])

    assert store_path.stat().st_mode & 0o077 == 0  # it holds secrets: owner only

    with running_emulator(store_path=store_path, api_key=API_KEY) as second:
        client = Api(second.base_url)
        assert client("GET", f"/v2/llms/{created['id']}").json() == created
        assert (
            second.store.get(created["id"])["auth"]
            == VALID_BODIES["anthropic/bedrock_static_iam"]["auth"]
        )
        assert client.create(openai_body("after-restart"))["id"] != created["id"]


def test_without_a_store_path_state_lives_in_memory():
    with running_emulator(api_key=API_KEY) as first:
        created = Api(first.base_url).create(openai_body())
    with running_emulator(api_key=API_KEY) as second:
        assert Api(second.base_url)("GET", f"/v2/llms/{created['id']}").status_code == 404


def test_a_corrupt_store_file_is_refused_not_overwritten(tmp_path):
    store_path = tmp_path / "corrupt.json"
    store_path.write_text("{not json", encoding="utf-8")

    with pytest.raises(EmulatorStoreError):
        make_server(store_path=store_path)
    assert store_path.read_text(encoding="utf-8") == "{not json"


def test_seeded_llms_are_served_like_created_ones(api, emulator):
    seeded = emulator.store.put(
        {
            "name": "made-outside",
            "type": "anthropic",
            "model": "claude-x",
            "auth": {"type": "bearer", "token": "seed-secret"},
        }
    )

    llm = api("GET", "/v2/llms/made-outside").json()
    assert_matches_contract("LLM", llm)
    assert (llm["id"], llm["ownership"], llm["auth"]["token"]) == (seeded["id"], "customer", MASK)
    assert_error(api("POST", "/v2/llms", json=openai_body("made-outside")), 409)
    assert api.create(openai_body("next"))["id"] != seeded["id"]


def test_clear_forgets_customer_llms_only(api, emulator):
    api.create(openai_body())
    emulator.store.clear()
    assert [llm["id"] for page in api.walk(limit=100) for llm in page] == PLATFORM_IDS


def test_store_copies_do_not_leak_into_the_emulator(api, emulator):
    llm = api.create(openai_body())
    snapshot = emulator.store.get(llm["id"])
    snapshot["auth"]["token"] = "tampered"
    emulator.store.all()[0]["name"] = "tampered"
    stored = emulator.store.get(llm["id"])
    assert (stored["name"], stored["auth"]["token"]) == ("my-gpt", "sk-secret-my-gpt")
