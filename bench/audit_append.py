"""Figure 5: events per second appended to the chain (llmadmin.audit.chain.append) divided by
plain inserts of the same events (no chain: prev_mac and mac blank), each in autocommit as in
a request, on SQLite and on PostgreSQL, each in a throw-away database of its own.

Run by bench.run; `python -m bench.audit_append` is the worker it starts once per database.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from .support import (
    PYTHON,
    ROOT,
    Result,
    drop_database,
    env_int,
    environment,
    fresh_database,
    median,
    postgres_reachable,
    say,
)


def _worker() -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.utils import timezone

    from llmadmin.audit import chain
    from llmadmin.audit.models import AuditEvent, Outcome

    call_command("migrate", verbosity=0)
    rounds = env_int("BENCH_APPEND_ROUNDS", 5, quick=2)
    size = env_int("BENCH_APPEND_EVENTS", 300, quick=100)

    def event(n: int) -> AuditEvent:
        return AuditEvent(
            occurred_at=timezone.now(),
            actor_id=7,
            actor_username="editor",
            source_ip="198.51.100.7",
            user_agent="bench",
            request_id="0123456789abcdef0123456789abcdef",
            action="llm.update",
            outcome=Outcome.SUCCESS,
            target_type="llm",
            target_id=str(n),
            target_label="bench-llm",
            message="editor changed bench-llm.",
            details={"request": {"name": "bench-llm", "max_tokens": 16}},
        )

    def chained(n: int) -> None:
        chain.append(event(n))

    def plain(n: int) -> None:
        event(n).save(force_insert=True)

    rates: dict[str, list[float]] = {"chained": [], "plain": []}
    for _name, write in (("chained", chained), ("plain", plain)):
        for n in range(20):  # warm-up
            write(n)
    for _ in range(rounds):
        for name, write in (("chained", chained), ("plain", plain)):
            started = time.perf_counter()
            for n in range(size):
                write(n)
            rates[name].append(size / (time.perf_counter() - started))
    print(json.dumps({"rounds": rounds, "size": size, "rates": rates}))


def measure(prefix: str) -> list[Result]:
    backends = ["sqlite"] + (["postgresql"] if postgres_reachable() else [])
    out = []
    for backend in backends:
        name = f"{prefix}_append"
        url = fresh_database(backend, name)
        try:
            done = subprocess.run(  # noqa: S603 - our own command
                [PYTHON, "-m", "bench.audit_append"],
                cwd=ROOT,
                env=environment(url, LOG_LEVEL="WARNING"),
                capture_output=True,
                text=True,
                check=False,
            )
        finally:
            drop_database(backend, name)
        if done.returncode != 0:
            raise RuntimeError(f"the append worker failed on {backend}:\n{done.stderr[-3000:]}")
        data = json.loads(done.stdout.strip().splitlines()[-1])
        rates = data["rates"]
        for kind, values in rates.items():
            say(f"  {backend:<10} {kind:<8} events/s: {', '.join(f'{v:.0f}' for v in values)}")
        chained, plain = median(rates["chained"]), median(rates["plain"])
        out.append(
            Result(
                "5",
                f"chain.append ÷ plain insert, events/s, {backend}",
                chained / plain,
                ">= 0.5",
                f"{data['rounds']} rounds x {data['size']} events each, autocommit; "
                f"{chained:.0f}/s [{min(rates['chained']):.0f}-{max(rates['chained']):.0f}] ÷ "
                f"{plain:.0f}/s [{min(rates['plain']):.0f}-{max(rates['plain']):.0f}]",
            )
        )
    return out


if __name__ == "__main__":
    if len(sys.argv) > 1:
        sys.exit("usage: python -m bench.audit_append (started by bench.run)")
    _worker()
