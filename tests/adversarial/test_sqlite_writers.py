"""Issue 14, class 8: SQLite, the default database, under concurrent writers. Two admins
changing roles at once under gunicorn once got "database is locked" (a 500, and no audit
event). Every change must land, with its event, however the two interleave."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import requests

from tests.support.gunicorn import csrf_token, environment, log_in, manage, serve

PASSWORD = "sqlite-writers-Pw-5521"
ROUNDS = 12
# Each admin flips these members between viewer and auditor; neither is ever the last admin.
MEMBERS = ("viewer", "editor", "auditor")


def _admin(server_url: str, username: str, ids: dict[str, int], answers: list[int]) -> None:
    session = requests.Session()
    answers.append(log_in(session, server_url, username, PASSWORD).status_code)
    token = csrf_token(session, f"{server_url}/teams/demo/members/")
    for round_ in range(ROUNDS):
        for name in MEMBERS:
            role = "viewer" if (round_ + len(username)) % 2 else "auditor"
            answer = session.post(
                f"{server_url}/teams/demo/members/{ids[name]}/role/",
                data={"csrfmiddlewaretoken": token, "role": role},
                allow_redirects=False,
                timeout=60,
            )
            answers.append(answer.status_code)


def test_two_admins_changing_roles_at_once_on_sqlite_all_land_with_their_events(
    tmp_path: Path,
) -> None:
    db = tmp_path / "db.sqlite3"
    env = environment(
        DATABASE_URL=f"sqlite:///{db}",
        STATIC_ROOT=str(tmp_path / "static"),
        WEB_CONCURRENCY="2",
        LLMADMIN_DEMO_PASSWORD=PASSWORD,
        # Both admins sign in from 127.0.0.1; this test is about writers, not throttling.
        LLMADMIN_LOGIN_MAX_FAILURES_PER_IP="1000",
    )
    answers: list[int] = []
    # `make serve` with its defaults: two gunicorn workers, each its own SQLite connection.
    with serve(env, tmp_path / "serve.log") as server:
        assert manage("seed_demo", env=env).returncode == 0
        with sqlite3.connect(db) as conn:
            ids = dict(
                conn.execute(
                    "SELECT u.username, m.id FROM teams_membership m JOIN auth_user u ON "
                    "u.id = m.user_id JOIN teams_team t ON t.id = m.team_id WHERE t.slug = 'demo'"
                ).fetchall()
            )
        admins = [
            threading.Thread(target=_admin, args=(server.url, name, ids, answers))
            for name in ("admin", "root")
        ]
        for thread in admins:
            thread.start()
        for thread in admins:
            thread.join()
    assert "database is locked" not in server.output()
    # Both signed in, and every change was saved and redirected back to the members page.
    assert answers == [302] * len(answers) and len(answers) == 2 * (1 + ROUNDS * len(MEMBERS))

    with sqlite3.connect(db) as conn:
        (events,) = conn.execute(
            "SELECT count(*) FROM audit_auditevent "
            "WHERE action = 'membership.role_change' AND outcome = 'success'"
        ).fetchone()
    assert events == 2 * ROUNDS * len(MEMBERS)
    verified = manage("audit_verify", env=env)
    assert verified.returncode == 0, verified.stdout + verified.stderr
