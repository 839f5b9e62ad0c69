"""The emulator's list (paging, filter, parameters) and get (by id, by name, 404)."""

from __future__ import annotations

import json
from base64 import urlsafe_b64encode
from typing import Any
from urllib.parse import quote

import pytest

from tests.emulator.emulator_support import (
    ALL_SECRETS,
    PLATFORM_IDS,
    VALID_BODIES,
    assert_error,
    assert_field_error,
    assert_matches_contract,
    openai_body,
)

# --- list --------------------------------------------------------------------------------------


def test_paging_collects_every_llm_exactly_once_in_a_stable_order(api):
    created = [api.create(openai_body(f"bulk-{n:02}"))["id"] for n in range(25)]

    pages = api.walk(limit=10)

    assert [len(page) for page in pages] == [10, 10, 8]
    assert [llm["id"] for page in pages for llm in page] == PLATFORM_IDS + created


def test_the_default_page_holds_ten(api):
    for n in range(12):
        api.create(openai_body(f"llm-{n}"))
    body = api("GET", "/v2/llms").json()
    assert len(body["llms"]) == 10 and body["metadata"]["page_key"]


def test_the_last_page_has_no_page_key(api):
    body = api("GET", "/v2/llms", params={"limit": 100}).json()
    assert [llm["id"] for llm in body["llms"]] == PLATFORM_IDS
    assert "page_key" not in body["metadata"]


def test_list_answers_masked_llms(api):
    for body in VALID_BODIES.values():
        api.create(body)
    response = api("GET", "/v2/llms", params={"limit": 100})

    assert len(response.json()["llms"]) == len(PLATFORM_IDS) + len(VALID_BODIES)
    assert not [secret for secret in ALL_SECRETS if secret in response.text]


def test_filter_is_a_regular_expression_over_names_and_descriptions(api):
    api.create(openai_body("team-a-gpt"))
    api.create(openai_body("team-a-claude"))
    api.create(openai_body("team-b-gemini", description="Used by billing"))
    api.create(openai_body("other", description="not for team-a"))

    def names(pattern: str) -> list[str]:
        return [llm["name"] for page in api.walk(filter=pattern) for llm in page]

    assert names("^team-a-") == ["team-a-gpt", "team-a-claude"]
    assert names("billing") == ["team-b-gemini"]
    assert names("team-a") == ["team-a-gpt", "team-a-claude", "other"]
    assert names("^nothing-matches$") == []


def test_filtered_paging_keeps_the_filter(api):
    for n in range(5):
        api.create(openai_body(f"kept-{n}"))
        api.create(openai_body(f"dropped-{n}"))

    pages = api.walk(filter="^kept-", limit=2)
    assert [llm["name"] for page in pages for llm in page] == [f"kept-{n}" for n in range(5)]

    first = api("GET", "/v2/llms", params={"filter": "^kept-", "limit": 2}).json()
    # A page_key only continues the listing it came from.
    response = api(
        "GET", "/v2/llms", params={"limit": 2, "page_key": first["metadata"]["page_key"]}
    )
    assert_field_error(response, "page_key")


def _page_key(data: Any) -> str:
    return urlsafe_b64encode(json.dumps(data).encode()).decode()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"limit": "0"}, "limit"),
        ({"limit": "101"}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"limit": "-5"}, "limit"),
        ({"limit": ""}, "limit"),
        ({"limit": "9" * 5000}, "limit"),
        ({"page_key": "not-a-page-key"}, "page_key"),
        ({"page_key": _page_key({"offset": -1, "filter": ""})}, "page_key"),
        ({"page_key": _page_key(["offset", 3])}, "page_key"),
        ({"page_key": urlsafe_b64encode(b"[" * 20_000).decode()}, "page_key"),
        ({"filter": "(unclosed"}, "filter"),
    ],
)
def test_invalid_list_parameters_get_400(api, params, field):
    assert_field_error(api("GET", "/v2/llms", params=params), field)


# --- get ---------------------------------------------------------------------------------------


def test_get_finds_an_llm_by_id_and_by_name(api):
    created = api.create(openai_body("Claude 3.7 Sonnet/EU"))

    by_id = api("GET", f"/v2/llms/{created['id']}")
    by_name = api("GET", "/v2/llms/" + quote("Claude 3.7 Sonnet/EU", safe=""))

    assert by_id.status_code == by_name.status_code == 200
    assert by_id.json() == by_name.json() == created
    assert_matches_contract("LLM", by_id.json())


def test_get_answers_platform_llms(api):
    llm = api("GET", "/v2/llms/mockingbird-2.0").json()
    assert_matches_contract("LLM", llm)
    assert (llm["id"], llm["ownership"], llm["enabled"]) == (PLATFORM_IDS[0], "platform", True)
    assert "auth" not in llm


def test_get_unknown_llm_is_404_with_its_id(api):
    body = assert_error(api("GET", "/v2/llms/llm_404"), 404, "NotFoundError")
    assert body["id"] == "llm_404"
