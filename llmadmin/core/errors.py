from __future__ import annotations

from collections.abc import Mapping


class ApplicationError(Exception):
    """A failure a person can act on: `message` is shown to them as it is.

    `field_errors` maps form field names to sentences, so a view can put each one
    beside the field it is about.
    """

    def __init__(self, message: str, *, field_errors: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field_errors = dict(field_errors or {})


class ActionDenied(ApplicationError):
    """The actor may not do this: their role lacks the action, or the request was forged."""


def parse_id(value: str | None) -> int | None:
    """A positive database id from request data, or None.

    `str.isdigit()` accepts "²" and other digits `int()` refuses, so it can't guard `int()`.
    """
    if value and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None
