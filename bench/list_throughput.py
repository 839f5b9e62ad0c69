"""Figure 4: requests per second of /llms/ with 10,000 LLMs in the team, by wrk against
gunicorn (2 workers), divided by the same for a bare view on the same server."""

from __future__ import annotations

import re
import subprocess

import requests
from django.contrib.auth import get_user_model
from django.db import connection

from llmadmin.llms.models import LLMDefinition
from llmadmin.teams.models import Team

from .support import Result, env_int, median, say

BATCH = 2000


def seed_llms(count: int, *, team: Team) -> None:
    """Bring the team to `count` LLMs, straight into the table (nothing upstream)."""
    have = LLMDefinition.objects.filter(team=team).count()
    creator = get_user_model().objects.get(username="editor")
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
            created_by=creator,
            enabled=n % 7 != 0,
        )
        for n in range(have, count)
    ]
    LLMDefinition.objects.bulk_create(rows, batch_size=BATCH)
    if connection.vendor == "postgresql":
        # Autovacuum would analyze the table soon after such a load; now, for stable plans.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE llms_llmdefinition")


def wrk(wrk_bin: str, url: str, cookie: str, seconds: int) -> float:
    """Requests per second; refuses a run in which any answer was not a 2xx."""
    done = subprocess.run(  # noqa: S603 - our own command
        [wrk_bin, "-t1", "-c4", f"-d{seconds}s", "-H", f"Cookie: sessionid={cookie}", url],
        capture_output=True,
        text=True,
        check=True,
    )
    if "Non-2xx or 3xx" in done.stdout or "Socket errors" in done.stdout:
        raise RuntimeError(f"wrk saw errors on {url}:\n{done.stdout}")
    found = re.search(r"Requests/sec:\s+([\d.]+)", done.stdout)
    assert found, done.stdout
    return float(found[1])


def measure(wrk_bin: str, *, base_url: str, editor: requests.Session, llms: int) -> list[Result]:
    cookie = editor.cookies["sessionid"]
    # The cookie must reach the list itself, not the log-in page.
    answer = editor.get(f"{base_url}/llms/", allow_redirects=False)
    assert answer.status_code == 200 and "bench-llm-" in answer.text, answer.status_code
    rounds, seconds = env_int("BENCH_WRK_ROUNDS", 3), env_int("BENCH_WRK_SECONDS", 5)
    paths = {"list": "/llms/", "bare": "/bench/bare/", "signed-in": "/bench/signed-in/"}
    rates: dict[str, list[float]] = {name: [] for name in paths}
    wrk(wrk_bin, f"{base_url}/llms/", cookie, 1)  # warm-up
    for _ in range(rounds):
        for name, path in paths.items():
            rates[name].append(wrk(wrk_bin, f"{base_url}{path}", cookie, seconds))
    for name, values in rates.items():
        say(f"  wrk {name:<9} req/s: {', '.join(f'{v:.0f}' for v in values)}")

    def rate(name: str) -> str:
        values = rates[name]
        return f"{median(values):.0f} req/s [{min(values):.0f}-{max(values):.0f}]"

    def over(name: str, view: str, goal: str) -> Result:
        return Result(
            "4",
            f"/llms/ req/s ÷ {view}, {llms:,} LLMs",
            median(rates["list"]) / median(rates[name]),
            goal,
            f"wrk -t1 -c4, {rounds}x{seconds} s each, 2 gunicorn workers; "
            f"{rate('list')} ÷ {rate(name)}",
        )

    return [
        over("bare", "bare view req/s", ">= 0.5"),
        # Not a goal of the issue: how much of what is left is the page's own work.
        over("signed-in", "signed-in view req/s (session, user, teams)", ""),
    ]
