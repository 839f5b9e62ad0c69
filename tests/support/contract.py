"""Validation of request bodies against the upstream contract (a copy of
shared/vectara/llms-openapi.yaml kept in the repo so tests run anywhere)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from jsonschema import Draft202012Validator

CONTRACT = Path(__file__).resolve().parents[2] / "llmadmin/vectara/openapi/llms-openapi.yaml"


@cache
def spec() -> dict[str, Any]:
    return yaml.safe_load(CONTRACT.read_text())


def schema(name: str) -> dict[str, Any]:
    return spec()["components"]["schemas"][name]


def _mapped(name: str, instance: dict[str, Any]) -> str:
    """Follow a discriminator: the OpenAI and Responses schemas are alike, so a plain oneOf
    would match both and fail; Vectara picks the schema by `type`, and so do we."""
    mapping = schema(name).get("discriminator", {}).get("mapping")
    if not mapping:
        return name
    return mapping[instance["type"]].rsplit("/", 1)[-1]


def properties(name: str) -> set[str]:
    s = schema(name)
    props = set(s.get("properties", {}))
    for part in s.get("allOf", []):
        target = schema(part["$ref"].rsplit("/", 1)[-1]) if "$ref" in part else part
        props |= set(target.get("properties", {}))
    return props


def openapi_to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 keywords JSON Schema lacks: `nullable` becomes a null type, and a
    `discriminator` picks its mapped schema by the property's value. A plain oneOf can't stand
    in for it: a masked BedrockApiKeyAuth also satisfies VertexAiApiKeyAuth."""
    if isinstance(node, list):
        return [openapi_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: openapi_to_json_schema(value) for key, value in node.items()}
    if node.pop("nullable", False) and "type" in node:
        node["type"] = [node["type"], "null"]
    discriminator = node.pop("discriminator", None)
    if discriminator and "mapping" in discriminator:
        prop, mapping = discriminator["propertyName"], discriminator["mapping"]
        node.pop("oneOf", None)
        node["required"] = sorted({*node.get("required", []), prop})
        node["allOf"] = [
            *node.get("allOf", []),
            {"properties": {prop: {"enum": list(mapping)}}},
            *(
                {"if": {"properties": {prop: {"const": key}}}, "then": {"$ref": ref}}
                for key, ref in mapping.items()
            ),
        ]
    return node


@cache
def _validator(name: str) -> Draft202012Validator:
    components = openapi_to_json_schema(spec()["components"])
    schema = {"$ref": f"#/components/schemas/{name}", "components": components}
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def problems(name: str, instance: Any) -> list[str]:
    """Where `instance` breaks the contract's schema `name`, one line each; [] if nowhere."""
    return [f"{list(e.absolute_path)}: {e.message}" for e in _validator(name).iter_errors(instance)]


def validate(name: str, instance: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError unless `instance` is a valid `name` of the contract,
    with no property the contract does not define."""
    found = problems(name, instance)
    if found:
        raise jsonschema.ValidationError(f"{name} doesn't match the contract: {found}")
    concrete = _mapped(name, instance)
    unknown = set(instance) - properties(concrete)
    if unknown:
        raise jsonschema.ValidationError(f"{concrete} has no properties {sorted(unknown)}")
