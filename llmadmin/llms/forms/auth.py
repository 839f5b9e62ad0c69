"""The auth shapes of the contract as form fields: one form field per auth property, named
like the property, so a Vectara field error on `auth.region` lands on the field `region`."""

from __future__ import annotations

import json
import re
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from llmadmin.core.forms import Form
from llmadmin.vectara import contract

from .. import validators
from ..uri_policy import UriRejected, check_uri

# Form fields that make up each auth shape, in the order they are shown. `key_file` is not a
# contract property: it is another way to give `key_json`.
AUTH_FIELDS: dict[str, tuple[str, ...]] = {
    "bearer": ("token",),
    "header": ("header", "value"),
    "oauth_client_credentials": ("client_id", "client_secret", "token_endpoint", "scopes"),
    "api_key": ("api_key",),
    "service_account": ("key_json",),
    "bedrock_static_iam": ("aws_access_key_id", "aws_secret_access_key", "region"),
    "bedrock_api_key": ("api_key", "region"),
    "vertex_service_account": ("key_json", "project", "region"),
    "vertex_access_token": ("access_token", "project", "region"),
}
OPTIONAL_AUTH_FIELDS = frozenset({"scopes"})
SECRET_FIELDS = contract.SECRET_AUTH_FIELDS
# Every form field that may hold a secret, for sensitive_post_parameters.
SECRET_FORM_FIELDS = tuple(sorted(SECRET_FIELDS))
MAX_KEY_FILE_BYTES = 64 * 1024

_REGION = re.compile(r"^[a-z]{2}(-[a-z0-9]+)+$")
_PROJECT = re.compile(r"^([a-z0-9][a-z0-9.-]*:)?[a-z][a-z0-9-]{4,61}[a-z0-9]$")
_AWS_KEY_ID = re.compile(r"^[A-Z0-9]{16,128}$")
_SCOPE = re.compile(r"^[\x21-\x7e]+$")


def secret_input() -> forms.PasswordInput:
    # render_value=False: a secret typed once is never sent back to the browser.
    return forms.PasswordInput(render_value=False, attrs={"autocomplete": "new-password"})


class SecretTextarea(forms.Textarea):
    """A textarea for a pasted key file that, like a password input, never renders a value."""

    def format_value(self, value: Any) -> None:
        return None


def _secret(label: str, help_text: str = "", **kwargs: Any) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=False,
        max_length=4096,
        validators=[validators.secret_token],
        widget=secret_input(),
        help_text=help_text or "Sent to Vectara only; llmadmin keeps just a fingerprint.",
        **kwargs,
    )


def _plain(label: str, placeholder: str, help_text: str = "", max_length: int = 256) -> Any:
    return forms.CharField(
        label=label,
        required=False,
        max_length=max_length,
        validators=[validators.single_line],
        help_text=help_text,
        widget=forms.TextInput(attrs={"placeholder": placeholder, "autocomplete": "off"}),
    )


class AuthFieldsForm(Form):
    """The fields of every auth shape; the LLM forms show those of the chosen one."""

    token = _secret("Token")
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
        widget=secret_input(),
        help_text="Sent to Vectara only; llmadmin keeps just a fingerprint.",
    )
    client_id = _plain("Client ID", "llmadmin-client")
    client_secret = _secret("Client secret")
    token_endpoint = forms.CharField(
        label="Token endpoint",
        required=False,
        max_length=2048,
        validators=[validators.single_line],
        widget=forms.URLInput(attrs={"placeholder": "https://auth.example.com/oauth2/token"}),
        help_text="Vectara fetches access tokens here, so it is checked like the endpoint URI.",
    )
    scopes = _plain(
        "Scopes", "read write", "Optional. Separate scopes with spaces or commas.", max_length=2048
    )
    api_key = _secret("API key")
    key_json = forms.CharField(
        label="Service account key (JSON)",
        required=False,
        max_length=MAX_KEY_FILE_BYTES,
        widget=SecretTextarea(attrs={"rows": 4, "autocomplete": "off", "spellcheck": "false"}),
        help_text="Paste the whole JSON key file, or upload it below. It is never shown again.",
    )
    key_file = forms.FileField(
        label="…or upload the key file",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/json,.json"}),
    )
    aws_access_key_id = _plain("AWS access key ID", "AKIAIOSFODNN7EXAMPLE")
    aws_secret_access_key = _secret("AWS secret access key")
    region = _plain("Region", "us-east-1", "An AWS region (us-east-1) or a Google Cloud one.")
    project = _plain("Google Cloud project", "my-project-id")
    access_token = _secret("Access token")

    # --- per-field checks (blank is judged later, by the auth shape) -------------------------

    def clean_token_endpoint(self) -> str:
        raw = self.cleaned_data["token_endpoint"].strip()
        if not raw:
            return ""
        try:
            return check_uri(raw).uri
        except UriRejected as exc:
            raise forms.ValidationError(exc.message, code="uri") from None

    def clean_scopes(self) -> list[str]:
        scopes = [s for s in re.split(r"[\s,]+", self.cleaned_data["scopes"]) if s]
        if any(not _SCOPE.match(s) for s in scopes):
            raise forms.ValidationError("A scope may only use printable ASCII characters.")
        return scopes

    def clean_region(self) -> str:
        return _match(self.cleaned_data["region"], _REGION, "Enter a region such as us-east-1.")

    def clean_project(self) -> str:
        message = "Enter a Google Cloud project ID such as my-project-123 (not its display name)."
        return _match(self.cleaned_data["project"], _PROJECT, message)

    def clean_aws_access_key_id(self) -> str:
        message = "An AWS access key ID is 16 or more capital letters and digits, like AKIA…."
        return _match(self.cleaned_data["aws_access_key_id"], _AWS_KEY_ID, message)

    def clean_key_json(self) -> str:
        raw = self.cleaned_data["key_json"].strip()
        upload: UploadedFile | None = self.files.get(self.add_prefix("key_file"))
        if upload is not None:
            if raw:
                raise forms.ValidationError("Paste the key or upload its file, not both.")
            if upload.size is not None and upload.size > MAX_KEY_FILE_BYTES:
                raise forms.ValidationError("This file is too large to be a service account key.")
            try:
                raw = upload.read(MAX_KEY_FILE_BYTES + 1).decode("utf-8").strip()
            except UnicodeDecodeError:
                raise forms.ValidationError(
                    "This file is not text; upload the JSON key file Google Cloud gave you."
                ) from None
        if raw:
            validators.service_account_key(raw)
            # Vectara fetches access tokens from the key's token_uri: vet it like token_endpoint.
            try:
                check_uri(json.loads(raw)["token_uri"])
            except UriRejected as exc:
                message = "This key's token_uri is refused, as Vectara fetches tokens there. "
                raise forms.ValidationError(message + exc.message, code="uri") from None
        return raw


def _match(value: str, pattern: re.Pattern[str], message: str) -> str:
    value = value.strip()
    if value and not pattern.match(value):
        raise forms.ValidationError(message)
    return value
