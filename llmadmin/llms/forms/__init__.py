"""The LLM forms: field validation only, never HTTP. One module per concern."""

from __future__ import annotations

from .auth import AUTH_FIELDS, SECRET_FORM_FIELDS
from .base import LLMFormBase, parse_json_object
from .create import LLMCreateForm
from .edit import LLMEditForm
from .headers import MAX_HEADER_ROWS, HeaderRow

__all__ = [
    "AUTH_FIELDS",
    "MAX_HEADER_ROWS",
    "SECRET_FORM_FIELDS",
    "HeaderRow",
    "LLMCreateForm",
    "LLMEditForm",
    "LLMFormBase",
    "parse_json_object",
]
