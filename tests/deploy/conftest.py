from __future__ import annotations

import secrets
import socket
from collections.abc import Iterator

import pytest

PG = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)
REDIS_DB = 14  # this suite's own Redis database, emptied before and after
_skipped: list[str] = []


def _answers(address: tuple[str, int]) -> bool:
    try:
        with socket.create_connection(address, timeout=1):
            return True
    except OSError:
        return False


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
    if not _answers(PG):
        _skip("no PostgreSQL on 127.0.0.1:5432; scale-out across instances was NOT tested")
    import psycopg

    name = f"llmadmin_h7_{secrets.token_hex(4)}"
    admin = "postgresql://postgres@127.0.0.1:5432/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def shared_redis() -> Iterator[str]:
    if not _answers(REDIS):
        _skip("no Redis on 127.0.0.1:6379; scale-out across instances was NOT tested")
    import redis

    client = redis.Redis(host=REDIS[0], port=REDIS[1], db=REDIS_DB)
    client.flushdb()
    try:
        yield f"redis://{REDIS[0]}:{REDIS[1]}/{REDIS_DB}"
    finally:
        client.flushdb()
        client.close()
