"""Figure 2: the auditor's /audit/ at 1,000,000 events divided by the same page at 1,000, the
two sizes in two databases behind two gunicorns, requests alternated; and /audit/ at
1,000,000 divided by Django admin's default changelist of the same table asking the same.
What is divided is gunicorn's own server time of each request (support.server_times)."""

from __future__ import annotations

import json
import math
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import requests

from llmadmin.audit.selectors import PAGE_SIZE

from .audit_log import ACTION, ACTORS
from .support import (
    PYTHON,
    ROOT,
    Result,
    env_int,
    get_ok,
    interleaved,
    median,
    say,
    server_times,
    spread,
)

ACTOR = ACTORS[7]
ADMIN = "/bench/admin/audit/auditevent/"
ADMIN_PAGE_SIZE = 100  # ModelAdmin.list_per_page


@dataclass
class Log:
    """A generated log as loaded into one database."""

    rows: int
    seconds: float
    deep_page: int
    before: int  # the keyset id of the link to deep_page


def load(rows: int, env: dict[str, str]) -> Log:
    """Load `rows` events into the database of `env` (bench.audit_log, in its own process)."""
    done = subprocess.run(  # noqa: S603 - our own command
        [PYTHON, "-m", "bench.audit_log", str(rows)],
        cwd=ROOT,
        env={**env, "LOG_LEVEL": "WARNING"},
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    data = json.loads(done.stdout.strip().splitlines()[-1])
    return Log(rows, data["seconds"], data["deep_page"], data["before"])


def variants(log: Log) -> dict[str, tuple[str, str]]:
    """Each variant: the app's /audit/ and Django admin's changelist asking the same."""
    today = datetime.now(UTC).date()
    since, until = today - timedelta(days=6), today
    # The admin's page holding the same rows as the app's deep page.
    admin_page = math.ceil(log.deep_page * PAGE_SIZE / ADMIN_PAGE_SIZE)
    return {
        "first page": ("/audit/", ADMIN),
        f"actor={ACTOR}": (f"/audit/?actor={ACTOR}", f"{ADMIN}?actor_username={ACTOR}"),
        f"action={ACTION}": (f"/audit/?action={ACTION}", f"{ADMIN}?action={ACTION}"),
        "last 7 days": (
            f"/audit/?since={since}&until={until}",
            f"{ADMIN}?occurred_at__gte={since}&occurred_at__lt={until + timedelta(days=1)}",
        ),
        f"page {log.deep_page} (keyset)": (
            f"/audit/?before={log.before}",
            f"{ADMIN}?p={admin_page}",
        ),
    }


@dataclass(frozen=True)
class Server:
    url: str
    auditor: requests.Session
    root: requests.Session


def measure(small: Log, large: Log, *, small_server: Server, large_server: Server) -> list[Result]:
    """Each variant at both sizes and in the admin, in turn, BENCH_RUNS times."""
    runs = env_int("BENCH_RUNS", 15, quick=5)
    calls = {}
    pairs = zip(variants(small).items(), variants(large).items(), strict=True)
    labels = []
    for (small_variant, (small_url, _)), (variant, (url, admin_url)) in pairs:
        label = variant if variant == small_variant else f"{variant} vs {small_variant}"
        labels.append((label, variant))
        calls[f"{variant} @large"] = get_ok(large_server.auditor, large_server.url + url)
        calls[f"{variant} @small"] = get_ok(small_server.auditor, small_server.url + small_url)
        calls[f"{variant} @admin"] = get_ok(large_server.root, large_server.url + admin_url)
    round_trips, answers = interleaved(calls, runs)
    samples = server_times(answers)
    for name, values in samples.items():
        say(f"  {name:<32} {spread(values)} (round trip {spread(round_trips[name])})")
    out = []
    for label, variant in labels:
        at_large, at_small = samples[f"{variant} @large"], samples[f"{variant} @small"]
        admin = samples[f"{variant} @admin"]
        trips = {
            k: median(round_trips[f"{variant} @{k}"]) * 1000 for k in ("large", "small", "admin")
        }
        out.append(
            Result(
                "2",
                f"/audit/ {label}: {large.rows:,} ÷ {small.rows:,} events",
                median(at_large) / median(at_small),
                "<= 1.3",
                f"{runs} runs each, alternated, server time; {spread(at_large)} ÷ "
                f"{spread(at_small)} (round trips {trips['large']:.1f} ms ÷ "
                f"{trips['small']:.1f} ms)",
            )
        )
        out.append(
            Result(
                "2",
                f"/audit/ {variant} ÷ Django admin changelist, {large.rows:,} events",
                median(at_large) / median(admin),
                "<= 0.1",
                f"{runs} runs each, alternated, server time; {spread(at_large)} ÷ "
                f"{spread(admin)} (round trips {trips['large']:.1f} ms ÷ "
                f"{trips['admin']:.1f} ms)",
            )
        )
    return out


def load_result(log: Log, verdict: str) -> Result:
    return Result(
        "2",
        "load of the generated log, seconds",
        log.seconds,
        "",
        f"{log.rows:,} events, MACs in order, bulk_create in batches; audit_verify: {verdict}",
    )
