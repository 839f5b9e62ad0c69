"""Figure 4: the server time of the dashboard's pages, in signed-in floors: /llms/ with
BENCH_LLM_ROWS (10,000) LLMs in the team, one LLM's page (which asks Vectara for it),
the create form, and /audit/ with the large log; each timed in turn with the floor of the
same person (bench/urls.py) and divided by it."""

from __future__ import annotations

import requests
from django.contrib.auth import get_user_model
from django.db import connection

from llmadmin.llms.models import LLMDefinition
from llmadmin.teams.models import Team

from .create_overhead import creator, floor_over_bare
from .support import Result, env_int, get_ok, interleaved, median, say, server_times, spread

BATCH = 2000


def seed_llms(count: int, *, team: Team) -> None:
    """Bring the team to `count` LLMs, straight into the table (nothing upstream)."""
    have = LLMDefinition.objects.filter(team=team).count()
    owner = get_user_model().objects.get(username="editor")
    rows = [
        LLMDefinition(
            team=team,
            vectara_id=f"llm_bench_{n:06d}",
            name=f"bench-llm-{n:06d}",
            type="openai-compatible",
            description=f"Benchmark LLM number {n}.",
            model="gpt-4o",
            uri="https://api.openai.com/v1/chat/completions",
            auth_type="bearer",
            auth_fingerprint=f"…{n % 10000:04d}",
            test_model_parameters={"max_tokens": 16},
            created_by=owner,
            enabled=n % 7 != 0,
        )
        for n in range(have, count)
    ]
    LLMDefinition.objects.bulk_create(rows, batch_size=BATCH)
    if connection.vendor == "postgresql":
        # Autovacuum would analyze the table soon after such a load; now, for stable plans.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE llms_llmdefinition")


def measure(
    *,
    base_url: str,
    editor: requests.Session,
    auditor: requests.Session,
    bare: requests.Session,
    llms: int,
    events: int,
) -> list[Result]:
    runs = env_int("BENCH_PAGE_RUNS", 30, quick=8)
    # One LLM that Vectara (the emulator) holds, so its page shows both sides.
    detail = creator(base_url, editor)().headers["Location"]
    pages = {
        f"/llms/, {llms:,} LLMs": (editor, "/llms/"),
        "/llms/<pk>/": (editor, detail),
        "/llms/new/": (editor, "/llms/new/"),
        f"/audit/, {events:,} events": (auditor, "/audit/"),
    }
    calls = {name: get_ok(session, base_url + path) for name, (session, path) in pages.items()}
    calls |= {
        "floor as editor": get_ok(editor, f"{base_url}/bench/floor/"),
        "floor as auditor": get_ok(auditor, f"{base_url}/bench/floor/"),
        "bare view": get_ok(bare, f"{base_url}/bench/bare/"),
    }
    round_trips, answers = interleaved(calls, runs)
    served = server_times(answers)
    for name, values in served.items():
        say(f"  {name:<26} server {spread(values)} (round trip {spread(round_trips[name])})")
    out = []
    for name, (session, _) in pages.items():
        floor = served["floor as auditor" if session is auditor else "floor as editor"]
        out.append(
            Result(
                "4",
                f"{name} ÷ signed-in floor",
                median(served[name]) / median(floor),
                "<= 4",
                f"{runs} runs each, in turn, server time; {spread(served[name])} ÷ {spread(floor)}",
            )
        )
    out.append(floor_over_bare("4", runs, served["floor as editor"], served["bare view"]))
    return out
