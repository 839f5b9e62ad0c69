"""`make bench`: every figure of bench/README.md in one run, against a throw-away database,
the Vectara emulator and gunicorn as production runs it. Exits 1 when a goal is missed.

BENCH_FIGURES=1,2,… picks figures (default all); see bench/README.md for the other knobs.
"""

from __future__ import annotations

import os
import re
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from .support import (
    API_KEY,
    ROOT,
    Result,
    choose_backend,
    drop_database,
    emulator,
    ensure_wrk,
    env_int,
    environment,
    fresh_database,
    gunicorn,
    login,
    manage,
    say,
)

DB_NAME = "llmadmin_bench_main"
README = Path(__file__).with_name("README.md")
START, END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"


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
    say(f"bench: database {backend} ({why}); throw-away database {DB_NAME}")
    wrk_bin = ensure_wrk() if wanted(4) else ""
    url = fresh_database(backend, DB_NAME)
    env = environment(url)
    # This process reads and writes the same database; its own access lines aren't wanted.
    os.environ.update({**env, "LOG_LEVEL": "WARNING"})
    import django

    django.setup()
    from django.contrib.auth import get_user_model

    from llmadmin.teams.models import Membership, Role, Team
    from tests.conftest import chromium_path

    from . import (
        audit_append,
        audit_scale,
        create_overhead,
        list_throughput,
        page_weight,
        query_counts,
    )

    manage("migrate", "--noinput", "-v", "0", env=env)
    manage("seed_demo", env=env)
    manage("collectstatic", "--noinput", "-v", "0", env=env)
    team = Team.objects.get(slug="demo")
    # The actors of the generated log exist, so the log reads as a real team's.
    for name in audit_scale.ACTORS:
        user, _ = get_user_model().objects.get_or_create(username=name)
        Membership.objects.get_or_create(user=user, team=team, defaults={"role": Role.EDITOR})

    results: list[Result] = []
    audit_rows = env_int("BENCH_AUDIT_ROWS", 1_000_000)
    small_rows, llm_rows = 1_000, env_int("BENCH_LLM_ROWS", 10_000)
    try:
        if wanted(5):
            say("\n[5] audit append: chained record() vs plain inserts")
            results += audit_append.measure("llmadmin_bench")

        say("\nbench: starting the Vectara emulator and gunicorn (2 workers, DEBUG off)")
        with emulator(env) as emu:
            served = {**env, "VECTARA_API_URL": emu.url, "VECTARA_API_KEY": API_KEY}
            with gunicorn(served) as server:
                base = server.url
                counts: dict[str, list[tuple[int, int]]] = {"/llms/": [], "/audit/": []}
                if wanted(6):
                    say("\n[6] query counts at 10 rows")
                    audit_scale.load(10, team=team)
                    list_throughput.seed_llms(10, team=team)
                    counts["/audit/"].append((10, query_counts.count("/audit/", "auditor")))
                    counts["/llms/"].append((10, query_counts.count("/llms/", "editor")))

                sessions = {name: login(base, name) for name in ("editor", "auditor", "root")}

                small = None
                if wanted(2):
                    say(f"\n[2] audit at scale: {small_rows:,} events")
                    seconds = audit_scale.load(small_rows, team=team)
                    say(f"  loaded {small_rows:,} chained events in {seconds:.1f} s")
                    small = audit_scale.measure(
                        small_rows,
                        base_url=base,
                        auditor=sessions["auditor"],
                        root=sessions["root"],
                    )

                if wanted(3):
                    say("\n[3] create overhead")
                    results += create_overhead.measure(
                        base_url=base, emulator_url=emu.url, editor=sessions["editor"]
                    )

                if wanted(4) or wanted(6) or wanted(1):
                    list_throughput.seed_llms(llm_rows, team=team)
                if wanted(6):
                    counts["/llms/"].append((llm_rows, query_counts.count("/llms/", "editor")))
                    audit_scale.load(10_000, team=team)
                    counts["/audit/"].append((10_000, query_counts.count("/audit/", "auditor")))
                if wanted(4):
                    say(f"\n[4] list throughput: {llm_rows:,} LLMs in the team")
                    results += list_throughput.measure(
                        wrk_bin, base_url=base, editor=sessions["editor"], llms=llm_rows
                    )

                if wanted(2) and small:
                    say(f"\n[2] audit at scale: {audit_rows:,} events")
                    seconds = audit_scale.load(audit_rows, team=team)
                    say(f"  loaded {audit_rows:,} chained events in {seconds:.1f} s")
                    verify_started = time.monotonic()
                    outcome = manage("audit_verify", env=env)
                    say(f"  audit_verify ({time.monotonic() - verify_started:.0f} s): {outcome}")
                    large = audit_scale.measure(
                        audit_rows,
                        base_url=base,
                        auditor=sessions["auditor"],
                        root=sessions["root"],
                    )
                    results += audit_scale.results(small, large)
                    results.append(
                        Result(
                            "2",
                            "load of the generated log, seconds",
                            seconds,
                            "",
                            f"{audit_rows:,} events, MACs in order, bulk_create in batches "
                            f"of {audit_scale.BATCH}; audit_verify: {outcome}",
                        )
                    )
                    if wanted(6):
                        counts["/audit/"].append(
                            (audit_rows, query_counts.count("/audit/", "auditor"))
                        )

                if wanted(6):
                    for path, measured in counts.items():
                        for large_count in measured[1:]:
                            results.append(query_counts.result(path, measured[0], large_count))

                if wanted(1):
                    say("\n[1] page weight in headless Chromium")
                    if chromium_path():
                        results += page_weight.measure(base_url=base, sessions=sessions)
                    else:
                        say("  SKIPPED: no chromium on the PATH (set LLMADMIN_CHROMIUM)")
    finally:
        if not os.environ.get("BENCH_KEEP_DB"):
            drop_database(backend, DB_NAME)

    results.sort(key=lambda r: r.figure)
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
    if not os.environ.get("BENCH_FIGURES") and audit_rows == 1_000_000:
        write_readme(table(results, header))
        say(f"bench: table written to {README.relative_to(ROOT)}")
    else:
        say("bench: a partial run (BENCH_FIGURES or BENCH_AUDIT_ROWS set); README left as is")
        say(table(results, header))
    say(f"bench: {len(missed)} goal(s) missed; total {elapsed:.0f} s")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
