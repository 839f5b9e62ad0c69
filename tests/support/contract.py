"""Validation of request bodies against the upstream contract (a copy of
shared/vectara/llms-openapi.yaml kept in the repo so tests run anywhere)."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4

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


def validate(name: str, instance: dict[str, Any]) -> None:
    """Raise jsonschema.ValidationError unless `instance` is a valid `name` of the contract,
    with no property the contract does not define."""
    concrete = _mapped(name, instance)
    registry = Registry().with_resource("urn:contract", Resource(spec(), specification=DRAFT4))
    validator = jsonschema.Draft4Validator(
        {"$ref": f"urn:contract#/components/schemas/{concrete}"},
        registry=registry,
        format_checker=jsonschema.FormatChecker(),
    )
    validator.validate(instance)
    unknown = set(instance) - properties(concrete)
    if unknown:
        raise jsonschema.ValidationError(f"{concrete} has no properties {sorted(unknown)}")
