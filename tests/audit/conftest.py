from __future__ import annotations

import pytest

from tests.audit.support import append_only_lifted, reset_log


@pytest.fixture
def fresh_log() -> None:
    """An empty log as a new database has it. PostgreSQL's id sequence outlives the
    rollback of earlier tests, so tests that read it start from here."""
    with append_only_lifted():
        reset_log()
