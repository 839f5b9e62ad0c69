"""Figure 2: the auditor's /audit/ at scale.

The log is generated as a log grows: a steady BENCH_AUDIT_PER_DAY events a day, the newest
now, so a million events are years of history and a thousand the last day or so. Each load
starts from an empty table (bench-only: the append-only triggers are lifted for the reset
of this throw-away database) and builds a valid chain: MACs computed in order with
chain.mac_for, rows bulk_created in batches, then the ChainHead set.
"""

from __future__ import annotations

import importlib
import math
import random
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import requests
from django.db import connection, transaction
from django.utils import timezone

from llmadmin.audit.chain import GENESIS, HEAD_PK, mac_for
from llmadmin.audit.forms import KNOWN_ACTIONS
from llmadmin.audit.models import AuditEvent, ChainHead, Outcome
from llmadmin.audit.selectors import PAGE_SIZE
from llmadmin.teams.models import Team

from .support import (
    Result,
    Samples,
    env_int,
    get_ok,
    interleaved,
    median,
    say,
    server_times,
    spread,
)

BATCH = 5000
TRIGGERS = "llmadmin.audit.migrations.0003_append_only_triggers"
ACTORS = [f"member{n:02d}" for n in range(40)]
ACTOR = ACTORS[7]
ACTION = "llm.create"
DEEP_PAGE = 100
_OUTCOMES = [Outcome.SUCCESS] * 17 + [Outcome.FAILURE] * 2 + [Outcome.DENIED]


def _reset() -> None:
    """Empty the audit table and forget the chain head (throw-away database only)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_auditevent DISABLE TRIGGER USER")
            cursor.execute("TRUNCATE audit_auditevent RESTART IDENTITY")
            cursor.execute("ALTER TABLE audit_auditevent ENABLE TRIGGER USER")
        else:
            triggers = importlib.import_module(TRIGGERS)
            create, drop = triggers.SQL["sqlite"]
            for statement in drop:
                cursor.execute(statement)
            cursor.execute("DELETE FROM audit_auditevent")
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = 'audit_auditevent'")
            for statement in create:
                cursor.execute(statement)
    ChainHead.objects.all().delete()


def _event(rng: random.Random, n: int, at: datetime, team: Team) -> AuditEvent:
    action = rng.choice(KNOWN_ACTIONS)
    label = f"llm-{rng.randrange(5000):04d}"
    return AuditEvent(
        occurred_at=at,
        actor_id=1000 + ACTORS.index(actor := rng.choice(ACTORS)),
        actor_username=actor,
        source_ip=f"198.51.100.{rng.randrange(1, 255)}",
        user_agent="Mozilla/5.0 (X11; Linux x86_64) bench",
        request_id=f"{rng.getrandbits(128):032x}",
        team_id=team.pk,
        team_slug=team.slug,
        action=action,
        outcome=rng.choice(_OUTCOMES),
        target_type="llm",
        target_id=str(rng.randrange(1, 5000)),
        target_label=label,
        upstream_status=201 if action == ACTION else None,
        message=f"{actor} did {action} on {label} (event {n}).",
        details={"request": {"name": label, "type": "openai-compatible", "max_tokens": 16}},
    )


def load(rows: int, *, team: Team) -> float:
    """Replace the log with `rows` chained events; seconds it took (MACs, inserts, head)."""
    per_day = env_int("BENCH_AUDIT_PER_DAY", 1000)
    started = time.perf_counter()
    _reset()
    rng = random.Random(rows)  # reproducible data, not secrets
    step = timedelta(days=1) / per_day
    first = timezone.now().replace(microsecond=0) - step * rows
    previous = GENESIS
    for start in range(0, rows, BATCH):
        batch = []
        for n in range(start, min(start + BATCH, rows)):
            event = _event(rng, n, first + step * (n + 1), team)
            event.prev_mac = previous
            event.mac = previous = mac_for(event)
            batch.append(event)
        with transaction.atomic():
            AuditEvent.objects.bulk_create(batch)
        if rows >= 100_000 and (start + BATCH) % 100_000 == 0:
            say(f"  … {start + BATCH:,} events in {time.perf_counter() - started:.0f} s")
    newest = AuditEvent.objects.order_by("-id").values_list("id", "mac").first()
    ChainHead.objects.update_or_create(
        pk=HEAD_PK,
        defaults={"last_event_id": newest[0] if newest else None, "last_mac": previous},
    )
    if connection.vendor == "postgresql":
        # Autovacuum would do this within a minute of such a load; doing it now keeps the
        # plans the same from run to run. The checkpoint writes the load's dirty pages now,
        # rather than while the pages are being timed (the large size would pay for it).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE audit_auditevent")
            cursor.execute("CHECKPOINT")
    return time.perf_counter() - started


@dataclass
class Stage:
    rows: int
    runs: int
    pages: dict[str, tuple[str, str]]  # variant -> (app url, admin url)
    samples: Samples  # server times, what the figure divides
    round_trips: Samples  # the same requests seen from the client, for information


def variants(rows: int) -> dict[str, tuple[str, str]]:
    """Each variant: the app's /audit/ and Django admin's changelist asking the same."""
    today = datetime.now(UTC).date()
    since, until = today - timedelta(days=6), today
    deep = min(DEEP_PAGE, math.ceil(rows / PAGE_SIZE))
    before = AuditEvent.objects.order_by("-id").values_list("id", flat=True)[
        (deep - 1) * PAGE_SIZE - 1
    ]
    admin = "/bench/admin/audit/auditevent/"
    # The admin shows 100 rows a page (list_per_page): its page holding the same rows.
    admin_page = math.ceil(deep * PAGE_SIZE / 100)
    return {
        "first page": ("/audit/", admin),
        f"actor={ACTOR}": (f"/audit/?actor={ACTOR}", f"{admin}?actor_username={ACTOR}"),
        f"action={ACTION}": (f"/audit/?action={ACTION}", f"{admin}?action={ACTION}"),
        "last 7 days": (
            f"/audit/?since={since}&until={until}",
            f"{admin}?occurred_at__gte={since}&occurred_at__lt={until + timedelta(days=1)}",
        ),
        f"page {deep} (keyset)": (f"/audit/?before={before}", f"{admin}?p={admin_page}"),
    }


def measure(
    rows: int, *, base_url: str, auditor: requests.Session, root: requests.Session
) -> Stage:
    runs = env_int("BENCH_RUNS", 15)
    pages = variants(rows)
    calls = {}
    for variant, (app_url, admin_url) in pages.items():
        calls[f"app {variant}"] = get_ok(auditor, base_url + app_url)
        calls[f"admin {variant}"] = get_ok(root, base_url + admin_url)
    answers: dict[str, list[requests.Response]] = {}
    round_trips = interleaved(calls, runs, answers=answers)
    samples = server_times(answers)
    for name, values in samples.items():
        say(
            f"  {rows:>9,} events  {name:<28} {spread(values)}"
            f" (round trip {spread(round_trips[name])})"
        )
    return Stage(rows, runs, pages, samples, round_trips)


def _med(values: list[float]) -> str:
    return f"{median(values) * 1000:.1f} ms"


def results(small: Stage, large: Stage) -> list[Result]:
    out = []
    for (variant, _), (large_variant, _) in zip(
        small.pages.items(), large.pages.items(), strict=True
    ):
        app_small = small.samples[f"app {variant}"]
        app_large = large.samples[f"app {large_variant}"]
        admin_large = large.samples[f"admin {large_variant}"]
        trips = large.round_trips
        label = variant if variant == large_variant else f"{large_variant} vs {variant}"
        out.append(
            Result(
                "2",
                f"/audit/ {label}: {large.rows:,} ÷ {small.rows:,} events",
                median(app_large) / median(app_small),
                "<= 1.3",
                f"{large.runs} runs each, server time; {spread(app_large)} ÷ {spread(app_small)}"
                f" (round trips {_med(trips[f'app {large_variant}'])} ÷"
                f" {_med(small.round_trips[f'app {variant}'])})",
            )
        )
        out.append(
            Result(
                "2",
                f"/audit/ {large_variant} ÷ Django admin changelist, {large.rows:,} events",
                median(app_large) / median(admin_large),
                "<= 0.1",
                f"{large.runs} runs each, server time; {spread(app_large)} ÷ {spread(admin_large)}"
                f" (round trips {_med(trips[f'app {large_variant}'])} ÷"
                f" {_med(trips[f'admin {large_variant}'])})",
            )
        )
    return out
