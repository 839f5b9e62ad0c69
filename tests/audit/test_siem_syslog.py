"""Audit events to syslog: Debian's rsyslogd, started by the test with imtcp on a free
loopback port, receives RFC 5424 messages framed by octet counting, and gets every event,
in order, after being down for a while."""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.utils import timezone

from llmadmin.audit.models import AuditEvent, SiemCursor
from tests.audit.factories import event
from tests.support.gunicorn import free_port

# The worker closes and reopens its connection, which a test inside one transaction forbids.
pytestmark = pytest.mark.django_db(transaction=True)
RSYSLOGD = shutil.which("rsyslogd") or shutil.which("rsyslogd", path="/usr/sbin")
# How long rsyslogd may take to start or to write what it received before the test fails.
DEADLINE = 30.0


class Rsyslog:
    """rsyslogd in the foreground, writing each message's MSGID and MSG to one file."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.port = free_port()
        self.output = workdir / "received.log"
        self.config = workdir / "rsyslog.conf"
        self.config.write_text(
            f'global(workDirectory="{workdir}")\n'
            'module(load="imtcp")\n'
            'template(name="event" type="string" string="%msgid% %pri% %msg%\\n")\n'
            f'input(type="imtcp" address="127.0.0.1" port="{self.port}" ruleset="siem")\n'
            'ruleset(name="siem") {\n'
            f'  action(type="omfile" file="{self.output}" template="event")\n'
            "}\n"
        )
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        assert RSYSLOGD
        self.process = subprocess.Popen(  # noqa: S603 - a fixed argv, no shell
            [RSYSLOGD, "-n", "-f", str(self.config), "-i", str(self.workdir / "pid")],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self._until(self._listening, "rsyslogd did not start listening")

    def stop(self) -> None:
        if self.process:
            self.process.terminate()
            self.process.wait(timeout=DEADLINE)
            self.process = None

    def _listening(self) -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    def _until(self, condition: object, failure: str) -> None:
        deadline = time.monotonic() + DEADLINE
        while not condition():  # type: ignore[operator]
            assert time.monotonic() < deadline, failure
            time.sleep(0.1)

    def lines(self) -> list[tuple[str, int, dict[str, object]]]:
        if not self.output.exists():
            return []
        received = []
        for line in self.output.read_text().splitlines():
            msgid, pri, msg = line.split(" ", 2)
            received.append((msgid, int(pri), json.loads(msg)))
        return received

    def ids(self, count: int) -> list[object]:
        """The event ids received, once at least `count` messages are in the file."""
        self._until(lambda: len(self.lines()) >= count, "rsyslogd did not write the events")
        return [payload["id"] for _msgid, _pri, payload in self.lines()]


@pytest.fixture
def rsyslog(tmp_path: Path, settings) -> Iterator[Rsyslog]:
    if not RSYSLOGD:
        pytest.skip("RSYSLOGD NOT INSTALLED: syslog delivery NOT tested (apt-get install rsyslog)")
    daemon = Rsyslog(tmp_path)
    daemon.start()
    settings.LLMADMIN_SIEM_SYSLOG = f"127.0.0.1:{daemon.port}"
    settings.LLMADMIN_SIEM_BATCH = 2
    yield daemon
    daemon.stop()


def run_jobs() -> None:
    call_command("run_jobs", once=True, verbosity=0)


def all_ids() -> list[int]:
    return list(AuditEvent.objects.order_by("id").values_list("id", flat=True))


def test_events_reach_rsyslog_in_order_as_rfc5424(rsyslog: Rsyslog) -> None:
    event(action="llm.create", message="héllo")
    event(action="llm.delete", outcome="failure")
    run_jobs()
    ids = all_ids()
    assert rsyslog.ids(len(ids)) == ids
    *_, (create_id, create_pri, create), (delete_id, delete_pri, delete) = rsyslog.lines()
    # MSGID is the action; facility "log audit", informational for a success, else notice.
    assert (create_id, create_pri, create["message"]) == ("llm.create", 110, "héllo")
    assert (delete_id, delete_pri, delete["outcome"]) == ("llm.delete", 109, "failure")
    assert delete["mac"] == AuditEvent.objects.get(pk=delete["id"]).mac


def test_rsyslog_down_for_a_while_gets_every_event_in_order_when_back(
    rsyslog: Rsyslog,
) -> None:
    event(message="before")
    run_jobs()
    delivered = rsyslog.ids(len(all_ids()))

    rsyslog.stop()
    for n in range(3):
        event(message=f"while down {n}")
    run_jobs()
    cursor = SiemCursor.objects.get(sink="syslog")
    assert cursor.failures == 1
    assert cursor.last_error.startswith("The syslog sink could not be reached")
    assert cursor.last_event_id == delivered[-1]

    rsyslog.start()
    while timezone.now() <= cursor.next_try_at:  # type: ignore[operator]
        time.sleep(0.1)  # the back-off, not a measurement
    run_jobs()
    ids = all_ids()
    received = rsyslog.ids(len(ids))
    # At least once and in order: every event, none out of order, none sent twice here.
    assert received == ids
