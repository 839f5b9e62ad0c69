"""Extra headers: name/value rows posted as parallel `header_name`/`header_value` lists."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from itertools import zip_longest

from django import forms
from django.http import QueryDict

from .. import validators

MAX_HEADER_ROWS = 20


@dataclass
class HeaderRow:
    name: str = ""
    value: str = ""
    error: str = ""


def rows_from(data: QueryDict | None) -> list[HeaderRow]:
    if data is None:
        return [HeaderRow()]
    pairs = zip_longest(data.getlist("header_name"), data.getlist("header_value"), fillvalue="")
    rows = [HeaderRow(n.strip(), v.strip()) for n, v in pairs]
    return rows or [HeaderRow()]


def rows_of(headers: Mapping[str, str]) -> list[HeaderRow]:
    return [HeaderRow(name, value) for name, value in headers.items()] or [HeaderRow()]


def row_error(row: HeaderRow, seen: Mapping[str, str], auth_header: str) -> str:
    lowered = row.name.lower()
    # Before the shared name rule, so Proxy-Authorization (also hop-by-hop) gets this sentence.
    if lowered in validators.CREDENTIAL_HEADERS or (auth_header and lowered == auth_header.lower()):
        return (
            "Put credentials in the Authentication fields, where they stay write-only; "
            "extra headers are shown in clear."
        )
    try:
        validators.header_name(row.name)  # the one rule for every field that names a header
        validators.header_value(row.value)
    except forms.ValidationError as exc:
        return exc.messages[0]
    if lowered in {name.lower() for name in seen}:
        return "This header is listed twice; keep one row."
    return ""
