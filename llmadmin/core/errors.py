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
