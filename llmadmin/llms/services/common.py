"""What every LLM service shares."""

from __future__ import annotations

__all__ = ["name_taken"]


def name_taken(name: str) -> str:
    return f"An LLM named {name!r} already exists. Choose another name."
