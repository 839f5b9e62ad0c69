"""Figure 8: a sync of BENCH_SYNC_LLMS (10,000) upstream LLMs, run as a job.

(a) gunicorn's server time of POST /llms/sync/ (which only queues the job) ÷ the signed-in
floor, timed in turn; (b) the job's total time, from its SyncRun's created_at to its
finished_at (waiting on the queue, fetching every page of Vectara's list, reconciling) ÷ the
time of the list calls alone: GET /v2/llms?limit=100, page after page, from a `requests`
session straight to the same emulator.

Everything runs against its own database (run.py's SYNC_DB, read here through the "sync"
alias of bench.settings), its own emulator holding the LLMs, its own gunicorn and a queue worker as
`make worker` starts it, so the sync changes nothing the other figures read. Each round runs
two syncs: a first one, after the local records are emptied, that adds every LLM, and a
repeat one that finds them unchanged."""

from __future__ import annotations

import re
import time
from typing import Any

import requests

from emulator.rules import build_record
from llmadmin.llms.models import LLMDefinition, SyncRun
from llmadmin.llms.services.sync import PAGE_SIZE

from .create_overhead import upstream_body
from .support import (
    API_KEY,
    Result,
    csrf_token,
    emulator,
    env_int,
    get_ok,
    gunicorn,
    login,
    median,
    say,
    server_times,
    spread,
    worker,
)

ALIAS = "sync"  # bench.settings: DATABASES["sync"] from BENCH_SYNC_DATABASE_URL
POLL = 0.02  # seconds between looks at the run; a look is one indexed query


def upstream_llms(count: int) -> list[dict[str, Any]]:
    """`count` LLMs as the emulator stores them, each created from the body the app sends."""
    body = upstream_body("template")
    return [
        {"id": f"llm_{2_000_000 + n}", **build_record({**body, "name": f"bench-sync-{n:06d}"})}
        for n in range(count)
    ]


def list_calls(emulator_url: str) -> float:
    """Seconds to fetch every page of the emulator's list, as the sync asks for it."""
    session = requests.Session()
    session.headers["x-api-key"] = API_KEY
    started = time.perf_counter()
    params: dict[str, str | int] = {"limit": PAGE_SIZE}
    while True:
        answer = session.get(f"{emulator_url}/v2/llms", params=params, timeout=120)
        answer.raise_for_status()
        page_key = answer.json()["metadata"].get("page_key")
        if page_key is None:
            return time.perf_counter() - started
        params = {"limit": PAGE_SIZE, "page_key": page_key}


def finished(run_id: int) -> tuple[SyncRun, float]:
    """The run once it has ended, and how long it waited on the queue (as seen by polling)."""
    queued_until = None
    while True:
        run = SyncRun.objects.using(ALIAS).get(pk=run_id)
        if queued_until is None and run.state != SyncRun.State.QUEUED:
            queued_until = time.monotonic()
        if not run.active:
            break
        time.sleep(POLL)
    if run.state != SyncRun.State.DONE or run.finished_at is None:
        raise RuntimeError(f"the sync ended {run.state}: {run.message}")
    return run, (queued_until or time.monotonic())


def measure(
    *, base_url: str, emulator_url: str, editor: requests.Session, llms: int
) -> list[Result]:
    runs = env_int("BENCH_SYNC_RUNS", 3, quick=2)
    say(f"  {runs} rounds of two syncs (a first one, adding, and a repeat one), each in turn")
    floor = get_ok(editor, f"{base_url}/bench/floor/")
    token = csrf_token(editor, f"{base_url}/llms/sync/")

    def ask() -> requests.Response:
        answer = editor.post(
            f"{base_url}/llms/sync/",
            data={"csrfmiddlewaretoken": token},
            allow_redirects=False,
            timeout=60,
        )
        if answer.status_code != 302 or not re.fullmatch(
            r"/llms/sync/", answer.headers["Location"]
        ):
            raise RuntimeError(f"POST /llms/sync/ answered {answer.status_code}, not a redirect")
        return answer

    def sync() -> tuple[requests.Response, SyncRun, float]:
        """Ask for a sync and wait for it: the answer, the ended run, seconds on the queue."""
        newest = SyncRun.objects.using(ALIAS).order_by("-pk").values_list("pk", flat=True).first()
        asked_at = time.monotonic()
        answer = ask()
        run_id = SyncRun.objects.using(ALIAS).filter(pk__gt=newest or 0).get().pk
        run, taken_at = finished(run_id)
        return answer, run, taken_at - asked_at

    say("  warm-up: one sync")
    sync()
    answers: dict[str, list[requests.Response]] = {"ask": [], "floor": []}
    jobs: dict[str, list[float]] = {"first": [], "repeat": []}
    queued: list[float] = []
    saving: dict[str, list[float]] = {"first": [], "repeat": []}
    lists: list[float] = []
    for n in range(runs):
        for kind in ("first", "repeat"):
            if kind == "first":
                LLMDefinition.objects.using(ALIAS).all().delete()
            answers["floor"].append(floor())
            answer, run, waited = sync()
            assert run.finished_at and run.heartbeat_at  # a run that is done has both
            answers["ask"].append(answer)
            jobs[kind].append((run.finished_at - run.created_at).total_seconds())
            # The last heartbeat comes with the last page: what follows is the reconciling.
            saving[kind].append((run.finished_at - run.heartbeat_at).total_seconds())
            queued.append(waited)
            lists.append(list_calls(emulator_url))
            say(
                f"  round {n + 1} {kind:<6}: job {jobs[kind][-1]:.2f} s (about {waited:.2f} s "
                f"on the queue, {saving[kind][-1]:.2f} s after the last page); list calls "
                f"alone {lists[-1]:.2f} s"
            )
    count = LLMDefinition.objects.using(ALIAS).filter(vectara_id__startswith="llm_2").count()
    if count != llms:
        raise RuntimeError(f"the sync left {count} of the {llms:,} upstream LLMs, not all")
    served = server_times(answers)
    say(f"  POST /llms/sync/ server {spread(served['ask'])}; floor {spread(served['floor'])}")
    pages = -(-(llms + 3) // PAGE_SIZE)  # and the emulator's three built-in LLMs
    out = [
        Result(
            "8",
            "POST /llms/sync/ (queues the job) ÷ signed-in floor",
            median(served["ask"]) / median(served["floor"]),
            "<= 2",
            f"{2 * runs} runs each, in turn, server time; {spread(served['ask'])} ÷ "
            f"{spread(served['floor'])}",
        )
    ]
    for kind, what in (("first", "adding them"), ("repeat", "all unchanged")):
        out.append(
            Result(
                "8",
                f"sync job of {llms:,} LLMs ({what}) ÷ its list calls alone",
                median(jobs[kind]) / median(lists),
                "<= 1.5",
                f"{runs} runs, created_at to finished_at; {spread(jobs[kind], 1, 's')} ÷ "
                f"{spread(lists, 1, 's')} for {pages} pages of {PAGE_SIZE} ({2 * runs} walks); "
                f"on the queue {spread(queued, 1, 's')}, after the last page "
                f"{spread(saving[kind], 1, 's')}",
            )
        )
    return out


def run(env: dict[str, str]) -> list[Result]:
    """Figure 8 against its own database (`env`, migrated and seeded): its own emulator holding the
    LLMs, gunicorn and a queue worker, both pointed at it."""
    count = env_int("BENCH_SYNC_LLMS", 10_000, quick=1_000)
    with emulator(env, "emulator-sync", llms=upstream_llms(count)) as upstream:
        pointed = {**env, "VECTARA_API_URL": upstream.url, "VECTARA_API_KEY": API_KEY}
        with gunicorn(pointed, "sync") as server, worker(pointed, "worker-sync"):
            editor = login(server.url, "editor")
            return measure(
                base_url=server.url, emulator_url=upstream.url, editor=editor, llms=count
            )
