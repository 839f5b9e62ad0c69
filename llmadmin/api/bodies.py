"""The contract's JSON bodies and the dashboard's forms: a request body becomes the form's
data, so the API and the browser check the same things with the same sentences; the form's
errors go back under the JSON paths they are about; an LLM goes out as the contract's `LLM`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import QueryDict

from llmadmin.llms.forms import AUTH_FIELDS, LLMCreateForm, LLMEditForm
from llmadmin.llms.forms.auth import SECRET_FIELDS
from llmadmin.llms.forms.base import CAPABILITY_FLAGS
from llmadmin.llms.forms.edit import initial_for
from llmadmin.llms.models import LLMDefinition
from llmadmin.vectara.contract import MASK

_STRINGS = ("type", "name", "description", "model", "uri")
_OBJECTS = ("auth", "headers", "test_model_parameters", "capabilities")
CREATE_PROPERTIES = frozenset({*_STRINGS, *_OBJECTS, "idle_timeout_seconds"})
UPDATE_PROPERTIES = CREATE_PROPERTIES | {"enabled"}
_AUTH_PROPERTIES = frozenset(name for names in AUTH_FIELDS.values() for name in names)

# Form field → the JSON path of the request it comes from.
_PATHS: dict[str, str] = {
    "auth_type": "auth.type",
    "context_limit": "capabilities.context_limit",
    "max_tokens": "test_model_parameters",
    **{flag: f"capabilities.{flag}" for flag in CAPABILITY_FLAGS},
    **{name: f"auth.{name}" for name in _AUTH_PROPERTIES},
}


class BodyErrors(Exception):
    def __init__(self, field_errors: Mapping[str, str], messages: list[str] | None = None) -> None:
        super().__init__("the request body breaks the contract")
        self.field_errors = dict(field_errors)
        self.messages = messages or [f"{path}: {text}" for path, text in self.field_errors.items()]


def _shape_errors(body: Mapping[str, Any], allowed: frozenset[str]) -> dict[str, str]:
    """What the form can't be asked: JSON types and properties the contract doesn't have."""
    errors: dict[str, str] = {}
    for name, value in body.items():
        if name not in allowed:
            errors[name] = "This property is not part of the request; leave it out."
        elif name in _STRINGS and not isinstance(value, str):
            errors[name] = "Give a string."
        elif name in _OBJECTS and not isinstance(value, dict):
            errors[name] = "Give a JSON object."
        elif name == "enabled" and not isinstance(value, bool):
            errors[name] = "Give true or false."
        elif name == "idle_timeout_seconds" and (
            value is not None and (isinstance(value, bool) or not isinstance(value, int))
        ):
            errors[name] = "Give a whole number of seconds, or null to clear it."
    auth = body.get("auth")
    if isinstance(auth, dict):
        if not isinstance(auth.get("type"), str):
            errors["auth.type"] = 'Give the credential type as a string, such as "bearer".'
        for name, value in auth.items():
            if name == "type":
                continue
            if name not in AUTH_FIELDS.get(str(auth.get("type")), _AUTH_PROPERTIES):
                errors[f"auth.{name}"] = "This property is not part of this credential type."
            elif name == "scopes":
                if not isinstance(value, list) or not all(isinstance(s, str) for s in value):
                    errors["auth.scopes"] = "Give a list of strings."
            elif not isinstance(value, str):
                errors[f"auth.{name}"] = "Give a string."
    headers = body.get("headers")
    if isinstance(headers, dict) and not all(isinstance(v, str) for v in headers.values()):
        errors["headers"] = "Give each header's value as a string."
    capabilities = body.get("capabilities")
    if isinstance(capabilities, dict):
        for name, value in capabilities.items():
            if name in CAPABILITY_FLAGS:
                if not isinstance(value, bool):
                    errors[f"capabilities.{name}"] = "Give true or false."
            elif name == "context_limit":
                if isinstance(value, bool) or not isinstance(value, int):
                    errors[f"capabilities.{name}"] = "Give a whole number of tokens."
            else:
                errors[f"capabilities.{name}"] = "This capability is not part of the contract."
    return errors


def _fill(data: QueryDict, body: Mapping[str, Any]) -> None:
    """Put what `body` says into form data (type-checked already)."""
    for name in _STRINGS:
        if name in body:
            data[name] = body[name]
    if "auth" in body:
        for name in _AUTH_PROPERTIES:  # Vectara replaces the whole auth: none of the old stays
            data.pop(name, None)
        auth = body["auth"]
        data["auth_type"] = auth.get("type", "")
        for name, value in auth.items():
            if name != "type":
                data[name] = " ".join(value) if isinstance(value, list) else value
    if "headers" in body:
        data.setlist("header_name", list(body["headers"]))
        data.setlist("header_value", list(body["headers"].values()))
    if "test_model_parameters" in body:
        data["test_model_parameters"] = json.dumps(body["test_model_parameters"])
        data["max_tokens"] = ""
    for name, value in (body.get("capabilities") or {}).items():
        data[name] = ("true" if value else "false") if isinstance(value, bool) else str(value)
    if "idle_timeout_seconds" in body:
        value = body["idle_timeout_seconds"]
        data["idle_timeout_seconds"] = "" if value is None else str(value)


def create_form(body: Mapping[str, Any]) -> LLMCreateForm:
    """The bound create form, valid, for a CreateLLMRequest; else BodyErrors."""
    if errors := _shape_errors(body, CREATE_PROPERTIES):
        raise BodyErrors(errors)
    data = QueryDict(mutable=True)
    _fill(data, body)
    form = LLMCreateForm(data)
    if not form.is_valid():
        raise form_errors(form)
    return form


def edit_form(body: Mapping[str, Any], llm: LLMDefinition) -> LLMEditForm:
    """The bound edit form for an UpdateLLMRequest: the stored LLM with the body's changes."""
    errors = _shape_errors(body, UPDATE_PROPERTIES)
    if body.get("name", llm.name) != llm.name:
        errors["name"] = "The name of an LLM can't be changed; leave it out."
    if errors:
        raise BodyErrors(errors)
    data = QueryDict(mutable=True)
    for name, value in initial_for(llm).items():
        data[name] = "" if value is None else str(value)
    data.setlist("header_name", list((llm.headers or {}).keys()))
    data.setlist("header_value", list((llm.headers or {}).values()))
    _fill(data, body)
    form = LLMEditForm(data, llm=llm)
    if not form.is_valid():
        raise form_errors(form)
    return form


def form_errors(form: forms.Form) -> BodyErrors:
    """The form's errors under the JSON paths of the request."""
    errors: dict[str, str] = {}
    for field, messages in form.errors.get_json_data().items():
        if field != NON_FIELD_ERRORS:
            errors[_PATHS.get(field, field)] = " ".join(m["message"] for m in messages)
    for row in getattr(form, "header_rows", []):
        if row.error:
            errors[f"headers.{row.name}"] = row.error
    general = [str(m) for m in form.non_field_errors() if not str(m).startswith("Extra header")]
    listed = [f"{path}: {text}" for path, text in errors.items()]
    return BodyErrors(errors, listed + general)


def llm_json(llm: LLMDefinition) -> dict[str, Any]:
    """The contract's LLM from the local record; secrets, never stored, as "****"."""
    body: dict[str, Any] = {
        "id": llm.vectara_id,
        "name": llm.name,
        "description": llm.description,
        "enabled": llm.enabled,
        "ownership": llm.ownership,
        "type": llm.type,
        "model": llm.model,
        "headers": dict(llm.headers or {}),
        "idle_timeout_seconds": llm.idle_timeout_seconds,
        "capabilities": dict(llm.capabilities or {}),
    }
    if llm.uri:
        body["uri"] = llm.uri
    if llm.auth_type:
        secret = {f: MASK for f in AUTH_FIELDS.get(llm.auth_type, ()) if f in SECRET_FIELDS}
        body["auth"] = {**(llm.auth_public or {}), "type": llm.auth_type, **secret}
    return body
