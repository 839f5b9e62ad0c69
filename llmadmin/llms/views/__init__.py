"""The LLM pages, one module per flow; urls.py imports the views from here."""

from __future__ import annotations

from .browse import llm_detail, llm_list
from .create import llm_auth_fields, llm_check_uri, llm_create

__all__ = ["llm_auth_fields", "llm_check_uri", "llm_create", "llm_detail", "llm_list"]
