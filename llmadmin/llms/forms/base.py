"""What the create and edit forms share: every field but `name`, the swaps, the checks."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, cast

from django import forms
from django.http import QueryDict
from django.urls import reverse

from llmadmin.vectara import contract

from .. import validators
from ..uri_policy import ProviderHint, UriCheck, UriRejected, check_uri, hint_for_type
from . import headers as header_rows
from .auth import AUTH_FIELDS, OPTIONAL_AUTH_FIELDS, SECRET_FIELDS, AuthFieldsForm

DEFAULT_TYPE = "openai-compatible"
CAPABILITY_FLAGS = (
    "image_support",
    "tool_calling",
    "structured_outputs",
    "requires_role_alternation",
)
# Types whose requests carry extra headers (the contract calls them not applicable to Vertex).
TYPES_WITH_HEADERS = frozenset({"openai-compatible", "openai-responses", "anthropic"})
# What each type's fields look like, said under the fields themselves and swapped when the
# type changes; an OpenAI example under a Vertex AI form misleads.
URI_NOTES = {
    "openai-compatible": (
        "The full URL of the chat endpoint, e.g. https://api.openai.com/v1/chat/completions."
    ),
    "openai-responses": "The Responses API URL, e.g. https://api.openai.com/v1/responses.",
    "vertex-ai": (
        "For a service account, the Vertex AI project/location base URI, e.g. "
        "https://us-central1-aiplatform.googleapis.com/v1/projects/my-project/locations/"
        "us-central1; for an AI Studio API key, https://generativelanguage.googleapis.com/v1beta."
    ),
    "anthropic": (
        "Optional: without one Vectara uses https://api.anthropic.com/v1/messages, and Bedrock "
        "or Vertex take it from the region."
    ),
}
MODEL_EXAMPLES = {
    "openai-compatible": "gpt-4o",
    "openai-responses": "o3-mini",
    "vertex-ai": "gemini-2.5-flash",
    "anthropic": "claude-sonnet-4-5",
}
# An extra header this type's provider really takes, as the example in an empty row.
HEADER_EXAMPLES = {
    "openai-compatible": ("OpenAI-Organization", "org-…"),
    "openai-responses": ("OpenAI-Organization", "org-…"),
    "anthropic": ("anthropic-version", "2023-06-01"),
}
# Which cloud a region belongs to follows from the credential type.
REGION_HINTS = {
    "bedrock_static_iam": ("us-east-1", "The AWS region of your Bedrock models."),
    "bedrock_api_key": ("us-east-1", "The AWS region of your Bedrock models."),
    "vertex_service_account": ("us-east5", "The Google Cloud region where Claude runs for you."),
    "vertex_access_token": ("us-east5", "The Google Cloud region where Claude runs for you."),
}

# Where a field error from Vectara (keyed by its JSON path) is shown on the form.
UPSTREAM_FIELDS = {
    "type": "type",
    "name": "name",
    "description": "description",
    "model": "model",
    "uri": "uri",
    "auth": "auth_type",
    "auth.type": "auth_type",
    "idle_timeout_seconds": "idle_timeout_seconds",
    "test_model_parameters": "test_model_parameters",
    "capabilities": "context_limit",
    "capabilities.context_limit": "context_limit",
    **{f"capabilities.{flag}": flag for flag in CAPABILITY_FLAGS},
    **{f"auth.{name}": name for names in AUTH_FIELDS.values() for name in names},
}


def _tri_state(label: str) -> forms.TypedChoiceField:
    # Unset means "let Vectara infer it from the model", which a checkbox can't say.
    return forms.TypedChoiceField(
        label=label,
        required=False,
        choices=[("", "Infer"), ("true", "Yes"), ("false", "No")],
        coerce=lambda value: value == "true",
        empty_value=None,
    )


# The JSON rules (size, depth, finite numbers) live in validators.json_value, so the inline
# check and the form say the same sentence; no max_length on the field to say another.
TEST_PARAMETERS_MAX_CHARS = 10_000


def parse_json_object(raw: str) -> dict[str, Any]:
    """The test model parameters: blank or a JSON object; the error says how to fix it."""
    raw = raw.strip()
    if not raw:
        return {}
    fix = 'Write an object such as {"temperature": 0}.'
    parsed = validators.json_value(raw, fix=fix, code="json", max_chars=TEST_PARAMETERS_MAX_CHARS)
    if not isinstance(parsed, dict):
        raise forms.ValidationError(
            'Write a JSON object, such as {"temperature": 0}, not a list or a single value.',
            code="json",
        )
    return parsed


class LLMFormBase(AuthFieldsForm):
    is_edit = False

    type = forms.ChoiceField(
        label="Type", choices=list(contract.LLM_TYPES.items()), initial=DEFAULT_TYPE
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
    )
    uri = forms.CharField(
        label="Endpoint URI",
        required=False,  # required for every type but anthropic: see clean()
        max_length=2048,
        validators=[validators.single_line],
        widget=forms.URLInput(),
    )
    # The form's metaclass moves declared fields into `base_fields`; on an instance this name
    # holds the chosen credential type (set in __init__), which is what the checker should see.
    auth_type: str = forms.ChoiceField(  # type: ignore[assignment]
        label="Credential type",
        choices=list(contract.AUTH_TYPES.items()),
        error_messages={
            "invalid_choice": "Choose one of the credential types offered for this LLM type."
        },
    )
    image_support = _tri_state("Image input")
    tool_calling = _tri_state("Tool calling")
    structured_outputs = _tri_state("Structured outputs")
    requires_role_alternation = _tri_state("Needs strict role alternation")
    context_limit = forms.IntegerField(
        label="Context window (tokens)",
        required=False,
        min_value=contract.CONTEXT_LIMIT_MIN,
        max_value=2**31 - 1,
        help_text="Leave blank to let Vectara infer it.",
    )
    idle_timeout_seconds = forms.IntegerField(
        label="Idle time-out (seconds)",
        required=False,
        min_value=contract.IDLE_TIMEOUT_RANGE[0],
        max_value=contract.IDLE_TIMEOUT_RANGE[1],
        help_text="How long Vectara waits for the model to send data; blank for its default.",
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
        widget=forms.Textarea(
            attrs={
                "rows": 3,
                "placeholder": '{"temperature": 0}',
                "maxlength": TEST_PARAMETERS_MAX_CHARS,
            }
        ),
    )

    def __init__(
        self,
        data: QueryDict | None = None,
        files: Any = None,
        *,
        header_data: QueryDict | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(data, files, **kwargs)
        self.uri_check: UriCheck | None = None
        self.header_rows = header_rows.rows_from(data if header_data is None else header_data)
        self.llm_type = self._chosen("type", contract.LLM_TYPES, DEFAULT_TYPE)
        allowed = contract.AUTH_TYPES_BY_LLM_TYPE[self.llm_type]
        self.auth_type = self._chosen("auth_type", allowed, allowed[0])
        # Each type offers exactly its auth shapes; a stale choice falls back to the first one.
        auth_field = cast(forms.ChoiceField, self.fields["auth_type"])
        auth_field.choices = [(t, contract.AUTH_TYPES[t]) for t in allowed]
        auth_field.initial = self.auth_type
        self._describe_for_type()
        self._mark_required()
        self._add_htmx()

    # --- what the page shows -----------------------------------------------------------------

    def swap_urls(self) -> dict[str, str]:
        """Where the type and auth selects fetch their fragments (subclasses say)."""
        raise NotImplementedError

    def _chosen(self, name: str, options: Mapping[str, Any] | tuple[str, ...], default: str) -> str:
        value = self.data.get(name) if self.is_bound else self.initial.get(name)
        return value if isinstance(value, str) and value in options else default

    def _describe_for_type(self) -> None:
        """Examples and hints of the chosen type and credential type, not another's."""
        self.fields["uri"].help_text = URI_NOTES[self.llm_type]
        model = MODEL_EXAMPLES[self.llm_type]
        self.fields["model"].help_text = f"The provider's model id, for example {model}."
        region = REGION_HINTS.get(self.auth_type)
        if region:
            self.fields["region"].widget.attrs["placeholder"] = region[0]
            self.fields["region"].help_text = region[1]

    def _mark_required(self) -> None:
        """What clean() will ask for with this type and credential type, said up front."""
        needed = {
            name
            for name in AUTH_FIELDS[self.auth_type]
            if name not in OPTIONAL_AUTH_FIELDS and (name not in SECRET_FIELDS or not self.is_edit)
        }
        if self.llm_type != "anthropic":
            needed.add("uri")
        self.also_required = frozenset(needed)
        for name in needed:
            self.fields[name].widget.attrs["aria-required"] = "true"

    @property
    def uri_hint(self) -> ProviderHint | None:
        hint = self.uri_check and self.uri_check.hint
        return hint_for_type(hint, self.llm_type) if hint else None

    @property
    def header_example(self) -> tuple[str, str]:
        return HEADER_EXAMPLES.get(self.llm_type, ("", ""))

    def _add_htmx(self) -> None:
        urls = self.swap_urls()
        self.fields["uri"].widget.attrs.update(
            {
                "hx-post": reverse("llms:check_uri"),
                "hx-trigger": "blur changed",
                "hx-target": "#uri-feedback",
                "hx-swap": "outerHTML",
                # The type too: the provider's hint says what this type can choose.
                "hx-include": "[name=type]",
                "hx-params": "uri,type",
            }
        )
        # GET swaps name what they send with hx-params, so no secret can end up in a URL.
        self.fields["type"].widget.attrs.update(
            {
                "hx-get": urls["type_fields"],
                "hx-target": "#type-fields",
                "hx-swap": "outerHTML",
                "hx-include": "[name=auth_type],[name=header_name],[name=header_value]",
                "hx-params": "type,auth_type,header_name,header_value",
            }
        )
        self.fields["auth_type"].widget.attrs.update(
            {
                "hx-get": urls["auth_fields"],
                "hx-target": "#auth-fields",
                "hx-swap": "outerHTML",
                "hx-include": "[name=type]",
                "hx-params": "type,auth_type",
            }
        )
        self.fields["test_model_parameters"].widget.attrs.update(
            {
                "hx-post": reverse("llms:check_json"),
                "hx-trigger": "blur changed",
                "hx-target": "#json-feedback",
                "hx-swap": "outerHTML",
                "hx-params": "test_model_parameters",
            }
        )

    @property
    def show_headers(self) -> bool:
        return self.llm_type in TYPES_WITH_HEADERS

    def auth_fields(self) -> list[forms.BoundField]:
        """The fields of the chosen auth shape, for the swappable fieldset."""
        names = list(AUTH_FIELDS[self.auth_type])
        if "key_json" in names:
            names.insert(names.index("key_json") + 1, "key_file")
        return [self[name] for name in names]

    def capability_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in (*CAPABILITY_FLAGS, "context_limit")]

    # --- extra header rows -------------------------------------------------------------------

    def add_header_row(self) -> None:
        if len(self.header_rows) < header_rows.MAX_HEADER_ROWS:
            self.header_rows.append(header_rows.HeaderRow())

    def remove_header_row(self, index: int) -> None:
        if 0 <= index < len(self.header_rows):
            del self.header_rows[index]
        self.header_rows = self.header_rows or [header_rows.HeaderRow()]

    def _clean_headers(self, auth_header: str) -> dict[str, str]:
        headers: dict[str, str] = {}
        rows = [row for row in self.header_rows if row.name or row.value]
        if len(rows) > header_rows.MAX_HEADER_ROWS:
            self.add_error(None, f"Send at most {header_rows.MAX_HEADER_ROWS} extra headers.")
        for row in rows:
            row.error = header_rows.row_error(row, headers, auth_header)
            if row.error:
                self.add_error(None, f"Extra header {row.name or '(no name)'}: {row.error}")
            else:
                headers[row.name] = row.value
        return headers

    # --- cleaning ----------------------------------------------------------------------------

    def clean_uri(self) -> str:
        raw = self.cleaned_data["uri"].strip()
        if not raw:
            return ""
        try:
            self.uri_check = check_uri(raw)
        except UriRejected as exc:
            raise forms.ValidationError(exc.message, code="uri") from None
        return self.uri_check.uri

    def clean_test_model_parameters(self) -> dict[str, Any]:
        return parse_json_object(self.cleaned_data["test_model_parameters"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        llm_type = cleaned.get("type") or self.llm_type
        if llm_type != "anthropic" and not cleaned.get("uri") and "uri" not in self.errors:
            message = "The endpoint URI is required; only Anthropic LLMs may leave it out."
            self.add_error("uri", message)
        auth_type = cleaned.get("auth_type")
        if auth_type:
            self._check_auth_fields(cleaned, auth_type)
        auth_header = cleaned.get("header") or "" if auth_type == "header" else ""
        has_headers = llm_type in TYPES_WITH_HEADERS
        cleaned["headers"] = self._clean_headers(auth_header) if has_headers else {}
        params = dict(cleaned.get("test_model_parameters") or {})
        if cleaned.get("max_tokens") is not None:
            if "max_tokens" in params:
                self.add_error("test_model_parameters", "Set max_tokens in one place, not both.")
            params["max_tokens"] = cleaned["max_tokens"]
        cleaned["test_params"] = params
        cleaned["capabilities"] = {
            name: cleaned[name]
            for name in (*CAPABILITY_FLAGS, "context_limit")
            if cleaned.get(name) is not None
        }
        return cleaned

    def _missing_message(self, field: str) -> str:
        return f"Enter the {self[field].label.lower()} for this credential type."

    def _check_auth_fields(self, cleaned: dict[str, Any], auth_type: str) -> None:
        for field in AUTH_FIELDS[auth_type]:
            if field in OPTIONAL_AUTH_FIELDS or field in self.errors:
                continue
            if field in SECRET_FIELDS and not self._secret_required(field):
                continue
            if not cleaned.get(field):
                self.add_error(field, self._missing_message(field))

    def _secret_required(self, field: str) -> bool:
        return True

    def auth_from(self, cleaned: Mapping[str, Any]) -> dict[str, Any]:
        """The contract's auth object of the chosen shape (an empty scopes list left out)."""
        auth_type = cleaned["auth_type"]
        auth: dict[str, Any] = {"type": auth_type}
        for name in AUTH_FIELDS[auth_type]:
            if cleaned.get(name) or name not in OPTIONAL_AUTH_FIELDS:
                auth[name] = cleaned.get(name)
        return auth

    def add_upstream_errors(self, field_errors: Mapping[str, str]) -> None:
        """Show Vectara's field errors beside the fields they are about."""
        for path, message in field_errors.items():
            field = UPSTREAM_FIELDS.get(path)
            if field is None and path.startswith("headers"):
                self.add_error(None, f"Extra headers: {message}")
            elif field is None or field not in self.fields:
                self.add_error(None, f"Vectara says {path}: {message}")
            else:
                self.add_error(field, f"Vectara says: {message}")
