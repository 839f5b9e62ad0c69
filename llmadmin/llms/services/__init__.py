"""Actions on LLMs, one module each. Each service owns its permission check, its upstream
call, its local record and its audit event, so the browser form and any script behave the
same."""

from __future__ import annotations

from .common import ActionDenied
from .create import llm_create

__all__ = ["ActionDenied", "llm_create"]
