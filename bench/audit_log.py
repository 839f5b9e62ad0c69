"""The generated audit log of figures 2 and 6, loaded into the database of DATABASE_URL.

The log grows as a log does: a steady BENCH_AUDIT_PER_DAY events a day, the newest now, so a
million events are years of history and a thousand the last day. Each load starts from an
empty table (bench-only: the append-only triggers are lifted for the reset of this throw-away
database) and builds a valid chain: MACs computed in order with chain.mac_for, rows
bulk_created in batches, then the ChainHead set.

`python -m bench.audit_log ROWS` (started by bench.audit_scale.load) loads ROWS events and
prints, as JSON, the seconds it took and the id the keyset link to the deepest page carries.
"""

from __future__ import annotations

import json
import math
import random
import sys
import time
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from .support import env_int

if TYPE_CHECKING:
    from llmadmin.audit.models import AuditEvent
    from llmadmin.teams.models import Team

BATCH = 5000
ACTORS = [f"member{n:02d}" for n in range(40)]
ACTION = "llm.create"
DEEP_PAGE = 100
OUTCOMES = ["success"] * 17 + ["failure"] * 2 + ["denied"]


def _reset() -> None:
    """Empty the audit table and forget the chain head (throw-away database only; call it
    with the append-only triggers lifted)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE audit_auditevent, audit_chainhead RESTART IDENTITY")
        else:
            cursor.execute("DELETE FROM audit_auditevent")
            cursor.execute("DELETE FROM audit_chainhead")
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = 'audit_auditevent'")


def _event(rng: random.Random, n: int, at: datetime, team: Team) -> AuditEvent:
    from llmadmin.audit.forms import KNOWN_ACTIONS
    from llmadmin.audit.models import AuditEvent

    action = rng.choice(KNOWN_ACTIONS)
    label = f"llm-{rng.randrange(5000):04d}"
    actor = rng.choice(ACTORS)
    return AuditEvent(
        occurred_at=at,
        actor_id=1000 + ACTORS.index(actor),
        actor_username=actor,
        source_ip=f"198.51.100.{rng.randrange(1, 255)}",
        user_agent="Mozilla/5.0 (X11; Linux x86_64) bench",
        request_id=f"{rng.getrandbits(128):032x}",
        team_id=team.pk,
        team_slug=team.slug,
        action=action,
        outcome=rng.choice(OUTCOMES),
        target_type="llm",
        target_id=str(rng.randrange(1, 5000)),
        target_label=label,
        upstream_status=201 if action == ACTION else None,
        message=f"{actor} did {action} on {label} (event {n}).",
        details={"request": {"name": label, "type": "openai-compatible", "max_tokens": 16}},
    )


def load(rows: int) -> dict[str, float | int]:
    """Replace the log with `rows` chained events acted by ACTORS, members of the team `demo`.
    The seconds it took (MACs, inserts, head) and the keyset id of the deepest page."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.utils import timezone

    from llmadmin.audit.chain import GENESIS, HEAD_PK, mac_for
    from llmadmin.audit.models import AuditEvent, ChainHead
    from llmadmin.audit.selectors import PAGE_SIZE
    from llmadmin.teams.models import Membership, Role, Team
    from tests.audit.support import append_only_lifted

    team = Team.objects.get(slug="demo")
    # The actors of the generated log exist, so the log reads as a real team's.
    for name in ACTORS:
        user, _ = get_user_model().objects.get_or_create(username=name)
        Membership.objects.get_or_create(user=user, team=team, defaults={"role": Role.EDITOR})

    per_day = env_int("BENCH_AUDIT_PER_DAY", 1000)
    started = time.perf_counter()
    # The append-only triggers refuse what a load does; this database is thrown away.
    with append_only_lifted():
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
                print(
                    f"  … {start + BATCH:,} events in {time.perf_counter() - started:.0f} s",
                    file=sys.stderr,
                    flush=True,
                )
        newest = AuditEvent.objects.order_by("-id").values_list("id", flat=True).first()
        ChainHead.objects.update_or_create(
            pk=HEAD_PK, defaults={"last_event_id": newest, "last_mac": previous}
        )
    if connection.vendor == "postgresql":
        # Autovacuum would do this within a minute of such a load; doing it now keeps the
        # plans the same from run to run. The checkpoint writes the load's dirty pages now,
        # rather than while the pages are being timed.
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE audit_auditevent")
            cursor.execute("CHECKPOINT")
    seconds = time.perf_counter() - started
    # The link to page DEEP_PAGE (or the last page of a smaller log) names the newest id
    # that page must not show: the last id of the page before it.
    deep = min(DEEP_PAGE, math.ceil(rows / PAGE_SIZE))
    ids = AuditEvent.objects.order_by("-id").values_list("id", flat=True)
    before = ids[(deep - 1) * PAGE_SIZE - 1] if deep > 1 else 0
    return {"seconds": seconds, "deep_page": deep, "before": before}


if __name__ == "__main__":
    import django

    django.setup()
    print(json.dumps(load(int(sys.argv[1]))))
