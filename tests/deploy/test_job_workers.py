"""Two instances and two queue workers on one PostgreSQL database (the production queue):
a sync asked for on one instance is run by exactly one worker, its progress and outcome can
be read on the other instance, and every job runs once with its one audit event."""

from __future__ import annotations

import json
import time
from contextlib import ExitStack
from pathlib import Path

import requests

from emulator import running_emulator
from tests.llms.lifecycle_support import upstream_record
from tests.support.gunicorn import environment, gunicorn, log_in, manage, serve, worker

PASSWORD = "job-workers-Pw-3318"
API_KEY = "job-workers-emulator-key"
SYNCS = 4
REPORT = """
import json
from django_tasks_db.models import DBTaskResult
from llmadmin.audit.models import AuditEvent
from llmadmin.llms.models import LLMDefinition, SyncRun
print(json.dumps({
    "runs": sorted(SyncRun.objects.values_list("state", flat=True)),
    "jobs": [[t.status, len(t.worker_ids)] for t in DBTaskResult.objects.all()],
    "events": list(AuditEvent.objects.filter(action="llm.sync").values_list("outcome", flat=True)),
    "llms": LLMDefinition.objects.count(),
}))
"""


def finished(session: requests.Session, base: str) -> str:
    """The progress line once the newest run has ended (a wait, not a measurement)."""
    deadline = time.monotonic() + 60
    while True:
        text = session.get(f"{base}/llms/sync/progress/", timeout=10).text
        if "hx-trigger" not in text:
            return text
        assert time.monotonic() < deadline, text
        time.sleep(0.2)


def test_two_workers_share_one_queue_behind_two_instances(
    shared_postgres: str, tmp_path: Path
) -> None:
    with running_emulator(api_key=API_KEY) as emulator, ExitStack() as stack:
        env = environment(
            DATABASE_URL=shared_postgres,
            VECTARA_API_URL=emulator.base_url,
            VECTARA_API_KEY=API_KEY,
            STATIC_ROOT=str(tmp_path / "static"),
            WEB_CONCURRENCY="1",
            LLMADMIN_DEMO_PASSWORD=PASSWORD,
            LLMADMIN_SYNC_EVERY_MINUTES="0",
        )
        a = stack.enter_context(serve(env, tmp_path / "a.log"))  # migrates
        b = stack.enter_context(gunicorn(env, tmp_path / "b.log"))
        assert manage("seed_demo", env=env).returncode == 0
        for n in (1, 2):
            stack.enter_context(worker(env, tmp_path / f"worker-{n}.log"))
        on_a, on_b = requests.Session(), requests.Session()
        assert log_in(on_a, a.url, "editor", PASSWORD).status_code == 302
        assert log_in(on_b, b.url, "admin", PASSWORD).status_code == 302

        for n in range(SYNCS):
            emulator.store.put(upstream_record(f"outside-{n}"))
            token = on_a.get(f"{a.url}/llms/sync/", timeout=10).text
            csrf = token.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
            asked = on_a.post(f"{a.url}/llms/sync/", data={"csrfmiddlewaretoken": csrf}, timeout=10)
            assert asked.status_code == 200 and "Sync asked for by editor" in asked.text
            # The other instance follows the same run to its end.
            assert "Sync finished: " in finished(on_b, b.url)

        report = manage("shell", "-c", REPORT, env=env)
        assert report.returncode == 0, report.stderr
        seen = json.loads(report.stdout.strip().splitlines()[-1])
    assert seen["runs"] == ["done"] * SYNCS
    # Every job ran exactly once, taken by one worker, however the two raced for it.
    assert seen["jobs"] == [["SUCCESSFUL", 1]] * SYNCS
    assert seen["events"] == ["success"] * SYNCS
    assert seen["llms"] == SYNCS + 3  # with the emulator's three built-in LLMs
