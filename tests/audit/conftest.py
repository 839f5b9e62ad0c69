from __future__ import annotations

import pytest

from llmadmin.audit import selectors, views


@pytest.fixture(autouse=True)
def _audit_memory_emptied() -> None:
    """What the audit pages remember in the process (settled counts, rendered fragments) is
    keyed so that it holds for any database, but a test's database reuses ids with other
    content; start each test as a new process would."""
    selectors._settled_counts.clear()
    views._fragments.clear()
