"""Audit events streamed to a SIEM's HTTP collector by the job worker (`run_jobs --once`):
in order, at least once, with their MACs, through a collector that refuses or is down for a
while, and with the backlog shown on /healthz and the audit page. The collector is a real
HTTP server on a loopback port."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from llmadmin.audit import siem
from llmadmin.audit.chain import mac_for
from llmadmin.audit.models import AuditEvent, SiemCursor
from tests.audit.factories import event
from tests.audit.test_views import login
from tests.support.gunicorn import free_port

# The worker closes and reopens its connection, which a test inside one transaction forbids.
pytestmark = pytest.mark.django_db(transaction=True)
TOKEN = "siem-token-0123456789abcdef"


class Collector:
    """A SIEM's HTTP collector: keeps every JSON line it accepts, answers 500 while
    `refusing`, and can be stopped and started again on the same port."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.refusing = False
        self.lines: list[dict[str, Any]] = []
        self.headers: list[dict[str, str]] = []
        self.refused = 0
        self._server: ThreadingHTTPServer | None = None

    def start(self) -> None:
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if collector.refusing:
                    collector.refused += 1
                    self.send_response(500)
                else:
                    collector.headers.append({k.lower(): v for k, v in self.headers.items()})
                    collector.lines += [json.loads(line) for line in body.splitlines()]
                    self.send_response(204)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self._server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def ids(self) -> list[int]:
        return [line["id"] for line in self.lines]


@pytest.fixture
def collector(settings) -> Iterator[Collector]:
    collector = Collector(free_port())
    collector.start()
    settings.LLMADMIN_SIEM_HTTP_URL = f"http://127.0.0.1:{collector.port}/ingest"
    settings.LLMADMIN_SIEM_HTTP_TOKEN = TOKEN
    settings.LLMADMIN_SIEM_BATCH = 2
    yield collector
    collector.stop()


def run_jobs() -> None:
    call_command("run_jobs", once=True, verbosity=0)


def all_ids() -> list[int]:
    return list(AuditEvent.objects.order_by("id").values_list("id", flat=True))


def cursor() -> SiemCursor:
    return SiemCursor.objects.get(sink="http")


def until_retry_is_due() -> None:
    """Sleep until the sink's next try is due (a wait for the back-off, not a measurement)."""
    while timezone.now() <= cursor().next_try_at:
        time.sleep(0.1)


def as_event(line: dict[str, Any]) -> AuditEvent:
    fields = {**line, "occurred_at": datetime.fromisoformat(line["occurred_at"])}
    return AuditEvent(**fields)


@pytest.mark.parametrize("header", ["", "X-Siem-Secret"])
def test_events_reach_the_collector_in_order_with_the_secret_and_verifiable_macs(
    collector: Collector, settings, header: str
) -> None:
    settings.LLMADMIN_SIEM_HTTP_HEADER = header
    for n in range(5):
        event(message=f"event {n}", details={"n": n})
    run_jobs()
    assert collector.ids() == all_ids()
    # Each line is the event as the JSON Lines export renders it: the SIEM can check its MAC.
    for line in collector.lines:
        assert line["mac"] == mac_for(as_event(line))
    expected = {"x-siem-secret": TOKEN} if header else {"authorization": f"Bearer {TOKEN}"}
    for sent in collector.headers:
        assert expected.items() <= sent.items()
        assert sent["content-type"].startswith("application/x-ndjson")
    assert len(collector.headers) == -(-len(all_ids()) // 2)  # batches of two

    run_jobs()  # nothing new: nothing sent again
    assert collector.ids() == all_ids()
    assert cursor().last_event_id == all_ids()[-1]


def test_a_refusing_collector_blocks_no_action_loses_nothing_and_shows_its_backlog(
    collector: Collector, client, team
) -> None:
    collector.refusing = True
    for n in range(3):
        event(message=f"event {n}")
    run_jobs()
    assert collector.refused == 1 and collector.lines == []
    assert (cursor().failures, cursor().last_error) == (1, "The HTTP sink answered 500.")

    # An action while the sink is down is done and recorded as ever.
    login(client, "auditor", team, "aud")
    assert client.get("/audit/export.jsonl").status_code == 200
    backlog = len(all_ids())
    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json()["status"] == "ok"
    assert health.json()["siem_backlog"] == {"http": backlog}
    page = client.get("/audit/").content.decode()
    assert f"Copy in the SIEM (http):\n    {backlog} events not sent yet." in page
    assert "The HTTP sink answered 500." in page

    collector.refusing = False
    until_retry_is_due()
    run_jobs()
    assert collector.ids() == all_ids()
    assert (cursor().failures, cursor().last_error, cursor().next_try_at) == (0, "", None)
    assert client.get("/healthz").json()["siem_backlog"] == {"http": 0}
    assert "Copy in the SIEM (http):\n    up to date." in client.get("/audit/").content.decode()


def test_a_collector_down_for_a_while_gets_everything_when_it_is_back(
    collector: Collector, settings, caplog
) -> None:
    # Credentials in the URL must not reach the log, the cursor or the health check.
    settings.LLMADMIN_SIEM_HTTP_URL = f"http://siem:hunter2@127.0.0.1:{collector.port}/"
    collector.stop()
    event(message="while it was down")
    run_jobs()
    event(message="still down")
    until_retry_is_due()
    run_jobs()
    assert cursor().failures == 2
    assert cursor().last_error == "The HTTP sink could not be reached."
    assert "could not be reached" in caplog.text
    assert "hunter2" not in caplog.text and TOKEN not in caplog.text

    collector.start()
    event(message="back")
    until_retry_is_due()
    run_jobs()
    assert collector.ids() == all_ids()
    assert collector.headers[0]["authorization"].startswith("Basic ")  # from the URL, as asked


def test_delivery_resumes_from_the_cursor_after_a_restart(
    collector: Collector, monkeypatch
) -> None:
    """A worker that stops after one batch (killed, redeployed) leaves the cursor where the
    collector's copy ends; the next worker sends the rest, nothing twice."""
    monkeypatch.setattr(siem, "BATCHES_PER_JOB", 1)
    for n in range(5):
        event(message=f"event {n}")
    ids = all_ids()
    run_jobs()
    assert collector.ids() == ids[:2] and cursor().last_event_id == ids[1]
    while cursor().last_event_id < ids[-1]:
        run_jobs()
    assert collector.ids() == ids


def test_a_sink_leased_by_another_worker_is_left_to_it(collector: Collector) -> None:
    """Two workers never send to one sink at once, so batches can't overtake each other."""
    event(message="one")
    SiemCursor.objects.create(sink="http", leased_until=timezone.now() + siem.LEASE)
    run_jobs()
    assert collector.lines == []
    SiemCursor.objects.filter(sink="http").update(leased_until=timezone.now())  # it expired
    run_jobs()
    assert collector.ids() == all_ids()
