"""The emulator against the contract: the schema check itself, and each type's auth variants."""

from __future__ import annotations

from typing import Any

import pytest

from tests.emulator.emulator_support import (
    MASK,
    VALID_BODIES,
    assert_field_error,
    assert_matches_contract,
    openai_body,
    without,
)
from tests.support import contract as contract_file


def test_contract_file_is_there_for_the_schema_checks():
    assert "/v2/llms" in contract_file.spec()["paths"]


def test_contract_schema_check_rejects_what_the_contract_rejects():
    good = {"id": "llm_1", "name": "n", "type": "anthropic", "idle_timeout_seconds": None}
    assert_matches_contract("LLM", good)
    for bad in (
        {**good, "type": "bogus"},
        {**good, "id": "x_1"},
        {**good, "idle_timeout_seconds": 0},
        # Would pass a plain oneOf-less check: Bedrock API key auth needs its region.
        {**good, "auth": {"type": "bedrock_api_key", "api_key": MASK}},
    ):
        with pytest.raises(AssertionError):
            assert_matches_contract("LLM", bad)


def test_each_llm_type_takes_exactly_the_auth_variants_the_contract_maps(api, emulator):
    schemas = contract_file.spec()["components"]["schemas"]

    def auth_schema_of(create_schema: dict[str, Any]) -> dict[str, Any]:
        parts = [create_schema, *create_schema.get("allOf", [])]
        parts = [schemas[p["$ref"].split("/")[-1]] if "$ref" in p else p for p in parts]
        ref = next(
            p["properties"]["auth"]["$ref"] for p in parts if "auth" in p.get("properties", {})
        )
        return schemas[ref.split("/")[-1]]

    auth_bodies = {body["auth"]["type"]: body["auth"] for body in VALID_BODIES.values()}
    all_auth_types = set(auth_bodies)
    assert len(all_auth_types) == 9  # every variant of LLMAuth
    for llm_type, ref in schemas["CreateLLMRequest"]["discriminator"]["mapping"].items():
        mapping = auth_schema_of(schemas[ref.split("/")[-1]])["discriminator"]["mapping"]
        for auth_type in sorted(all_auth_types):
            body = openai_body(
                f"{llm_type}-{auth_type}", type=llm_type, auth=auth_bodies[auth_type]
            )
            response = api("POST", "/v2/llms", json=body)
            if auth_type in mapping:
                assert response.status_code == 201, (llm_type, auth_type, response.text)
                required = schemas[mapping[auth_type].split("/")[-1]]["required"]
                for field in set(required) - {"type"}:
                    partial = {**body, "name": body["name"] + "-partial"}
                    partial["auth"] = without(body["auth"], field)
                    assert_field_error(api("POST", "/v2/llms", json=partial), f"auth.{field}")
            else:
                assert_field_error(response, "auth.type")
