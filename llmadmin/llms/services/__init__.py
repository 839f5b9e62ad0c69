"""Actions on LLMs, one module each. Each service owns its permission check, its upstream
call, its local record and its one audit event (an `Attempt`), so the browser form and any
script behave the same."""

from __future__ import annotations

from llmadmin.core.errors import ActionDenied

from .assign import llm_assign
from .connection import ConnectionResult, llm_test_connection
from .create import llm_create
from .delete import llm_delete
from .inspect import UpstreamComparison, llm_inspect
from .sync import SyncSummary, llm_sync, sync_start
from .toggle import llm_set_enabled
from .update import StaleEdit, llm_update

__all__ = [
    "ActionDenied",
    "ConnectionResult",
    "StaleEdit",
    "SyncSummary",
    "UpstreamComparison",
    "llm_assign",
    "llm_create",
    "llm_delete",
    "llm_inspect",
    "llm_set_enabled",
    "llm_sync",
    "llm_test_connection",
    "llm_update",
    "sync_start",
]
