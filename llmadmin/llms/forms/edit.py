"""The LLM edit form: starts from the local record and says what changed.

Secrets are write-only: a blank secret field keeps the stored secret, and the auth object is
sent (whole, as Vectara replaces it whole) only when the person typed its secret. Some changes
need that secret again, so a stored credential can't be pointed somewhere new."""

from __future__ import annotations

import json
from typing import Any, cast
from urllib.parse import urlsplit

from django import forms
from django.http import QueryDict
from django.urls import reverse

from llmadmin.vectara import contract

from ..models import LLMDefinition
from ..spec import LLMChanges
from . import headers as header_rows
from .auth import AUTH_FIELDS, SECRET_FIELDS
from .base import CAPABILITY_FLAGS, TYPES_WITH_HEADERS, LLMFormBase

KEEP_HELP = "Leave blank to keep the stored secret."


def _origin(uri: str) -> tuple[str, str, int | None]:
    """Scheme, host and port: where a credential goes. A new port on the same host can be
    another service, and http instead of https sends the key in clear."""
    try:
        parts = urlsplit(uri)
        port = parts.port or {"https": 443, "http": 80}.get(parts.scheme.lower())
        return parts.scheme.lower(), (parts.hostname or "").rstrip(".").lower(), port
    except ValueError:
        return "", "", None


def initial_for(llm: LLMDefinition) -> dict[str, Any]:
    """The form's starting values: the local record, with no secret in it (none is kept)."""
    params = dict(llm.test_model_parameters or {})
    max_tokens = params.pop("max_tokens", None)
    initial: dict[str, Any] = {
        "type": llm.type,
        "description": llm.description,
        "model": llm.model,
        "uri": llm.uri,
        "auth_type": llm.auth_type,
        "idle_timeout_seconds": llm.idle_timeout_seconds,
        "max_tokens": max_tokens if isinstance(max_tokens, int) else None,
        "test_model_parameters": json.dumps(params, indent=1) if params else "",
        "version": llm.version,
    }
    for name, value in (llm.auth_public or {}).items():
        if name != "type" and name not in SECRET_FIELDS:
            initial[name] = " ".join(value) if isinstance(value, list) else value
    capabilities = llm.capabilities or {}
    for flag in CAPABILITY_FLAGS:
        if isinstance(capabilities.get(flag), bool):
            initial[flag] = "true" if capabilities[flag] else "false"
    initial["context_limit"] = capabilities.get("context_limit")
    return initial


class LLMEditForm(LLMFormBase):
    is_edit = True

    # The version the person started from: the service refuses to save over a newer one.
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(
        self,
        data: QueryDict | None = None,
        files: Any = None,
        *,
        llm: LLMDefinition,
        header_data: QueryDict | None = None,
        **kwargs: Any,
    ) -> None:
        self.llm = llm
        kwargs["initial"] = {**initial_for(llm), **kwargs.get("initial", {})}
        super().__init__(data, files, header_data=header_data, **kwargs)
        if data is None and header_data is None:
            self.header_rows = header_rows.rows_of(llm.headers or {})
        for name in SECRET_FIELDS:
            self.fields[
                name
            ].help_text = (
                f"{KEEP_HELP} Changing the endpoint's host or the credential type needs it again."
            )
        self.fields["key_file"].help_text = KEEP_HELP
        self.fields["context_limit"].help_text = "Blank keeps what Vectara has."
        for flag in CAPABILITY_FLAGS:
            # PATCH can't unset a capability, so here the empty choice means "leave it".
            flag_field = cast(forms.ChoiceField, self.fields[flag])
            flag_field.choices = [("", "Unchanged"), ("true", "Yes"), ("false", "No")]

    def swap_urls(self) -> dict[str, str]:
        pk = self.llm.pk
        return {
            "type_fields": reverse("llms:edit_type_fields", args=[pk]),
            "auth_fields": reverse("llms:edit_auth_fields", args=[pk]),
            "action": reverse("llms:edit", args=[pk]),
        }

    # --- secrets: blank keeps, some changes need them again ----------------------------------

    def clean(self) -> dict[str, Any]:
        for name in SECRET_FIELDS:
            # A masked value copied from somewhere is not a secret: treat it as "keep".
            if self.cleaned_data.get(name) == contract.MASK:
                self.cleaned_data[name] = ""
        return super().clean()

    def _secret_required(self, field: str) -> bool:
        reason = self._why_secret_needed(self.cleaned_data)
        if reason and not self.cleaned_data.get(field) and field not in self.errors:
            self.add_error(field, reason)
        return False

    def _why_secret_needed(self, cleaned: dict[str, Any]) -> str:
        llm, auth_type = self.llm, cleaned["auth_type"]
        label = next(self[f].label.lower() for f in AUTH_FIELDS[auth_type] if f in SECRET_FIELDS)
        new_type = cleaned.get("type") or llm.type
        if new_type != llm.type:
            return f"You changed the type, so enter the {label} for the new provider."
        if auth_type != llm.auth_type:
            return f"You changed the credential type, so enter its {label}."
        new_origin = _origin(cleaned.get("uri") or "")
        if cleaned.get("uri") and new_origin != _origin(llm.uri):
            scheme, host, port = new_origin
            return (
                f"The endpoint moved to {scheme}://{host}:{port}, so enter the {label} again: "
                "a stored secret is never sent to a new host, port or scheme."
            )
        for name in AUTH_FIELDS[auth_type]:
            if name not in SECRET_FIELDS and self._differs(cleaned.get(name), name):
                return (
                    f"Enter the {label} again to change the {self[name].label.lower()}: "
                    "Vectara replaces the whole credential at once."
                )
        return ""

    def _differs(self, value: Any, name: str) -> bool:
        stored = (self.llm.auth_public or {}).get(name)
        if name == "scopes":
            return list(value or []) != list(stored or [])
        return (value or "") != (stored or "")

    # --- the result --------------------------------------------------------------------------

    def to_changes(self) -> LLMChanges:
        """Only what differs from the local record; `name` is never part of it."""
        data, llm = self.cleaned_data, self.llm
        new_type = data["type"]
        fields: dict[str, Any] = {}
        if new_type != llm.type:
            fields["type"] = new_type
        for name in ("description", "model"):
            if data[name] != getattr(llm, name):
                fields[name] = data[name]
        # A blank URI (anthropic only) keeps the stored one: PATCH can't clear it.
        if data["uri"] and (data["uri"] != llm.uri or "type" in fields):
            fields["uri"] = data["uri"]
        if new_type in TYPES_WITH_HEADERS and data["headers"] != dict(llm.headers or {}):
            fields["headers"] = data["headers"]
        if data["idle_timeout_seconds"] != llm.idle_timeout_seconds:
            fields["idle_timeout_seconds"] = data["idle_timeout_seconds"]  # None clears it
        if data["test_params"] != dict(llm.test_model_parameters or {}):
            fields["test_model_parameters"] = data["test_params"]
        stored = llm.capabilities or {}
        capabilities = {k: v for k, v in data["capabilities"].items() if stored.get(k) != v}
        if capabilities:
            fields["capabilities"] = capabilities
        secret = next(f for f in AUTH_FIELDS[data["auth_type"]] if f in SECRET_FIELDS)
        auth = self.auth_from(data) if data.get(secret) else None
        return LLMChanges(type=new_type, fields=fields, auth=auth)
