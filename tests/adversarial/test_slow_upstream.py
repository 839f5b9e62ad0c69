"""Issue 16: a slow Vectara stalls only the people waiting for it. `make serve` with its
defaults, then with ONE worker process, so that only its threads can keep pages coming while
creates hang on an upstream that never answers until the test lets it go. And the caps on
calls in flight: per person, then per process, each refused with its sentence before
anything is sent."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import requests

from llmadmin.core.in_flight import PERSON_FULL, PROCESS_FULL
from tests.support.fault_server import Fault, FaultServer, fault_server
from tests.support.gunicorn import csrf_token, environment, log_in, manage, serve

PASSWORD = "slow-upstream-Pw-5521"


def create_form(token: str, name: str) -> dict[str, str]:
    return {
        "csrfmiddlewaretoken": token,
        "type": "openai-compatible",
        "name": name,
        "model": "gpt-4o",
        "uri": "http://127.0.0.1:9/v1/chat/completions",
        "auth_type": "bearer",
        "token": "sk-slow-upstream-0123456789",
    }


class Person:
    def __init__(self, base: str, username: str) -> None:
        self.base, self.session = base, requests.Session()
        assert log_in(self.session, base, username, PASSWORD).status_code == 302

    def create(self, name: str) -> requests.Response:
        token = csrf_token(self.session, f"{self.base}/llms/new/")
        return self.session.post(
            f"{self.base}/llms/new/", data=create_form(token, name), timeout=120
        )


@contextmanager
def waiting(person: Person, name: str) -> Iterator[threading.Thread]:
    """A create sent in the background, waiting on the upstream until it is released."""

    def create() -> None:
        with contextlib.suppress(requests.RequestException):
            person.create(name)

    thread = threading.Thread(target=create, daemon=True)
    thread.start()
    yield thread


def creates(server: FaultServer) -> int:
    """Creates that reached the upstream (the health check also lists LLMs there)."""
    return len(server.requests("POST"))


def until_creates(server: FaultServer, n: int) -> None:
    """Wait until n creates have reached the upstream (a wait, not a measurement)."""
    deadline = time.monotonic() + 30
    while creates(server) < n:
        assert time.monotonic() < deadline, f"only {creates(server)} of {n} creates arrived"
        time.sleep(0.05)


@contextmanager
def served(tmp_path: Path, upstream: str, **env: str) -> Iterator[str]:
    settings = environment(
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        STATIC_ROOT=str(tmp_path / "static"),
        LLMADMIN_DEMO_PASSWORD=PASSWORD,
        VECTARA_API_URL=upstream,
        VECTARA_API_KEY="slow-upstream-key",
        LLMADMIN_URI_ALLOW_HTTP="true",
        LLMADMIN_URI_ALLOWED_HOSTS="127.0.0.1",
        LLMADMIN_SYNC_EVERY_MINUTES="0",
        **env,
    )
    with serve(settings, tmp_path / "serve.log") as server:
        assert manage("seed_demo", env=settings).returncode == 0
        yield server.url


@contextmanager
def slow_vectara_behind(tmp_path: Path, **env: str) -> Iterator[tuple[FaultServer, str]]:
    """`make serve` in front of an upstream that answers nothing until the test is done;
    released before the server stops, so no request is still held when it does."""
    release = threading.Event()
    held = Fault.held(Fault.close_without_response(), release, threading.Event())
    with (
        fault_server(held) as vectara,
        served(tmp_path, vectara.base_url, **env) as base,
    ):
        try:
            yield vectara, base
        finally:
            release.set()


def test_pages_keep_coming_while_creates_wait_on_vectara(tmp_path: Path) -> None:
    with slow_vectara_behind(tmp_path, WEB_CONCURRENCY="1") as (vectara, base):
        editor, admin = Person(base, "editor"), Person(base, "admin")
        viewer = Person(base, "viewer")
        with waiting(editor, "slow-one") as one, waiting(admin, "slow-two") as two:
            until_creates(vectara, 2)
            # Both creates hold a socket open to Vectara in the only worker process...
            page = viewer.session.get(f"{base}/llms/", timeout=30)
            # ...and the viewer's list came anyway, while both still wait.
            assert page.status_code == 200 and "LLMs" in page.text
            assert one.is_alive() and two.is_alive()
            assert creates(vectara) == 2


def test_calls_in_flight_are_capped_per_person_and_per_process(tmp_path: Path) -> None:
    limits = {
        "WEB_CONCURRENCY": "1",
        "LLMADMIN_OUTBOUND_PER_PERSON": "1",
        "LLMADMIN_OUTBOUND_PER_PROCESS": "2",
        "LLMADMIN_OUTBOUND_WAIT_SECONDS": "1",  # the fourth waits this long, then is refused
    }
    with slow_vectara_behind(tmp_path, **limits) as (vectara, base):
        editor, admin, root = Person(base, "editor"), Person(base, "admin"), Person(base, "root")
        with waiting(editor, "first"):
            until_creates(vectara, 1)
            # The same person again: refused at once, with the sentence, nothing sent.
            again = editor.create("second")
            assert again.status_code == 200
            assert PERSON_FULL.format(limit=1).split(",")[0] in again.text
            assert creates(vectara) == 1
            with waiting(admin, "third"):
                until_creates(vectara, 2)
                # Someone else, once the process holds its two: refused too.
                third = root.create("fourth")
                assert PROCESS_FULL.split(",")[0] in third.text
                assert creates(vectara) == 2
