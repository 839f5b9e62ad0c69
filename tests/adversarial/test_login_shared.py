"""`make serve` with its defaults (two gunicorn workers, no CACHE_URL): failed log-ins sent at
once, on their own connections, still lock the account at exactly the limit, and then the
right password is refused. Each worker once counted alone in its own memory."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from tests.support.gunicorn import (
    PG,
    answers,
    environment,
    log_in,
    manage,
    postgres_database,
    serve,
)

PASSWORD = "shared-throttle-Pw-5521"
LIMIT = 4
WRONG = "Please enter a correct username and password"
JUST_LOCKED = "That was the 4th failed log-in for this account, so it is locked"
LOCKED = "This account is locked after too many failed log-ins"


@contextmanager
def database(tmp_path: Path) -> Iterator[str]:
    """The same kind of database the suite runs on: PostgreSQL when DATABASE_URL says so."""
    if os.environ.get("DATABASE_URL", "").startswith("postgres") and answers(PG):
        with postgres_database("llmadmin_throttle_") as url:
            yield url
    else:
        yield f"sqlite:///{tmp_path}/db.sqlite3"


def fail_together(base: str, n: int) -> list[requests.Response]:
    """n wrong passwords at once: while one worker hashes a password, the other takes the next."""
    answers: list[requests.Response] = []
    start = threading.Barrier(n)

    def one() -> None:
        session = requests.Session()
        session.get(f"{base}/accounts/login/", timeout=30)  # the CSRF cookie, before the race
        start.wait()
        answers.append(log_in(session, base, "auditor", "wrong-password"))

    threads = [threading.Thread(target=one) for _ in range(n)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return answers


def test_two_workers_without_a_cache_share_the_accounts_failures(tmp_path: Path) -> None:
    with database(tmp_path) as url:
        env = environment(
            DATABASE_URL=url,
            STATIC_ROOT=str(tmp_path / "static"),
            LLMADMIN_DEMO_PASSWORD=PASSWORD,
            LLMADMIN_LOGIN_MAX_FAILURES_PER_USER=str(LIMIT),
            VECTARA_API_URL="http://127.0.0.1:9",  # never called here
        )
        assert "WEB_CONCURRENCY" not in env and "CACHE_URL" not in env
        with serve(env, tmp_path / "serve.log") as server:
            seeded = manage("seed_demo", env=env)
            assert seeded.returncode == 0, seeded.stderr

            alone = log_in(requests.Session(), server.url, "auditor", "wrong-password")
            first = [*fail_together(server.url, 2), alone]
            assert [WRONG in r.text for r in first] == [True] * (LIMIT - 1)

            locking = log_in(requests.Session(), server.url, "auditor", "wrong-password")
            assert JUST_LOCKED in locking.text

            # The right password, on fresh connections that both workers take, is refused.
            for _ in range(6):
                refused = log_in(requests.Session(), server.url, "auditor", PASSWORD)
                assert refused.status_code == 200, "a locked account logged in"
                assert LOCKED in refused.text

            unlocked = manage("axes_reset_username", "auditor", env=env)
            assert unlocked.returncode == 0, unlocked.stderr
            assert log_in(requests.Session(), server.url, "auditor", PASSWORD).status_code == 302

            audit = manage("audit_verify", env=env)
            assert audit.returncode == 0, audit.stdout + audit.stderr
        assert "Traceback" not in server.output()
