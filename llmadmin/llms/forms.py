"""The LLM create form: field validation only, never HTTP."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from itertools import zip_longest
from typing import Any

from django import forms
from django.http import QueryDict
from django.urls import reverse

from llmadmin.core.forms import Form
from llmadmin.vectara import contract

from . import validators
from .spec import LLMSpec
from .uri_policy import UriCheck, UriRejected, check_uri

# The types this form can build today, each with the auth shapes the contract gives it.
FORM_LLM_TYPES = ("openai-compatible", "openai-responses")
FORM_AUTH_TYPES = ("bearer", "header")
# Form fields that make up each auth shape, in the order they are shown.
AUTH_FIELDS: dict[str, tuple[str, ...]] = {"bearer": ("token",), "header": ("header", "value")}
SECRET_FIELDS = frozenset({"token", "value"})
MAX_HEADER_ROWS = 20

# Where a field error from Vectara (keyed by its JSON path) is shown on this form.
UPSTREAM_FIELDS = {
    "type": "type",
    "name": "name",
    "description": "description",
    "model": "model",
    "uri": "uri",
    "auth": "auth_type",
    "auth.type": "auth_type",
    "auth.token": "token",
    "auth.header": "header",
    "auth.value": "value",
    "test_model_parameters": "test_model_parameters",
}


@dataclass
class HeaderRow:
    name: str = ""
    value: str = ""
    error: str = ""


def _secret_input() -> forms.PasswordInput:
    # render_value=False: a secret typed once is never sent back to the browser.
    return forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})


class LLMCreateForm(Form):
    type = forms.ChoiceField(
        label="Type",
        choices=[(t, contract.LLM_TYPES[t]) for t in FORM_LLM_TYPES],
        initial="openai-compatible",
    )
    name = forms.CharField(
        label="Name",
        max_length=contract.NAME_MAX_LENGTH,
        validators=[validators.single_line],
        help_text="How queries refer to this LLM in Vectara. It can't be changed later.",
    )
    description = forms.CharField(
        label="Description",
        required=False,
        max_length=contract.DESCRIPTION_MAX_LENGTH,
        validators=[validators.multi_line],
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    model = forms.CharField(
        label="Model",
        max_length=255,
        validators=[validators.single_line],
        help_text="The provider's model id, for example gpt-4o.",
    )
    uri = forms.CharField(
        label="Endpoint URI",
        max_length=2048,
        validators=[validators.single_line],
        widget=forms.URLInput(attrs={"placeholder": "https://api.openai.com/v1/chat/completions"}),
    )
    auth_type = forms.ChoiceField(
        label="Credential type",
        choices=[(t, contract.AUTH_TYPES[t]) for t in FORM_AUTH_TYPES],
        initial="bearer",
    )
    token = forms.CharField(
        label="Token",
        required=False,
        max_length=4096,
        validators=[validators.secret_token],
        widget=_secret_input(),
        help_text="Sent to Vectara only; llmadmin keeps just its last four characters.",
    )
    header = forms.CharField(
        label="Header name",
        required=False,
        max_length=256,
        validators=[validators.header_name],
        widget=forms.TextInput(attrs={"placeholder": "x-api-key", "autocomplete": "off"}),
    )
    value = forms.CharField(
        label="Header value",
        required=False,
        max_length=4096,
        validators=[validators.header_value],
        widget=_secret_input(),
        help_text="Sent to Vectara only; llmadmin keeps just its last four characters.",
    )
    max_tokens = forms.IntegerField(
        label="max_tokens for the test call",
        required=False,
        min_value=1,
        max_value=1_000_000,
        help_text="Vectara calls the model once when it saves the LLM; some models need this.",
    )
    test_model_parameters = forms.CharField(
        label="Other test parameters (JSON object)",
        required=False,
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": '{"temperature": 0}'}),
    )

    def __init__(
        self, data: QueryDict | None = None, *, header_data: QueryDict | None = None, **kwargs: Any
    ) -> None:
        super().__init__(data, **kwargs)
        self.uri_check: UriCheck | None = None
        self.header_rows = self._header_rows_from(data if header_data is None else header_data)
        # htmx: check the URI as the person leaves the field, and swap the auth fields in place.
        self.fields["uri"].widget.attrs.update(
            {
                "hx-post": reverse("llms:check_uri"),
                "hx-trigger": "blur changed",
                "hx-target": "#uri-feedback",
                "hx-swap": "outerHTML",
                "hx-params": "uri",
            }
        )
        self.fields["auth_type"].widget.attrs.update(
            {
                "hx-get": reverse("llms:auth_fields"),
                "hx-target": "#auth-fields",
                "hx-swap": "outerHTML",
                "hx-params": "auth_type",
            }
        )

    # --- extra headers: name/value rows posted as parallel lists ---------------------------

    @staticmethod
    def _header_rows_from(data: QueryDict | None) -> list[HeaderRow]:
        if data is None:
            return [HeaderRow()]
        pairs = zip_longest(data.getlist("header_name"), data.getlist("header_value"), fillvalue="")
        rows = [HeaderRow(n.strip(), v.strip()) for n, v in pairs]
        return rows or [HeaderRow()]

    def add_header_row(self) -> None:
        if len(self.header_rows) < MAX_HEADER_ROWS:
            self.header_rows.append(HeaderRow())

    def remove_header_row(self, index: int) -> None:
        if 0 <= index < len(self.header_rows):
            del self.header_rows[index]
        self.header_rows = self.header_rows or [HeaderRow()]

    def _clean_headers(self, auth_header: str) -> dict[str, str]:
        headers: dict[str, str] = {}
        rows = [row for row in self.header_rows if row.name or row.value]
        if len(rows) > MAX_HEADER_ROWS:
            self.add_error(None, f"Send at most {MAX_HEADER_ROWS} extra headers.")
        for row in rows:
            row.error = self._header_row_error(row, headers, auth_header)
            if row.error:
                self.add_error(None, f"Extra header {row.name or '(no name)'}: {row.error}")
            else:
                headers[row.name] = row.value
        return headers

    @staticmethod
    def _header_row_error(row: HeaderRow, seen: Mapping[str, str], auth_header: str) -> str:
        lowered = row.name.lower()
        try:
            validators.header_name(row.name)
            validators.header_value(row.value)
        except forms.ValidationError as exc:
            return exc.messages[0]
        if lowered in {name.lower() for name in seen}:
            return "This header is listed twice; keep one row."
        if lowered in validators.RESERVED_HEADERS:
            return "The HTTP client sets this header itself; remove the row."
        if lowered in validators.CREDENTIAL_HEADERS or lowered == auth_header.lower():
            return (
                "Put credentials in the Authentication fields, where they stay write-only; "
                "extra headers are shown in clear."
            )
        return ""

    # --- field cleaning ----------------------------------------------------------------------

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def clean_uri(self) -> str:
        try:
            self.uri_check = check_uri(self.cleaned_data["uri"].strip())
        except UriRejected as exc:
            raise forms.ValidationError(exc.message, code="uri") from None
        return self.uri_check.uri

    def clean_test_model_parameters(self) -> dict[str, Any]:
        raw = self.cleaned_data["test_model_parameters"].strip()
        if not raw:
            return {}
        try:
            parsed = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(
                f"This is not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno}). "
                'Write an object such as {"temperature": 0}.',
                code="json",
            ) from None
        if not isinstance(parsed, dict):
            raise forms.ValidationError(
                'Write a JSON object, such as {"temperature": 0}, not a list or a single value.',
                code="json",
            )
        return parsed

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        auth_type = cleaned.get("auth_type")
        for field in AUTH_FIELDS.get(auth_type or "", ()):
            if not cleaned.get(field) and field not in self.errors:
                self.add_error(
                    field, f"Enter the {self[field].label.lower()} for this authentication."
                )
        cleaned["headers"] = self._clean_headers(cleaned.get("header") or "")
        params = dict(cleaned.get("test_model_parameters") or {})
        if cleaned.get("max_tokens") is not None:
            if "max_tokens" in params:
                self.add_error("test_model_parameters", "Set max_tokens in one place, not both.")
            params["max_tokens"] = cleaned["max_tokens"]
        cleaned["test_params"] = params
        return cleaned

    # --- results -----------------------------------------------------------------------------

    def to_spec(self) -> LLMSpec:
        data = self.cleaned_data
        auth_type = data["auth_type"]
        auth = {"type": auth_type, **{f: data[f] for f in AUTH_FIELDS[auth_type]}}
        return LLMSpec(
            type=data["type"],
            name=data["name"],
            description=data["description"],
            model=data["model"],
            uri=data["uri"],
            auth=auth,
            headers=data["headers"],
            test_model_parameters=data["test_params"],
        )

    def add_upstream_errors(self, field_errors: Mapping[str, str]) -> None:
        """Show Vectara's field errors beside the fields they are about."""
        for path, message in field_errors.items():
            field = UPSTREAM_FIELDS.get(path)
            if field is None and path.startswith("headers"):
                self.add_error(None, f"Extra headers: {message}")
            elif field is None:
                self.add_error(None, f"Vectara says {path}: {message}")
            else:
                self.add_error(field, f"Vectara says: {message}")

    def auth_fields(self) -> list[forms.BoundField]:
        """The fields of the chosen auth shape, for the swappable fieldset."""
        auth_type = self["auth_type"].value() or "bearer"
        return [self[name] for name in AUTH_FIELDS.get(auth_type, AUTH_FIELDS["bearer"])]
