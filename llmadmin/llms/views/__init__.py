"""The LLM pages, one module per flow; urls.py imports the views from here."""

from __future__ import annotations

from .browse import llm_detail, llm_list
from .connection import llm_test_connection
from .create import llm_auth_fields, llm_check_json, llm_check_uri, llm_create, llm_type_fields
from .edit import llm_edit, llm_edit_auth_fields, llm_edit_type_fields
from .lifecycle import llm_assign, llm_delete, llm_toggle
from .sync import llm_sync, llm_sync_progress

__all__ = [
    "llm_assign",
    "llm_auth_fields",
    "llm_check_json",
    "llm_check_uri",
    "llm_create",
    "llm_delete",
    "llm_detail",
    "llm_edit",
    "llm_edit_auth_fields",
    "llm_edit_type_fields",
    "llm_list",
    "llm_sync",
    "llm_sync_progress",
    "llm_test_connection",
    "llm_toggle",
    "llm_type_fields",
]
