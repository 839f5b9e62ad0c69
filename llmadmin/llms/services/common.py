"""What every LLM service shares."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from llmadmin.audit.recorder import Attempt
from llmadmin.core.errors import ApplicationError

__all__ = ["failed_after_upstream", "name_taken"]

logger = logging.getLogger(__name__)


def name_taken(name: str, existing: str | None = None) -> str:
    """`existing`: the stored name that `name` only looks like, if not the same."""
    if existing and existing != name:
        return (
            f"An LLM named {existing!r} already exists, and {name!r} differs from it only in "
            "case or in letters that look alike. Choose another name."
        )
    return f"An LLM named {name!r} already exists. Choose another name."


def failed_after_upstream(
    attempt: Attempt,
    exc: Exception,
    *,
    happened: str,
    upstream_status: int | None,
    undo: Callable[[], object] | None = None,
    undone: str = "",
    not_undone: str = "",
    field: str = "",
    expected: bool = False,
    **details: Any,
) -> ApplicationError:
    """Vectara made a change (it answered 2xx), then something here failed before the local
    record and its success event were committed. Undo the change in Vectara with `undo` where
    there is one, and say so (`undone`); if there is none or it fails, say what Vectara keeps
    (`not_undone`). Write the one failure event and return the error to raise (its message
    shown beside `field`, if given), so the page shows a sentence instead of a 500.

    The failure is logged with its traceback, never with request bodies: they carry
    credentials. `expected` (a lost race on a unique name) needs no traceback.
    """
    if not expected:
        logger.exception(
            "%s: Vectara answered %s, then the dashboard failed", attempt.action, upstream_status
        )
    did_undo = False
    if undo is not None:
        try:
            undo()
            did_undo = True
        except Exception:  # the undo is best effort: whatever stops it, say what is left
            logger.exception("%s: undoing the change in Vectara failed", attempt.action)
    message = " ".join(part for part in (happened, undone if did_undo else not_undone) if part)
    try:
        attempt.failure(
            message, upstream_status=upstream_status, upstream_undone=did_undo, **details
        )
    except Exception:
        # The person must still hear what happened; the log keeps the event that was lost.
        logger.exception("%s: the failure event could not be written: %s", attempt.action, message)
    return ApplicationError(message, field_errors={field: message} if field else None)
