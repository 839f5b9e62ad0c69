"""Issue 8, part 5: load with nothing lost. `make soak` runs it; `make test` leaves it out.

`make serve` (bin/serve: migrate, collectstatic, gunicorn) on 127.0.0.1 with a PostgreSQL
database of its own, Redis as the shared cache and the Vectara emulator (in this process, so
its state can be read afterwards). SOAK_USERS people (default 50), each a thread with its own
requests.Session that logs in through /accounts/login/ as the demo `editor` or `admin`, loop
for SOAK_SECONDS (default 60): open the list, register a uniquely named LLM, open its edit
form and change the description, disable it, and (admins, every other one) delete it. Half
way through, SOAK_CONTENDERS of them (default 20) register the same name at the same moment.

Every request is recorded with its status, time and X-Request-ID. Afterwards: no 5xx and no
request left unanswered; exactly one LLM has the contested name; every attempt left exactly
one audit event (matched by request id) with the outcome the person was shown, and nothing
else was audited; `manage.py audit_verify` passes; and the local records equal both the
emulator's LLMs and what the people were told, field by field. A one-paragraph summary
(requests, rps, p50/p95 latency, errors) is printed.

A pytest module rather than a script: it reuses the deployment helpers (tests/support/
gunicorn.py) and the emulator, fails like any test, and is one marker away from `make test`.
"""

from __future__ import annotations

import os
import re
import statistics
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests

from emulator import running_emulator
from tests.support.gunicorn import (
    PG,
    REDIS,
    answers,
    csrf_token,
    environment,
    manage,
    postgres_database,
    redis_database,
    serve,
)

pytestmark = pytest.mark.soak

SECONDS = float(os.environ.get("SOAK_SECONDS") or 60)
USERS = max(2, int(os.environ.get("SOAK_USERS") or 50))
CONTENDERS = max(2, min(int(os.environ.get("SOAK_CONTENDERS") or 20), USERS))
WORKERS = os.environ.get("SOAK_WORKERS") or "4"  # gunicorn workers: about twice the cores
REDIS_DB = 13  # this module's own Redis database, emptied before and after
PASSWORD = "soak-Demo-Pw-5521"
API_KEY = "soak-emulator-key"
CONTESTED = "soak-contested-name"
# An IP literal: no DNS lookup in the create path, so the soak measures the dashboard.
URI = "https://8.8.8.8/v1/chat/completions"
TIMEOUT = 60  # seconds per request; gunicorn's own limit is 60 too

# What each recorded step must answer; the contested create is judged on its own.
EXPECTED_STATUS = {
    "login": 302,
    "list": 200,
    "create": 302,
    "edit-form": 200,
    "edit": 302,
    "disable": 302,
    "delete": 302,
}
# The audit event each POST must leave, and with which outcome when all goes well.
AUDITED = {
    "login": ("auth.login", "success"),
    "create": ("llm.create", "success"),
    "edit": ("llm.edit", "success"),
    "disable": ("llm.disable", "success"),
    "delete": ("llm.delete", "success"),
}


@dataclass(frozen=True)
class Attempt:
    user: int
    step: str
    status: int | None  # None: no answer at all
    seconds: float
    request_id: str
    error: str = ""


@dataclass
class Person:
    """One person at a browser: a thread, a session, and what they were told."""

    index: int
    base: str
    username: str
    log: list[Attempt]
    session: requests.Session = field(default_factory=requests.Session)
    token: str = ""
    # name -> what the person last saw saved: {"description": …, "enabled": …}
    alive: dict[str, dict[str, Any]] = field(default_factory=dict)
    contested: requests.Response | None = None
    joined_contest: bool = False

    @property
    def may_delete(self) -> bool:
        return self.username == "admin"

    def call(self, step: str, method: str, path: str, **kwargs: Any) -> requests.Response | None:
        started = time.perf_counter()
        try:
            response = self.session.request(
                method, self.base + path, allow_redirects=False, timeout=TIMEOUT, **kwargs
            )
        except requests.RequestException as exc:
            elapsed = time.perf_counter() - started
            self.log.append(Attempt(self.index, step, None, elapsed, "", type(exc).__name__))
            return None
        elapsed = time.perf_counter() - started
        request_id = response.headers.get("X-Request-ID", "")
        self.log.append(Attempt(self.index, step, response.status_code, elapsed, request_id))
        return response

    def post(self, step: str, path: str, data: dict[str, str]) -> requests.Response | None:
        return self.call(step, "POST", path, data={"csrfmiddlewaretoken": self.token, **data})

    def log_in(self) -> None:
        token = csrf_token(self.session, f"{self.base}/accounts/login/")
        form = {"csrfmiddlewaretoken": token, "username": self.username, "password": PASSWORD}
        self.call("login", "POST", "/accounts/login/", data=form)
        # The log-in rotates the CSRF secret: take the token of a form from now on.
        self.token = csrf_token(self.session, f"{self.base}/llms/new/")

    def create(self, step: str, name: str) -> requests.Response | None:
        return self.post(
            step,
            "/llms/new/",
            {
                "type": "openai-compatible",
                "name": name,
                "description": f"created by person {self.index}",
                "model": "gpt-4o",
                "uri": URI,
                "auth_type": "bearer",
                "token": f"sk-soak-{self.index:03d}-0123456789",
            },
        )

    def one_round(self, round_number: int, deadline: float) -> None:
        self.call("list", "GET", "/llms/")
        name = f"soak-{self.index:03d}-{round_number:05d}"
        created = self.create("create", name)
        if created is None or created.status_code != 302:
            return
        pk = re.search(r"/llms/(\d+)/$", created.headers["Location"]).group(1)  # type: ignore[union-attr]
        self.alive[name] = {"description": f"created by person {self.index}", "enabled": True}
        if time.monotonic() > deadline:
            return
        form = self.call("edit-form", "GET", f"/llms/{pk}/edit/")
        version = re.search(r'name="version" value="(\d+)"', form.text if form else "")
        if version is None:
            return
        description = f"edited by person {self.index} in round {round_number}"
        edited = self.post(
            "edit",
            f"/llms/{pk}/edit/",
            {
                "type": "openai-compatible",
                "description": description,
                "model": "gpt-4o",
                "uri": URI,
                "auth_type": "bearer",
                "version": version.group(1),
            },
        )
        if edited is not None and edited.status_code == 302:
            self.alive[name]["description"] = description
        disabled = self.post("disable", f"/llms/{pk}/enabled/", {"enabled": "0", "confirm": "1"})
        if disabled is not None and disabled.status_code == 302:
            self.alive[name]["enabled"] = False  # checked against the audit outcome below
        if self.may_delete and round_number % 2 == 0:
            deleted = self.post("delete", f"/llms/{pk}/delete/", {})
            if deleted is not None and deleted.status_code == 302:
                del self.alive[name]


class Contest:
    """SOAK_CONTENDERS people register one name at the same moment, half way through."""

    def __init__(self, size: int, at: float) -> None:
        self.size, self.at = size, at
        self.barrier = threading.Barrier(size)

    def maybe_join(self, person: Person, *, now: bool = False) -> None:
        if person.index >= self.size or person.joined_contest:
            return
        if not now and time.monotonic() < self.at:
            return
        person.joined_contest = True
        try:
            self.barrier.wait(timeout=TIMEOUT * 2)
        except threading.BrokenBarrierError:
            person.log.append(Attempt(person.index, "contested", None, 0.0, "", "barrier broke"))
            return
        person.contested = person.create("contested", CONTESTED)
        if person.contested is not None and person.contested.status_code == 302:
            person.alive[CONTESTED] = {
                "description": f"created by person {person.index}",
                "enabled": True,
            }


def _work(person: Person, start: threading.Barrier, deadline_box: list[float], contest: Contest):
    start.wait()
    deadline = deadline_box[0]
    round_number = 0
    while time.monotonic() < deadline:
        contest.maybe_join(person)
        person.one_round(round_number, deadline)
        round_number += 1
    contest.maybe_join(person, now=True)  # however the rounds fell, the contest happens


@pytest.fixture
def database() -> Iterator[str]:
    if not answers(PG):
        message = "no PostgreSQL on 127.0.0.1:5432: the soak (load with nothing lost) was SKIPPED"
        print(f"\n!!! {message} !!!")
        pytest.skip(message)
    with postgres_database("llmadmin_h8b_soak_") as url:
        yield url


@pytest.fixture
def cache_url() -> Iterator[str | None]:
    if not answers(REDIS):
        yield None  # each worker then throttles log-ins on its own; the soak still holds
        return
    with redis_database(REDIS_DB) as url:
        yield url


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def test_load_with_nothing_lost(
    database: str, cache_url: str | None, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with running_emulator(api_key=API_KEY) as emulator:
        env = environment(
            DATABASE_URL=database,
            VECTARA_API_URL=emulator.base_url,
            VECTARA_API_KEY=API_KEY,
            STATIC_ROOT=str(tmp_path / "static"),
            WEB_CONCURRENCY=WORKERS,
            LLMADMIN_DEMO_PASSWORD=PASSWORD,
            # Half the people sign in as `editor`, half as `admin`: to the per-person cap on
            # calls to Vectara they are two people, each with many requests at once.
            LLMADMIN_OUTBOUND_PER_PERSON=str(USERS),
            **({"CACHE_URL": cache_url} if cache_url else {}),
        )
        with serve(env, tmp_path / "serve.log") as server:
            seeded = manage("seed_demo", env=env)
            assert seeded.returncode == 0, seeded.stderr

            log: list[Attempt] = []
            people = [Person(i, server.url, ("editor", "admin")[i % 2], log) for i in range(USERS)]
            _run_logins(people)
            contest = Contest(CONTENDERS, at=0.0)
            start = threading.Barrier(USERS + 1)
            deadline_box = [0.0]
            threads = [
                threading.Thread(target=_work, args=(p, start, deadline_box, contest), daemon=True)
                for p in people
            ]
            for thread in threads:
                thread.start()
            began = time.monotonic()
            deadline_box[0] = began + SECONDS
            contest.at = began + SECONDS / 2
            start.wait()
            for thread in threads:
                thread.join(timeout=SECONDS + TIMEOUT * 3)
            elapsed = time.monotonic() - began
            assert not any(t.is_alive() for t in threads), "a person never finished"
            server_log = server.output()

        verified = manage("audit_verify", env=env)
        upstream = {llm["id"]: llm for llm in emulator.store.all()}

    summary = _summary(log, elapsed)
    with capsys.disabled():
        print(f"\n{summary}")

    # No 5xx, nothing unanswered, every step answered as it should be.
    unanswered = [a for a in log if a.status is None]
    server_errors = [a for a in log if a.status is not None and a.status >= 500]
    assert not server_errors, f"{len(server_errors)} answers were 5xx: {server_errors[:5]}"
    assert not unanswered, f"{len(unanswered)} requests got no answer: {unanswered[:5]}"
    wrong = [a for a in log if a.step in EXPECTED_STATUS and a.status != EXPECTED_STATUS[a.step]]
    assert not wrong, f"{len(wrong)} unexpected answers: {wrong[:5]}"
    assert "Traceback" not in server_log

    # One name, one LLM: exactly one contender won, the others were told the name is taken.
    contenders = [p.contested for p in people[:CONTENDERS]]
    assert all(c is not None for c in contenders)
    won = [c for c in contenders if c.status_code == 302]  # type: ignore[union-attr]
    lost = [c for c in contenders if c.status_code == 200]  # type: ignore[union-attr]
    assert (len(won), len(lost)) == (1, CONTENDERS - 1)
    assert all("already exists" in c.text for c in lost)  # type: ignore[union-attr]

    local = _local_records(database)
    assert [r["name"] for r in local.values()].count(CONTESTED) == 1
    assert [r["name"] for r in upstream.values()].count(CONTESTED) == 1

    # One audit event per attempt, found by its request id, and nothing else audited.
    events = _audit_events(database)
    by_request: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for request_id, action, outcome in events:
        by_request[request_id].append((action, outcome))
    audited_attempts = 0
    for attempt in log:
        if attempt.step == "contested":
            expected = [("llm.create", "success" if attempt.status == 302 else "failure")]
        elif attempt.step in AUDITED:
            expected = [AUDITED[attempt.step]]
        else:
            expected = []  # reads are not audited
        assert by_request.get(attempt.request_id, []) == expected, attempt
        audited_attempts += len(expected)
    assert len(events) == audited_attempts, "events without an attempt behind them"
    assert verified.returncode == 0, verified.stdout + verified.stderr

    # Nothing lost: the dashboard, the emulator and what people were told all agree.
    assert {r["vectara_id"]: r for r in local.values()} == {
        vectara_id: {
            "vectara_id": vectara_id,
            "name": llm["name"],
            "description": llm["description"],
            "enabled": llm["enabled"],
            "upstream_state": "present",
        }
        for vectara_id, llm in upstream.items()
    }
    told = {name: seen for p in people for name, seen in p.alive.items()}
    assert {
        r["name"]: {"description": r["description"], "enabled": r["enabled"]}
        for r in local.values()
    } == told


def _run_logins(people: list[Person]) -> None:
    """Everyone logs in before the clock starts (a few at a time: hashing is the slow part)."""
    lock = threading.Lock()
    queue = list(people)

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                person = queue.pop()
            person.log_in()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=TIMEOUT * 5)
    failed = [a for a in people[0].log if a.step == "login" and a.status != 302]  # one shared log
    assert not failed, f"log-ins failed: {failed[:5]}"


def _local_records(database: str) -> dict[int, dict[str, Any]]:
    with psycopg.connect(database.replace("postgres://", "postgresql://")) as conn:
        rows = conn.execute(
            "SELECT id, vectara_id, name, description, enabled, upstream_state "
            "FROM llms_llmdefinition WHERE ownership = 'customer'"
        ).fetchall()
    return {
        pk: {
            "vectara_id": vectara_id,
            "name": name,
            "description": description,
            "enabled": enabled,
            "upstream_state": state,
        }
        for pk, vectara_id, name, description, enabled, state in rows
    }


def _audit_events(database: str) -> list[tuple[str, str, str]]:
    with psycopg.connect(database.replace("postgres://", "postgresql://")) as conn:
        return conn.execute("SELECT request_id, action, outcome FROM audit_auditevent").fetchall()


def _summary(log: list[Attempt], elapsed: float) -> str:
    answered = [a for a in log if a.status is not None]
    seconds = [a.seconds for a in answered] or [0.0]
    steps = Counter(a.step for a in log)
    errors = sum(1 for a in log if a.status is None or a.status >= 500)
    p50, p95 = statistics.median(seconds), _percentile(seconds, 0.95)
    during = [a for a in log if a.step != "login"]
    return (
        f"Soak: {USERS} people, {len(during)} requests in {elapsed:.1f} s "
        f"({len(during) / elapsed:.1f} requests/s) after {steps['login']} log-ins; latency "
        f"p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, max {max(seconds) * 1000:.0f} ms; "
        f"{errors} errors (5xx or no answer); "
        + ", ".join(f"{step} {count}" for step, count in sorted(steps.items()))
        + "."
    )
