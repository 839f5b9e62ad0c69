"""Audit events streamed to a SIEM, the outside witness that keeps its own copy.

Two sinks, each configured by environment (README "Audit log: witnesses and database
roles"): an HTTP endpoint that takes JSON lines, and syslog (RFC 5424 over TCP, framed by
octet counting as RFC 6587 says, TLS optional). Each event is sent as the JSON Lines export
renders it, MAC included, so the SIEM can verify the chain; the log holds no secret, so
neither does what is sent.

Delivery happens only in the job workers, never in a request, so a sink that is down
never blocks or fails an action. Each `run_jobs` iteration queues a delivery job per sink
with a backlog; the job sends the events after the sink's cursor (models.SiemCursor) in id
order, in batches, and moves the cursor after each batch the sink took: at least once, in
order, resumable after a restart. A failure queues the next try with doubling back-off.
Appends hold the chain head's lock until they commit, so ids commit in order and an event
can't appear behind a cursor that has already passed it.
"""

from __future__ import annotations

import logging
import re
import socket
import ssl
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import requests
from django.conf import settings
from django.db.models import Q
from django.utils import timezone
from django_tasks import task
from django_tasks_db.models import DBTaskResult

from llmadmin.core.retry import retry_delay

from .export import event_json
from .models import AuditEvent, Outcome, SiemCursor

logger = logging.getLogger(__name__)

# Batches one job sends before it makes way for other jobs; the next loop queues the rest.
BATCHES_PER_JOB = 10
# Longer than a job can take (BATCHES_PER_JOB times the time-outs below), so a lease only
# expires when its worker died.
LEASE = timedelta(minutes=10)
CONNECT_TIMEOUT = 3.05
SEND_TIMEOUT = 10.0
# A worker's batch runs every job that is due: a retry due at once would spin on a sink
# that is down, so a retry waits at least this long.
MIN_RETRY_DELAY = timedelta(seconds=1)
# The backlog is counted up to this many events, so /healthz stays cheap whatever its size.
BACKLOG_LIMIT = 10_000

# RFC 5424: facility 13 (log audit); informational for a success, notice otherwise.
FACILITY = 13
INFORMATIONAL, NOTICE = 6, 5


class SinkError(Exception):
    """A sink did not take a batch. The message is a sentence with no URL or token in it."""


class HttpSink:
    """POSTs a batch as JSON lines; any 2xx answer means the sink has it."""

    name = "http"

    def send(self, events: Sequence[AuditEvent]) -> None:
        body = "".join(event_json(event) + "\n" for event in events).encode()
        headers = {"Content-Type": "application/x-ndjson; charset=utf-8"}
        token = settings.LLMADMIN_SIEM_HTTP_TOKEN
        if token and settings.LLMADMIN_SIEM_HTTP_HEADER:
            headers[settings.LLMADMIN_SIEM_HTTP_HEADER] = token
        elif token:
            headers["Authorization"] = f"Bearer {token}"
        # The URL may carry credentials, and requests names it in its errors: say less.
        try:
            response = requests.post(
                settings.LLMADMIN_SIEM_HTTP_URL,
                data=body,
                headers=headers,
                timeout=(CONNECT_TIMEOUT, SEND_TIMEOUT),
                allow_redirects=False,
            )
        except requests.Timeout:
            raise SinkError("The HTTP sink did not answer in time.") from None
        except requests.RequestException:
            raise SinkError("The HTTP sink could not be reached.") from None
        response.close()
        if not 200 <= response.status_code < 300:
            raise SinkError(f"The HTTP sink answered {response.status_code}.")


def _printable(text: str, limit: int) -> str:
    # RFC 5424 header fields are printable US-ASCII without spaces, or "-" when empty.
    return re.sub(r"[^!-~]", "", text)[:limit] or "-"


def syslog_frame(event: AuditEvent, hostname: str) -> bytes:
    """One event as an RFC 5424 message, framed by its length in octets (RFC 6587)."""
    severity = INFORMATIONAL if event.outcome == Outcome.SUCCESS else NOTICE
    priority = FACILITY * 8 + severity
    stamp = event.occurred_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
    message = (
        f"<{priority}>1 {stamp} {hostname} llmadmin - {_printable(event.action, 32)} - "
        f"{event_json(event)}"
    ).encode()
    return f"{len(message)} ".encode() + message


class SyslogSink:
    """Sends a batch over one TCP (or TLS) connection, then closes its side and waits for
    the receiver to close too: that tells it the receiver has read every message."""

    name = "syslog"

    def send(self, events: Sequence[AuditEvent]) -> None:
        host, _, port = settings.LLMADMIN_SIEM_SYSLOG.rpartition(":")
        host = host.strip("[]")
        hostname = _printable(socket.gethostname(), 255)
        frames = b"".join(syslog_frame(event, hostname) for event in events)
        try:
            with socket.create_connection((host, int(port)), timeout=CONNECT_TIMEOUT) as raw:
                raw.settimeout(SEND_TIMEOUT)
                if settings.LLMADMIN_SIEM_SYSLOG_TLS:
                    context = ssl.create_default_context(
                        cafile=settings.LLMADMIN_SIEM_SYSLOG_CA_FILE or None
                    )
                    with context.wrap_socket(raw, server_hostname=host) as tls:
                        _send_and_wait(tls, frames)
                else:
                    _send_and_wait(raw, frames)
        except TimeoutError:
            raise SinkError("The syslog sink did not answer in time.") from None
        except ssl.SSLError as exc:
            raise SinkError(f"The syslog sink's TLS failed: {exc.reason}.") from None
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise SinkError(f"The syslog sink could not be reached: {reason}.") from None


def _send_and_wait(connection: socket.socket, frames: bytes) -> None:
    connection.sendall(frames)
    connection.shutdown(socket.SHUT_WR)
    while connection.recv(4096):
        pass


def configured_sinks() -> dict[str, HttpSink | SyslogSink]:
    sinks: dict[str, HttpSink | SyslogSink] = {}
    if settings.LLMADMIN_SIEM_HTTP_URL:
        sinks[HttpSink.name] = HttpSink()
    if settings.LLMADMIN_SIEM_SYSLOG:
        sinks[SyslogSink.name] = SyslogSink()
    return sinks


@task()
def deliver_audit_events(sink_name: str) -> None:
    """Send `sink_name` the events after its cursor, a batch at a time, moving the cursor
    after each batch it took. On failure the cursor stays and a retry is queued."""
    sink = configured_sinks().get(sink_name)
    if sink is None:  # configured away since the job was queued
        return
    cursor, _ = SiemCursor.objects.get_or_create(sink=sink_name)
    now = timezone.now()
    free = Q(leased_until__isnull=True) | Q(leased_until__lt=now)
    if not SiemCursor.objects.filter(free, pk=cursor.pk).update(leased_until=now + LEASE):
        return  # another worker is delivering to this sink
    try:
        _deliver(sink, cursor)
    finally:
        SiemCursor.objects.filter(pk=cursor.pk).update(leased_until=None)


def _deliver(sink: HttpSink | SyslogSink, cursor: SiemCursor) -> None:
    cursor.refresh_from_db()  # another worker may have moved it before we took the lease
    for _ in range(BATCHES_PER_JOB):
        events = list(
            AuditEvent.objects.filter(pk__gt=cursor.last_event_id).order_by("id")[
                : settings.LLMADMIN_SIEM_BATCH
            ]
        )
        if not events:
            return
        try:
            sink.send(events)
        except SinkError as exc:
            _failed(cursor, str(exc))
            return
        cursor.last_event_id = events[-1].pk
        SiemCursor.objects.filter(pk=cursor.pk).update(
            last_event_id=cursor.last_event_id, failures=0, next_try_at=None, last_error=""
        )


def _failed(cursor: SiemCursor, error: str) -> None:
    failures = cursor.failures + 1
    next_try_at = timezone.now() + max(retry_delay(failures, None), MIN_RETRY_DELAY)
    SiemCursor.objects.filter(pk=cursor.pk).update(
        failures=failures, next_try_at=next_try_at, last_error=error
    )
    logger.warning(
        "%s Audit events after %s wait; trying again at %s (failure %s in a row).",
        error,
        cursor.last_event_id,
        next_try_at.isoformat(),
        failures,
    )
    deliver_audit_events.using(run_after=next_try_at).enqueue(cursor.sink)


def _queued(sink_name: str) -> bool:
    waiting = DBTaskResult.objects.filter(
        status="READY", task_path=deliver_audit_events.module_path
    ).values_list("args_kwargs", flat=True)
    return any(job["args"] == [sink_name] for job in waiting)


def queue_deliveries() -> None:
    """Queue a delivery job for each sink that has events to send and none queued yet
    (a retry waiting for its time counts). Every worker calls this on each loop."""
    for name in configured_sinks():
        position = (
            SiemCursor.objects.filter(sink=name).values_list("last_event_id", flat=True).first()
        )
        if AuditEvent.objects.filter(pk__gt=position or 0).exists() and not _queued(name):
            deliver_audit_events.enqueue(name)


@dataclass(frozen=True)
class SinkState:
    name: str
    backlog: int  # events not yet delivered, counted up to BACKLOG_LIMIT
    failures: int
    next_try_at: datetime | None
    last_error: str

    @property
    def backlog_text(self) -> str:
        count = f"{self.backlog:,}" + (" or more" if self.backlog >= BACKLOG_LIMIT else "")
        return f"{count} event{'' if self.backlog == 1 else 's'}"


def sink_states() -> list[SinkState]:
    """Each configured sink's backlog and trouble, for /healthz and the audit page."""
    cursors = {cursor.sink: cursor for cursor in SiemCursor.objects.all()}
    states = []
    for name in configured_sinks():
        cursor = cursors.get(name) or SiemCursor(sink=name)
        pending = AuditEvent.objects.filter(pk__gt=cursor.last_event_id).order_by()
        states.append(
            SinkState(
                name=name,
                backlog=pending[:BACKLOG_LIMIT].count(),
                failures=cursor.failures,
                next_try_at=cursor.next_try_at,
                last_error=cursor.last_error,
            )
        )
    return states
