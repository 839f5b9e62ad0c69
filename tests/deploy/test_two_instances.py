"""Two gunicorn instances, one PostgreSQL database, one Redis: what one instance knows, the
other knows too. Log-ins, log-in throttling, name uniqueness and the audit chain."""

from __future__ import annotations

import threading
from pathlib import Path

import psycopg
import requests

from emulator import running_emulator
from tests.support.gunicorn import csrf_token, environment, gunicorn, log_in, manage, serve

PASSWORD = "two-instances-Pw-8842"
API_KEY = "two-instances-emulator-key"
MAX_FAILURES = 3


def test_two_instances_share_sessions_throttling_names_and_the_audit_chain(
    shared_postgres: str, shared_redis: str, tmp_path: Path
) -> None:
    with running_emulator(api_key=API_KEY) as emulator:
        env = environment(
            DATABASE_URL=shared_postgres,
            CACHE_URL=shared_redis,
            VECTARA_API_URL=emulator.base_url,
            VECTARA_API_KEY=API_KEY,
            STATIC_ROOT=str(tmp_path / "static"),
            WEB_CONCURRENCY="1",
            LLMADMIN_DEMO_PASSWORD=PASSWORD,
            LLMADMIN_LOGIN_MAX_FAILURES_PER_USER=str(MAX_FAILURES),
        )
        # Instance a is `make serve` (migrates, collects); b is gunicorn on what a prepared.
        with serve(env, tmp_path / "a.log") as a:
            seeded = manage("seed_demo", env=env)
            assert seeded.returncode == 0, seeded.stderr
            with gunicorn(env, tmp_path / "b.log") as b:
                _sessions_are_shared(a.url, b.url)
                _failures_count_across_instances(a.url, b.url)
                _one_name_one_llm(a.url, b.url, shared_postgres, emulator)
        verified = manage("audit_verify", env=env)
        assert verified.returncode == 0, verified.stdout + verified.stderr
    for server in (a, b):
        assert "Traceback" not in server.output()


def _sessions_are_shared(a: str, b: str) -> None:
    session = requests.Session()
    assert log_in(session, a, "viewer", PASSWORD).status_code == 302
    # The session cookie set by a is honoured by b: no second log-in.
    on_b = session.get(f"{b}/llms/", allow_redirects=False, timeout=10)
    assert on_b.status_code == 200, on_b.headers.get("Location")
    # Logging out on b ends the session on a too.
    token = csrf_token(session, f"{b}/llms/")
    session.post(f"{b}/accounts/logout/", data={"csrfmiddlewaretoken": token}, timeout=10)
    assert session.get(f"{a}/llms/", allow_redirects=False, timeout=10).status_code == 302


def _failures_count_across_instances(a: str, b: str) -> None:
    # Failures alternate between the instances; only a shared count reaches the limit.
    for i in range(MAX_FAILURES):
        base = (a, b)[i % 2]
        failed = log_in(requests.Session(), base, "auditor", "wrong-password")
        assert failed.status_code == 200
    for base in (a, b):
        refused = log_in(requests.Session(), base, "auditor", PASSWORD)
        assert refused.status_code == 200, "a locked account logged in"
        assert "locked" in refused.text


def _one_name_one_llm(a: str, b: str, database: str, emulator: object) -> None:
    clients = []
    for base in (a, b):
        session = requests.Session()
        assert log_in(session, base, "editor", PASSWORD).status_code == 302
        clients.append((base, session, csrf_token(session, f"{base}/llms/new/")))
    answers: dict[str, requests.Response] = {}
    start = threading.Barrier(len(clients))

    def create(base: str, session: requests.Session, token: str) -> None:
        start.wait()
        answers[base] = session.post(
            f"{base}/llms/new/",
            data={
                "csrfmiddlewaretoken": token,
                "type": "openai-compatible",
                "name": "shared-name",
                "model": "gpt-4o",
                "max_tokens": "8",
                "uri": "https://api.openai.com/v1/chat/completions",
                "auth_type": "bearer",
                "token": "sk-two-instances-0000",
            },
            allow_redirects=False,
            timeout=30,
        )

    threads = [threading.Thread(target=create, args=client) for client in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=40)
    statuses = sorted(answer.status_code for answer in answers.values())
    assert statuses == [200, 302], statuses  # one created, one told the name is taken
    refused = next(answer for answer in answers.values() if answer.status_code == 200)
    assert "already" in refused.text
    with psycopg.connect(database.replace("postgres://", "postgresql://")) as conn:
        count = conn.execute(
            "SELECT count(*) FROM llms_llmdefinition WHERE name = %s", ["shared-name"]
        ).fetchone()[0]
    assert count == 1
    upstream = [llm for llm in emulator.store.all() if llm["name"] == "shared-name"]  # type: ignore[attr-defined]
    assert len(upstream) == 1
