"""Field checks shared by the LLM forms. Each error is a sentence that says how to fix it."""

from __future__ import annotations

import json
import math
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
# Hop-by-hop headers (RFC 9110 7.6.1, with RFC 9112's Transfer-Encoding and TE, and the
# proxy credential pair): they steer one connection, and a proxy consumes or rewrites them.
HOP_BY_HOP_HEADERS = frozenset(
    {
        "connection",
        "proxy-connection",
        "keep-alive",
        "te",
        "transfer-encoding",
        "upgrade",
        "trailer",
        "proxy-authenticate",
        "proxy-authorization",
    }
)
# Headers that frame the request (RFC 9110/9112) or that the dashboard's test request and
# Vectara's calls set themselves: a second one breaks the request or smuggles another.
# Authorization and x-api-key are not here: they are what the header credential is for.
RESERVED_HEADERS = frozenset(
    {
        "host",
        "content-length",
        "content-type",
        "content-encoding",
        "expect",
        "accept",
        "accept-encoding",
        "user-agent",
    }
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
    """A header name that may be sent: an RFC 9110 token that is neither hop-by-hop nor one
    the HTTP client or Vectara sets itself. Every field that names a header checks this."""
    if not _HEADER_NAME.match(value):
        raise ValidationError(
            "A header name may only use letters, digits and !#$%&'*+-.^_`|~ "
            "(no spaces or colons), for example x-api-key.",
            code="header_name",
        )
    lowered = value.lower()
    if lowered in HOP_BY_HOP_HEADERS:
        raise ValidationError(
            f"The {value} header is hop-by-hop: it steers one connection, and proxies drop or "
            "rewrite it. Choose another header name.",
            code="hop_by_hop_header",
        )
    if lowered in RESERVED_HEADERS:
        raise ValidationError(
            f"The {value} header is set by the HTTP client itself, and a second one would "
            "break the request or smuggle another. Choose another header name.",
            code="reserved_header",
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


# Bounds on any JSON typed or pasted into a form: deeper or bigger than any honest test
# parameters or key file, small enough for every parser (and the audit log) on the way.
MAX_JSON_DEPTH = 32
MAX_JSON_CHARS = 64 * 1024
# A float64 holds no more digits before overflowing to infinity.
_MAX_INT_DIGITS = 309


class _NotFinite(ValueError):
    def __init__(self, what: str) -> None:
        super().__init__(what)
        self.what = what


def _refuse_constant(name: str) -> object:
    raise _NotFinite(name)  # NaN, Infinity, -Infinity: not JSON, though Python writes them


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):  # 1e999 overflows to infinity
        raise _NotFinite("a number too large to hold (such as 1e999)")
    return number


def _finite_int(text: str) -> int:
    # Checked before int() so a 100,000-digit number costs nothing; 10**309 is float infinity.
    if len(text.lstrip("-")) > _MAX_INT_DIGITS or not math.isfinite(float(number := int(text))):
        raise _NotFinite("a number too large to hold (such as 1e999)")
    return number


def _depth(value: object) -> int:
    """How many objects and lists are nested in `value`, found without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack and deepest <= MAX_JSON_DEPTH:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in item)
    return deepest


def json_value(raw: str, *, fix: str, code: str, max_chars: int = MAX_JSON_CHARS) -> object:
    """`raw` parsed as JSON, or an error that says which rule it breaks (never quoting the
    text, which may be a secret) and, in `fix`, what to write instead.

    The rules: at most `max_chars` characters, at most MAX_JSON_DEPTH levels of nesting, and
    finite numbers only (no NaN, Infinity or numbers that overflow, which Vectara's and the
    dashboard's JSON encoders refuse)."""
    if len(raw) > max_chars:
        raise ValidationError(
            f"This JSON is {len(raw):,} characters long; the limit is {max_chars:,}. Shorten it.",
            code=code,
        )
    too_deep = ValidationError(
        f"This JSON nests objects and lists more than {MAX_JSON_DEPTH} levels deep; "
        f"flatten it to {MAX_JSON_DEPTH} levels or fewer.",
        code=code,
    )
    try:
        value = json.loads(
            raw,
            parse_constant=_refuse_constant,
            parse_float=_finite_float,
            parse_int=_finite_int,
        )
    except _NotFinite as exc:
        raise ValidationError(
            f"This JSON has {exc.what}; only finite numbers are allowed, such as 0 or 1.5.",
            code=code,
        ) from None
    except RecursionError:
        raise too_deep from None  # only nesting makes the parser recurse that far
    except ValueError as exc:
        where = (
            f" ({exc.msg} at line {exc.lineno}, column {exc.colno})"
            if isinstance(exc, json.JSONDecodeError)
            else ""
        )
        raise ValidationError(f"This is not valid JSON{where}. {fix}", code=code) from None
    if _depth(value) > MAX_JSON_DEPTH:
        raise too_deep
    return value


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
