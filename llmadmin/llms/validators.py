"""Field checks shared by the LLM forms. Each error is a sentence that says how to fix it."""

from __future__ import annotations

import json
import re
import unicodedata

from django.core.exceptions import ValidationError

# RFC 9110 token: the only characters an HTTP header name may have.
_HEADER_NAME = re.compile(r"^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$")
# Visible ASCII and inner spaces: what every HTTP stack sends unchanged in a header value.
_HEADER_VALUE = re.compile(r"^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$")

# Credentials belong in the authentication fields, which are write-only; an extra header is
# sent back by Vectara in clear on every GET.
CREDENTIAL_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "x-api-key", "api-key", "cookie", "x-goog-api-key"}
)
# Headers the HTTP client sets itself; sending them twice breaks or smuggles requests.
RESERVED_HEADERS = frozenset(
    {"host", "content-length", "content-type", "transfer-encoding", "connection", "te", "upgrade"}
)


def no_control_characters(value: str, *, allow_newlines: bool = False) -> None:
    for char in value:
        if allow_newlines and char in "\r\n\t":
            continue
        if unicodedata.category(char) in {"Cc", "Cf", "Cs"}:
            raise ValidationError(
                "Remove the invisible control character (such as a line break or NUL) "
                "from this field.",
                code="control_character",
            )


def single_line(value: str) -> None:
    no_control_characters(value)


def multi_line(value: str) -> None:
    no_control_characters(value, allow_newlines=True)


def header_name(value: str) -> None:
    if not _HEADER_NAME.match(value):
        raise ValidationError(
            "A header name may only use letters, digits and !#$%&'*+-.^_`|~ "
            "(no spaces or colons), for example x-api-key.",
            code="header_name",
        )


def header_value(value: str) -> None:
    if not _HEADER_VALUE.match(value):
        raise ValidationError(
            "A header value may only use printable ASCII characters, with no line breaks "
            "and no spaces at either end.",
            code="header_value",
        )


def secret_token(value: str) -> None:
    if any(char.isspace() for char in value) or not value.isprintable() or not value.isascii():
        raise ValidationError(
            "This secret has spaces, line breaks or non-ASCII characters; paste the key "
            "exactly as your provider shows it.",
            code="secret",
        )


# What every key file that Google Cloud hands out for a service account holds.
SERVICE_ACCOUNT_FIELDS = (
    "project_id",
    "private_key_id",
    "private_key",
    "client_email",
    "client_id",
    "token_uri",
)


def json_value(raw: str, *, fix: str, code: str) -> object:
    """`raw` parsed as JSON, or an error that says where it breaks (never quoting the text,
    which may be a secret) and, in `fix`, what to write instead."""
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        where = (
            f" ({exc.msg} at line {exc.lineno}, column {exc.colno})"
            if isinstance(exc, json.JSONDecodeError)
            else ""
        )
        raise ValidationError(f"This is not valid JSON{where}. {fix}", code=code) from None


def service_account_key(raw: str) -> None:
    """A Google service account JSON key. Messages never quote the key: it is a secret."""
    data = json_value(raw, fix="Paste the whole key file, from { to }.", code="key_json")
    if not isinstance(data, dict) or data.get("type") != "service_account":
        raise ValidationError(
            'This JSON is not a service account key: its "type" must be "service_account". '
            "Create a JSON key under IAM → Service accounts → Keys.",
            code="key_json",
        )
    missing = [f for f in SERVICE_ACCOUNT_FIELDS if not isinstance(data.get(f), str) or not data[f]]
    if missing:
        raise ValidationError(
            f"The key has no {', '.join(missing)}; download a new JSON key and paste it whole.",
            code="key_json",
        )
    if "PRIVATE KEY-----" not in data["private_key"]:
        raise ValidationError(
            "The private_key of this key is not a PEM private key; download a new JSON key.",
            code="key_json",
        )
    if "@" not in data["client_email"] or not data["token_uri"].startswith("https://"):
        raise ValidationError(
            "The client_email or token_uri of this key is malformed; download a new JSON key.",
            code="key_json",
        )
