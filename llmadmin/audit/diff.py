"""A before/after comparison of an event's details, for reading rather than for machines."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Change:
    key: str
    before: str
    after: str

    @property
    def changed(self) -> bool:
        return self.before != self.after


def _show(value: Any) -> str:
    if value is _MISSING:
        return "—"
    return (
        value if isinstance(value, str) else json.dumps(value, sort_keys=True, ensure_ascii=False)
    )


_MISSING = object()


def details_diff(details: dict[str, Any]) -> list[Change] | None:
    """One row per key of `before`/`after`, changed keys included; None without both keys."""
    if not isinstance(details, dict) or "before" not in details or "after" not in details:
        return None
    before, after = details["before"], details["after"]
    if not isinstance(before, dict) or not isinstance(after, dict):
        return [Change("value", _show(before), _show(after))]
    keys = sorted(set(before) | set(after))
    return [
        Change(key, _show(before.get(key, _MISSING)), _show(after.get(key, _MISSING)))
        for key in keys
    ]
