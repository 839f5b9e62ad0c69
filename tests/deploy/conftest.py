from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.support.gunicorn import PG, REDIS, answers, postgres_database, redis_database

REDIS_DB = 14  # this suite's own Redis database, emptied before and after
_skipped: list[str] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    for reason in _skipped:
        terminalreporter.write_line(
            f"!!! DEPLOYMENT TEST SKIPPED: {reason} !!!", red=True, bold=True
        )


def _skip(reason: str) -> None:
    _skipped.append(reason)
    pytest.skip(reason)


@pytest.fixture
def shared_postgres() -> Iterator[str]:
    """A throw-away PostgreSQL database for servers started by the test, dropped afterwards."""
    if not answers(PG):
        _skip("no PostgreSQL on 127.0.0.1:5432; scale-out across instances was NOT tested")
    with postgres_database("llmadmin_h7_") as url:
        yield url


@pytest.fixture
def shared_redis() -> Iterator[str]:
    if not answers(REDIS):
        _skip("no Redis on 127.0.0.1:6379; scale-out across instances was NOT tested")
    with redis_database(REDIS_DB) as url:
        yield url
