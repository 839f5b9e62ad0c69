"""What every figure shares: the throw-away databases, the emulator and gunicorn, logging in
over HTTP, timing (round trips and gunicorn's server times), medians, one row of the table.

Nothing here is imported by the app or the tests; `make bench` runs `python -m bench.run`.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

ROOT = Path(__file__).resolve().parents[1]
VAR = ROOT / "var" / "bench"
PYTHON = sys.executable
PASSWORD = "bench-demo-password-0123456789"  # noqa: S105 - a throw-away database's demo users
API_KEY = "zqt_bench_emulator_key_0123456789"
PG_SERVER = os.environ.get("BENCH_PG_URL", "postgres://postgres@127.0.0.1:5432")

# What production would run with (README "Deployment"), on plain http on the loopback.
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": "bench-secret-" + "Wq4Tz8Lm2Xr7Kp9Vb3Nc6Hd1Jf5Gs0Ay",
    "AUDIT_HMAC_KEY": "bench-audit-" + "Zr5Tq8Wn2Mx7Lk4Pv9Hb3Jd6Fc1Gs0Q",
    "LLMADMIN_HTTPS": "false",
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "LLMADMIN_DEMO_PASSWORD": PASSWORD,
    "LOG_LEVEL": "INFO",
    "WEB_CONCURRENCY": "2",
}


# BENCH_QUICK=1: small sizes and few runs, to try the harness in a minute or two; such a run
# never writes bench/README.md.
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")


def env_int(name: str, default: int, quick: int | None = None) -> int:
    """The knob `name` if set, else `quick` in a quick run, else `default`."""
    fallback = quick if QUICK and quick is not None else default
    return int(os.environ.get(name) or fallback)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- databases -----------------------------------------------------------------------------


def postgres_reachable() -> bool:
    try:
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", connect_timeout=2):
            return True
    except Exception:
        return False


def choose_backend() -> str:
    """BENCH_DB=postgresql|sqlite, else PostgreSQL when one answers (the realistic deployment)."""
    wanted = os.environ.get("BENCH_DB", "").lower()
    if wanted in ("postgresql", "postgres", "pg"):
        return "postgresql"
    if wanted == "sqlite":
        return "sqlite"
    return "postgresql" if postgres_reachable() else "sqlite"


def fresh_database(backend: str, name: str) -> str:
    """A new, empty database named `name`; its DATABASE_URL."""
    if backend == "postgresql":
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"{PG_SERVER}/{name}"
    VAR.mkdir(parents=True, exist_ok=True)
    path = VAR / f"{name}.sqlite3"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{path}"


def drop_database(backend: str, name: str) -> None:
    if backend == "postgresql":
        import psycopg

        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{VAR / name}.sqlite3{suffix}").unlink(missing_ok=True)


def environment(database_url: str, **extra: str) -> dict[str, str]:
    dropped = {"DJANGO_SETTINGS_MODULE", "DATABASE_URL", "CACHE_URL", "VECTARA_API_URL"}
    dropped.add("BENCH_SYNC_DATABASE_URL")  # the benchmark's own process reads figure 8's runs
    inherited = {k: v for k, v in os.environ.items() if k not in dropped}
    return {
        **inherited,
        **PRODUCTION,
        "DATABASE_URL": database_url,
        "STATIC_ROOT": str(VAR / "static"),
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        **extra,
    }


def manage(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(  # noqa: S603 - our own command
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout.strip()


# --- processes -----------------------------------------------------------------------------


@dataclass
class Process:
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)  # its own group: only what we started
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


def _start(command: list[str], env: dict[str, str], log: Path, url: str, probe: str) -> Process:
    VAR.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own command
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    started = Process(process, url, log)
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{command[0]} exited:\n{log.read_text(errors='replace')[-3000:]}")
        try:
            requests.get(url + probe, timeout=2)
            return started
        except requests.RequestException:
            if time.monotonic() > deadline:
                started.stop()
                raise RuntimeError(f"{command[0]} did not come up; see {log}") from None
            time.sleep(0.2)


@contextmanager
def emulator(
    env: dict[str, str],
    name: str = "emulator",
    *,
    create_delay: float = 0.0,
    llms: list[dict[str, Any]] | None = None,
) -> Iterator[Process]:
    """The project's Vectara emulator, its store holding `llms` (stored records, ids and all)
    or nothing; each create waits `create_delay` seconds before it is answered."""
    port = free_port()
    store = VAR / f"{name}.json"
    store.unlink(missing_ok=True)
    if llms:
        VAR.mkdir(parents=True, exist_ok=True)
        # The store's own file format (emulator/store.py): one write instead of one per LLM.
        next_id = 1 + max(int(llm["id"].removeprefix("llm_")) for llm in llms)
        store.write_text(json.dumps({"next_id": next_id, "llms": llms}))
    command = [PYTHON, "manage.py", "vectara_emulator", "--port", str(port)]
    command += ["--api-key", API_KEY, "--store", str(store), "--create-delay", str(create_delay)]
    process = _start(command, env, VAR / f"{name}.log", f"http://127.0.0.1:{port}", "/v2/llms")
    try:
        yield process
    finally:
        process.stop()


# gunicorn's access log, bench-only: each answer's request id (the app sets X-Request-ID on
# every answer) and the microseconds gunicorn took to serve it, from the parsed request to the
# last byte written (%(D)s). That is "server time" without the client's share of a round trip.
ACCESS_FORMAT = "%({x-request-id}o)s %(D)s"


def access_log(name: str) -> Path:
    return VAR / f"access-{name}.log"


@contextmanager
def gunicorn(env: dict[str, str], name: str) -> Iterator[Process]:
    """gunicorn exactly as bin/serve starts it (gunicorn.conf.py, 2 workers, app preloaded),
    with bench.settings, plus a bench-only access log of server times (access_log(name))."""
    port = free_port()
    log = access_log(name)
    log.unlink(missing_ok=True)
    command = [str(Path(PYTHON).parent / "gunicorn"), "--config", "gunicorn.conf.py"]
    command += ["--access-logfile", str(log), "--access-logformat", ACCESS_FORMAT]
    command.append("llmadmin.wsgi")
    process = _start(
        command,
        {**env, "PORT": str(port)},
        VAR / f"gunicorn-{name}.log",
        f"http://127.0.0.1:{port}",
        "/healthz",
    )
    try:
        yield process
    finally:
        process.stop()


@contextmanager
def worker(env: dict[str, str], name: str = "worker") -> Iterator[Process]:
    """A queue worker as `make worker` starts it (`manage.py run_jobs`), until the block ends."""
    VAR.mkdir(parents=True, exist_ok=True)
    log = VAR / f"{name}.log"
    with log.open("wb") as out:
        process = subprocess.Popen(  # noqa: S603 - our own command
            [PYTHON, "manage.py", "run_jobs"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started = Process(process, "", log)
    try:
        yield started
    finally:
        started.stop()


def login(base_url: str, username: str) -> requests.Session:
    """Log in through the real form, CSRF token and all; the session keeps the cookies."""
    session = requests.Session()
    page = session.get(f"{base_url}/accounts/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert token, "no CSRF token on the login page"
    answer = session.post(
        f"{base_url}/accounts/login/",
        data={"csrfmiddlewaretoken": token[1], "username": username, "password": PASSWORD},
        allow_redirects=False,
        timeout=30,
    )
    assert answer.status_code == 302, f"log-in as {username} failed ({answer.status_code})"
    return session


def csrf_token(session: requests.Session, url: str) -> str:
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', session.get(url).text)
    assert token, f"no CSRF token on {url}"
    return token[1]


# --- timing and statistics ------------------------------------------------------------------


def get_ok(session: requests.Session, url: str) -> Callable[[], requests.Response]:
    def call() -> requests.Response:
        answer = session.get(url, allow_redirects=False, timeout=120)
        if answer.status_code != 200:
            raise RuntimeError(f"GET {url} answered {answer.status_code}")
        return answer

    return call


def interleaved(
    calls: Mapping[str, Callable[[], Any]], runs: int, warmup: int = 2
) -> tuple[Samples, dict[str, list[Any]]]:
    """Round trips of each call `runs` times, taking turns, so a noisy neighbour hits all of
    them alike; and what each call returned, in the same order."""
    for _ in range(warmup):
        for call in calls.values():
            call()
    samples: Samples = {name: [] for name in calls}
    answers: dict[str, list[Any]] = {name: [] for name in calls}
    for _ in range(runs):
        for name, call in calls.items():
            started = time.perf_counter()
            answer = call()
            samples[name].append(time.perf_counter() - started)
            answers[name].append(answer)
    return samples, answers


def server_times(answers: Mapping[str, list[requests.Response]], wait: float = 10.0) -> Samples:
    """Seconds gunicorn took to serve each of these answers, from the access logs of every
    server started here, matched by the X-Request-ID each answer carries. A worker logs a
    request just after its last byte is sent, so the newest lines may lag a moment."""
    wanted = {a.headers["X-Request-ID"] for listed in answers.values() for a in listed}
    deadline = time.monotonic() + wait
    while True:
        served = {}
        for log in VAR.glob(access_log("*").name):
            for line in log.read_text().splitlines():
                request_id, _, micros = line.partition(" ")
                if request_id in wanted:
                    served[request_id] = int(micros) / 1e6
        if len(served) == len(wanted) or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    missing = wanted - served.keys()
    if missing:
        raise RuntimeError(f"{len(missing)} requests are in no access log under {VAR}")
    return {
        name: [served[a.headers["X-Request-ID"]] for a in listed]
        for name, listed in answers.items()
    }


Samples = dict[str, list[float]]


def median(values: list[float]) -> float:
    return statistics.median(values)


def spread(values: list[float], scale: float = 1000.0, unit: str = "ms") -> str:
    """median [first quartile-third quartile], scaled (ms by default)."""
    if len(values) >= 4:
        q1, _, q3 = statistics.quantiles(values, n=4)
    else:
        q1, q3 = min(values), max(values)
    return f"{median(values) * scale:.1f} {unit} [{q1 * scale:.1f}-{q3 * scale:.1f}]"


# --- results ---------------------------------------------------------------------------------


@dataclass
class Result:
    figure: str
    name: str
    value: float
    goal: str  # "<= 1.3", ">= 0.5", "== 1" or "" (for information only)
    inputs: str
    fmt: str = "{:.2f}"
    notes: list[str] = field(default_factory=list)

    @property
    def met(self) -> bool | None:
        if not self.goal:
            return None
        op, _, bound = self.goal.partition(" ")
        limit = float(bound)
        return {
            "<=": self.value <= limit,
            ">=": self.value >= limit,
            "==": self.value == limit,
        }[op]

    @property
    def verdict(self) -> str:
        return {None: "info", True: "met", False: "MISSED"}[self.met]

    def line(self) -> str:
        return (
            f"[{self.figure}] {self.name}: {self.fmt.format(self.value)} "
            f"(goal {self.goal or '-'}: {self.verdict}) — {self.inputs}"
        )


def say(text: str = "") -> None:
    print(text, flush=True)
