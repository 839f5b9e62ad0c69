"""`make bench`: every figure of bench/README.md in one run, against throw-away databases,
the Vectara emulator and gunicorn as production runs it. Exits 1 when a goal is missed, 2
when the run itself failed, 0 otherwise.

BENCH_FIGURES=1,2,… picks figures (default all); BENCH_QUICK=1 runs small sizes; see
bench/README.md for the other knobs.
"""

from __future__ import annotations

import os
import re
import sys
import time
import traceback
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path

import requests

from .support import (
    API_KEY,
    QUICK,
    ROOT,
    Result,
    choose_backend,
    drop_database,
    emulator,
    env_int,
    environment,
    fresh_database,
    gunicorn,
    login,
    manage,
    say,
)

LARGE_DB, SMALL_DB = "llmadmin_bench_main", "llmadmin_bench_small"
SYNC_DB = "llmadmin_bench_sync"  # figure 8's (bench/sync_job.py)
README = Path(__file__).with_name("README.md")
START, END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"
FULL = {"BENCH_AUDIT_ROWS": 1_000_000, "BENCH_LLM_ROWS": 10_000}


def wanted(figure: int) -> bool:
    chosen = os.environ.get("BENCH_FIGURES", "")
    return not chosen or str(figure) in re.split(r"[,\s]+", chosen)


def table(results: list[Result], header: str) -> str:
    lines = [
        header,
        "",
        "| # | figure | value | goal | verdict | inputs (median [quartiles]) |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        inputs = r.inputs.replace("|", "\\|")
        lines.append(
            f"| {r.figure} | {r.name} | {r.fmt.format(r.value)} | {r.goal or '-'} | "
            f"{r.verdict} | {inputs} |"
        )
    return "\n".join(lines)


def write_readme(text: str) -> None:
    readme = README.read_text()
    if START in readme and END in readme:
        before, _, rest = readme.partition(START)
        _, _, after = rest.partition(END)
        README.write_text(f"{before}{START}\n{text}\n{END}{after}")


def prepare(backend: str, name: str) -> dict[str, str]:
    """A fresh database `name`, migrated, with the demo team and people; its environment."""
    env = environment(fresh_database(backend, name))
    manage("migrate", "--noinput", "-v", "0", env=env)
    manage("seed_demo", env=env)
    return env


def main() -> int:
    started = time.monotonic()
    backend = choose_backend()
    why = (
        "BENCH_DB says so"
        if os.environ.get("BENCH_DB")
        else "PostgreSQL answered on 127.0.0.1:5432"
        if backend == "postgresql"
        else "no PostgreSQL answered on 127.0.0.1:5432"
    )
    say(
        f"bench: database {backend} ({why}); throw-away databases {LARGE_DB}, {SMALL_DB}, {SYNC_DB}"
    )
    audit_rows = env_int("BENCH_AUDIT_ROWS", FULL["BENCH_AUDIT_ROWS"], quick=20_000)
    llm_rows = env_int("BENCH_LLM_ROWS", FULL["BENCH_LLM_ROWS"], quick=1_000)
    small_rows = 1_000
    env = prepare(backend, LARGE_DB)
    sync_env = None
    if wanted(8):
        # Before django.setup(): bench.settings gives this process an alias for it.
        sync_env = prepare(backend, SYNC_DB)
        os.environ["BENCH_SYNC_DATABASE_URL"] = sync_env["DATABASE_URL"]
    # This process reads and writes the large database; its own access lines aren't wanted.
    os.environ.update({**env, "LOG_LEVEL": "WARNING"})
    import django

    django.setup()
    from llmadmin.teams.models import Team
    from tests.conftest import chromium_path

    from . import (
        audit_append,
        audit_scale,
        create_overhead,
        page_cost,
        page_weight,
        query_counts,
        slow_upstream,
        sync_job,
    )

    manage("collectstatic", "--noinput", "-v", "0", env=env)
    team = Team.objects.get(slug="demo")
    results: list[Result] = []
    try:
        if wanted(5):
            say("\n[5] audit append: chain.append vs plain inserts")
            results += audit_append.measure("llmadmin_bench")

        counts: dict[str, list[tuple[int, int]]] = {"/llms/": [], "/audit/": []}
        if wanted(6):
            say("\n[6] query counts at 10 and at 10,000 rows")
            audit_scale.load(10, env)
            page_cost.seed_llms(10, team=team)
            counts["/audit/"].append((10, query_counts.count("/audit/", "auditor")))
            counts["/llms/"].append((10, query_counts.count("/llms/", "editor")))
            audit_scale.load(10_000, env)
            page_cost.seed_llms(10_000, team=team)
            counts["/audit/"].append((10_000, query_counts.count("/audit/", "auditor")))
            counts["/llms/"].append((10_000, query_counts.count("/llms/", "editor")))
        page_cost.seed_llms(llm_rows, team=team)

        small_env = None
        if wanted(2):
            small_env = prepare(backend, SMALL_DB)
            small = audit_scale.load(small_rows, small_env)
            say(f"\n[2] loaded {small_rows:,} chained events in {small.seconds:.1f} s ({SMALL_DB})")
        # Only these figures read the large log; loading a million events takes minutes.
        if any(wanted(figure) for figure in (1, 2, 4, 6)):
            say(f"\nbench: loading {audit_rows:,} chained events into {LARGE_DB}")
            large = audit_scale.load(audit_rows, env)
            say(f"  loaded in {large.seconds:.1f} s")
            verify_started = time.monotonic()
            verdict = manage("audit_verify", env=env)
            say(f"  audit_verify ({time.monotonic() - verify_started:.0f} s): {verdict}")
        if wanted(2):
            results.append(audit_scale.load_result(large, verdict))
        if wanted(6):
            counts["/audit/"].append((audit_rows, query_counts.count("/audit/", "auditor")))
            for path, measured in counts.items():
                for large_count in measured[1:]:
                    results.append(query_counts.result(path, measured[0], large_count))

        say("\nbench: starting the Vectara emulator and gunicorn (2 workers, 8 threads, DEBUG off)")
        with ExitStack() as stack:
            emu = stack.enter_context(emulator(env))
            upstream = {"VECTARA_API_URL": emu.url, "VECTARA_API_KEY": API_KEY}
            server = stack.enter_context(gunicorn({**env, **upstream}, "large"))
            base = server.url
            sessions = {name: login(base, name) for name in ("editor", "auditor", "root")}
            bare = requests.Session()  # no cookies: the bare view reads no session anyway

            if wanted(2) and small_env:
                other = stack.enter_context(gunicorn({**small_env, **upstream}, "small"))
                say(f"\n[2] /audit/ at {audit_rows:,} and {small_rows:,} events, alternated")
                results += audit_scale.measure(
                    small,
                    large,
                    small_server=audit_scale.Server(
                        other.url, login(other.url, "auditor"), login(other.url, "root")
                    ),
                    large_server=audit_scale.Server(base, sessions["auditor"], sessions["root"]),
                )

            if wanted(3):
                say("\n[3] create flow over the direct upstream POST, in signed-in floors")
                results += create_overhead.measure(
                    base_url=base, emulator_url=emu.url, editor=sessions["editor"], bare=bare
                )

            if wanted(4):
                say("\n[4] pages in signed-in floors")
                results += page_cost.measure(
                    base_url=base,
                    editor=sessions["editor"],
                    auditor=sessions["auditor"],
                    bare=bare,
                    llms=llm_rows,
                    events=audit_rows,
                )

            if wanted(1):
                say("\n[1] page weight in headless Chromium")
                if chromium_path():
                    results += page_weight.measure(base_url=base, sessions=sessions)
                else:
                    say("  SKIPPED: no chromium on the PATH (set LLMADMIN_CHROMIUM)")

        # Each on servers of its own, once the ones above have stopped.
        if wanted(7):
            say(f"\n[7] /llms/ while six creates wait {slow_upstream.delay():.0f} s on Vectara")
            results += slow_upstream.run(env, team)
        if sync_env:
            say(f"\n[8] a sync as a job ({SYNC_DB})")
            results += sync_job.run(sync_env)
    finally:
        if not os.environ.get("BENCH_KEEP_DB"):
            drop_database(backend, LARGE_DB)
            drop_database(backend, SMALL_DB)
            drop_database(backend, SYNC_DB)

    results.sort(key=lambda r: int(r.figure))
    elapsed = time.monotonic() - started
    say("\nbench: results")
    for r in results:
        say(r.line())
    missed = [r for r in results if r.met is False]
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    header = (
        f"Latest run: {when}, {backend}, {os.cpu_count()} cores, "
        f"`make bench` took {elapsed / 60:.1f} min; "
        f"{len(missed)} of {sum(r.met is not None for r in results)} goals missed."
    )
    full = (
        not QUICK
        and not os.environ.get("BENCH_FIGURES")
        and (audit_rows, llm_rows) == tuple(FULL.values())
    )
    if full:
        write_readme(table(results, header))
        say(f"bench: table written to {README.relative_to(ROOT)}")
    else:
        say("bench: a partial or quick run; bench/README.md left as is")
        say(table(results, header))
    say(f"bench: {len(missed)} goal(s) missed; total {elapsed:.0f} s")
    return 1 if missed else 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except Exception:
        # 1 means a goal was missed; a run that could not finish says so differently.
        traceback.print_exc()
        sys.exit(2)
