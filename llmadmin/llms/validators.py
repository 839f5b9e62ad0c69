"""Field checks shared by the LLM forms. Each error is a sentence that says how to fix it."""

from __future__ import annotations

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
