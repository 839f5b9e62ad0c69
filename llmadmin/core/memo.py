"""What a page works out once and then looks up by everything it is made of: the HTML of a
list row, a chart, the counts of days that are over.

A key is a digest of all the inputs (and, for HTML, of the templates' source), so a changed
input is another key and nothing needs invalidating; an unused entry is simply pushed out.
That holds only as far as the key names every input: each caller says what its key leaves
out and why that is safe. It makes a memory per process enough: `settings.CACHES["memo"]`
(many small entries: rows, counts) and `CACHES["memo_large"]` (few large ones: a chart,
filter fields), both local memory, never Django's shared cache. No network round trip; a
typed-in search filling them can't push the log-in throttle's counters out; and nobody able
to write to Redis can plant HTML that a page then trusts.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from django.core.cache import caches
from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.template import engines
from django.urls import get_script_prefix
from django.utils.translation import get_language

T = TypeVar("T")


def key(*parts: object) -> str:
    """The key of whatever is made of `parts` (their repr must say all that matters)."""
    return "memo:" + hashlib.blake2b(repr(parts).encode(), digest_size=20).hexdigest()


@functools.lru_cache(maxsize=32)
def _digest(source: str) -> str:
    return hashlib.blake2b(source.encode(), digest_size=16).hexdigest()


def templates_version(*names: str) -> tuple[str, ...]:
    """Part of the key of HTML from these templates: with DEBUG on they reload as they are
    edited, and a changed template must not serve HTML rendered by the old one."""
    engine = engines["django"]
    return tuple(_digest(engine.get_template(name).template.source) for name in names)  # type: ignore[attr-defined]


def made_with(*templates: str) -> tuple[object, ...]:
    """Part of every key of HTML: the templates' source, and how this request prints URLs
    and words (script prefix, language)."""
    return (templates_version(*templates), get_script_prefix(), get_language())


def recall(
    name: str, compute: Callable[[], T], *, using: str = "memo", timeout: Any = DEFAULT_TIMEOUT
) -> T:
    """The value remembered under `name` (from `key()`), computed and remembered if missing;
    `timeout` (seconds) for a value that may turn wrong in a way its key can't tell."""
    return recall_many({name: compute}, using=using, timeout=timeout)[0]


def recall_current(
    name: str,
    version: object,
    compute: Callable[[], T],
    *,
    using: str = "memo",
    timeout: Any = DEFAULT_TIMEOUT,
) -> T:
    """The value remembered under `name` if it was worked out at `version` (of whatever it
    is worked out from), else computed and remembered in its place: for a value whose inputs
    can't all be named in its key, one entry per name however often the version moves."""
    memo = caches[using]
    found: tuple[object, T] | None = memo.get(name)
    if found is not None and found[0] == version:
        return found[1]
    value = compute()
    memo.set(name, (version, value), timeout=timeout)
    return value


def recall_many(
    computes: Mapping[str, Callable[[], T]], *, using: str = "memo", timeout: Any = DEFAULT_TIMEOUT
) -> list[T]:
    """The values under these names, in their order: one look-up for all, and only the
    missing ones computed. `timeout` as for `recall`; by default the cache's own."""
    memo = caches[using]
    found: dict[str, Any] = memo.get_many(list(computes))
    missing = {name: compute() for name, compute in computes.items() if name not in found}
    if missing:
        memo.set_many(missing, timeout=timeout)
    return [found[name] if name in found else missing[name] for name in computes]
