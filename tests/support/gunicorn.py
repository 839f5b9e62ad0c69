"""Real servers for the tests that need production-like serving (tests/deploy, the soak in
tests/adversarial/test_load.py): `bin/serve` (what `make serve` runs) and gunicorn, each in
its own process group so a test stops exactly what it started; a throw-away PostgreSQL
database and Redis database for them; and logging in over HTTP as a browser does."""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parents[2]
# gunicorn as bin/serve starts it.
GUNICORN = [
    str(Path(sys.executable).parent / "gunicorn"),
    "--config",
    "gunicorn.conf.py",
    "llmadmin.wsgi",
]
PG = ("127.0.0.1", 5432)
REDIS = ("127.0.0.1", 6379)
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "deploy-test-" + "Kq7Wm2Xz9Lp4Rt8Vn3Bc6Hd1Jf5Gs0Ay",
    "AUDIT_HMAC_KEY": "deploy-audit-" + "Zr5Tq8Wn2Mx7Lk4Pv9Hb3Jd6Fc1Gs0",
    # The servers are reached over plain http on the loopback interface.
    "LLMADMIN_HTTPS": "false",
    "LOG_LEVEL": "INFO",
}
# Never inherited from the test process: tests.settings' choices are not production's.
_DROPPED = {"DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "DATABASE_URL", "CACHE_URL"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def environment(**env: str) -> dict[str, str]:
    inherited = {k: v for k, v in os.environ.items() if k not in _DROPPED and k not in PRODUCTION}
    return {**inherited, **PRODUCTION, **env}


def run(
    command: list[str], *, env: dict[str, str], timeout: int = 60
) -> subprocess.CompletedProcess[str]:
    """Run one of the project's own commands from the repo root and capture its output."""
    return subprocess.run(  # noqa: S603 - the command is the test's own
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "manage.py", *args], env=env, timeout=120)


class Server:
    def __init__(self, process: subprocess.Popen[str], port: int, log: Path) -> None:
        self.process, self.port, self.log = process, port, log
        self.url = f"http://127.0.0.1:{port}"

    def output(self) -> str:
        return self.log.read_text(errors="replace")


def _stop(process: subprocess.Popen[str]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)  # gunicorn and its workers, nothing else
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=5)


def _start(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[str]:
    """`command` from the repo root in a process group of its own, its output in `log`."""
    with log.open("w") as out:
        return subprocess.Popen(  # noqa: S603 - the command is the test's own
            command,
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )


@contextmanager
def worker(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[str]]:
    """A queue worker, `manage.py run_jobs`, as README "Jobs" says to run it."""
    process = _start([sys.executable, "manage.py", "run_jobs", "--interval", "0.2"], env, log)
    try:
        yield process
    finally:
        _stop(process)


@contextmanager
def serving(command: list[str], env: dict[str, str], log: Path, port: int) -> Iterator[Server]:
    """Start `command`, wait until /healthz answers 200, and stop it afterwards."""
    process = _start(command, env, log)
    server = Server(process, port, log)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise AssertionError(
                    f"the server exited with {process.returncode}:\n{server.output()}"
                )
            try:
                if requests.get(f"{server.url}/healthz", timeout=5).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or still booting
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"the server did not come up:\n{server.output()}")
            time.sleep(0.2)
        yield server
    finally:
        _stop(process)


def serve(env: dict[str, str], log: Path) -> AbstractContextManager[Server]:
    """`bin/serve`, exactly what `make serve` runs after installing."""
    port = free_port()
    return serving([str(ROOT / "bin" / "serve")], {**env, "PORT": str(port)}, log, port)


def gunicorn(env: dict[str, str], log: Path) -> AbstractContextManager[Server]:
    port = free_port()
    return serving(GUNICORN, {**env, "PORT": str(port)}, log, port)


# --- the shared services -------------------------------------------------------------------


def answers(address: tuple[str, int]) -> bool:
    """Whether something accepts connections at `address` (PG, REDIS)."""
    try:
        with socket.create_connection(address, timeout=1):
            return True
    except OSError:
        return False


@contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """A new, empty PostgreSQL database named `prefix` + random hex on PG, as a
    DATABASE_URL; dropped afterwards even if servers are still connected."""
    import psycopg

    name = f"{prefix}{secrets.token_hex(4)}"
    admin = f"postgresql://postgres@{PG[0]}:{PG[1]}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgres://postgres@{PG[0]}:{PG[1]}/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def redis_database(number: int) -> Iterator[str]:
    """Redis database `number` on REDIS, emptied before and after, as a CACHE_URL."""
    import redis

    client = redis.Redis(host=REDIS[0], port=REDIS[1], db=number)
    client.flushdb()
    try:
        yield f"redis://{REDIS[0]}:{REDIS[1]}/{number}"
    finally:
        client.flushdb()
        client.close()


# --- a person at a browser -----------------------------------------------------------------


def csrf_token(session: requests.Session, url: str) -> str:
    """The CSRF token of the form on the page at `url` (and the cookie that goes with it)."""
    page = session.get(url, timeout=10)
    assert page.status_code == 200, page.text[:500]
    found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert found, f"no CSRF token on {url}"
    return found.group(1)


def log_in(session: requests.Session, base: str, username: str, password: str) -> requests.Response:
    """Log in through /accounts/login/ as a browser does; 302 means it worked."""
    token = csrf_token(session, f"{base}/accounts/login/")
    return session.post(
        f"{base}/accounts/login/",
        data={"csrfmiddlewaretoken": token, "username": username, "password": password},
        allow_redirects=False,
        timeout=10,
    )
