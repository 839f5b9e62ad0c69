"""Refusal floods: hammering a locked account, or a page one's role does not allow, writes one
event and one summary with the count, not one chained event per request; nothing is lost,
the person still reads the refusal every time, and the chain stays intact."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.db.models import F

from llmadmin.audit.models import AuditEvent, RefusalTally
from tests.teams.factories import PASSWORD, member

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
LOCKED = "This account is locked after too many failed log-ins"
EDITOR_ONLY = "/llms/new/"


def log_in(client, username: str, password: str, ip: str = "198.51.100.7"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def refusals(action: str, **details: str) -> list[AuditEvent]:
    events = AuditEvent.objects.filter(action=action).order_by("id")
    return [e for e in events if all(e.details.get(k) == v for k, v in details.items())]


def run(*command: str) -> str:
    out = StringIO()
    call_command(*command, stdout=out)
    return out.getvalue()


def flush_all() -> None:
    run("audit_flush_refusals", "--all")


def close_windows() -> None:
    """As if the coalescing window had passed."""
    RefusalTally.objects.update(first_at=F("first_at") - timedelta(hours=1))


@pytest.fixture
def erin(team):
    return member("editor", team, username="erin")


@pytest.fixture
def locked(client, erin):
    for _ in range(5):
        log_in(client, "erin", "wrong")
    assert AuditEvent.objects.filter(action="auth.lockout").count() == 1
    return erin


def test_hammering_a_locked_account_writes_one_event_and_one_count(client, locked) -> None:
    for _ in range(200):
        response = log_in(client, "erin", PASSWORD)
        assert response.status_code == 200
        assert LOCKED in response.content.decode()
    assert len(refusals("auth.login_failed", reason="locked")) == 1

    flush_all()
    first, summary = refusals("auth.login_failed", reason="locked")
    assert summary.details["repeated"] + 1 == 200
    assert summary.details["first_event_id"] == first.pk
    assert (summary.source_ip, summary.target_label) == ("198.51.100.7", "erin")
    assert summary.message.startswith("199 more refusals of auth.login_failed by 198.51.100.7")
    # 5 wrong passwords, the lock, the first refusal and its summary: nothing else.
    assert AuditEvent.objects.count() == 8
    run("audit_verify")


def test_a_viewer_hammering_an_editors_page_writes_one_event_and_one_count(client, team) -> None:
    client.force_login(member("viewer", team, username="vic"))
    for _ in range(200):
        response = client.get(EDITOR_ONLY)
        assert response.status_code == 403
        assert "editor" in response.content.decode()
    assert AuditEvent.objects.filter(action="access.denied").count() == 1

    flush_all()
    first, summary = AuditEvent.objects.filter(action="access.denied").order_by("id")
    assert summary.details["repeated"] + 1 == 200
    assert (summary.actor_username, summary.team_slug) == ("vic", "platform")
    assert summary.details["action"] == first.details["action"]
    run("audit_verify")


def test_two_actors_are_not_merged(client, team) -> None:
    for name in ("vic", "val"):
        client.force_login(member("viewer", team, username=name))
        for _ in range(3):
            assert client.get(EDITOR_ONLY).status_code == 403
    flush_all()
    events = AuditEvent.objects.filter(action="access.denied").order_by("id")
    assert [(e.actor_username, e.details.get("repeated")) for e in events] == [
        ("vic", None),
        ("val", None),
        ("vic", 2),
        ("val", 2),
    ]


def test_two_addresses_are_not_merged(client, locked) -> None:
    for ip in ("192.0.2.1", "192.0.2.2"):
        for _ in range(3):
            assert LOCKED in log_in(client, "erin", PASSWORD, ip=ip).content.decode()
    flush_all()
    events = refusals("auth.login_failed", reason="locked")
    assert [(e.source_ip, e.details.get("repeated")) for e in events] == [
        ("192.0.2.1", None),
        ("192.0.2.2", None),
        ("192.0.2.1", 2),
        ("192.0.2.2", 2),
    ]


def test_the_next_refusal_after_the_window_writes_the_count_first(client, locked) -> None:
    for _ in range(4):
        log_in(client, "erin", PASSWORD)
    close_windows()
    log_in(client, "erin", PASSWORD)
    events = refusals("auth.login_failed", reason="locked")
    assert [e.details.get("repeated") for e in events] == [None, 3, None]
    assert RefusalTally.objects.get().event_id == events[-1].pk


def test_any_later_event_writes_a_closed_count(client, locked, team) -> None:
    for _ in range(4):
        log_in(client, "erin", PASSWORD)
    close_windows()
    # Someone else's ordinary log-in: its append sweeps the closed tally.
    member("viewer", team, username="vic")
    assert log_in(client, "vic", PASSWORD, ip="203.0.113.9").status_code == 302
    assert [e.details.get("repeated") for e in refusals("auth.login_failed", reason="locked")] == [
        None,
        3,
    ]
    assert not RefusalTally.objects.exists()


def test_the_flush_command_writes_only_closed_counts_and_says_how_many(client, locked) -> None:
    for _ in range(3):
        log_in(client, "erin", PASSWORD)
    out = run("audit_flush_refusals")
    assert out == "0 summary events written.\n"
    close_windows()
    assert run("audit_flush_refusals") == "1 summary event written.\n"
    assert refusals("auth.login_failed", reason="locked")[-1].details["repeated"] == 2


def test_a_window_of_zero_writes_every_refusal(client, locked, settings) -> None:
    settings.LLMADMIN_AUDIT_COALESCE_SECONDS = 0
    for _ in range(3):
        log_in(client, "erin", PASSWORD)
    assert len(refusals("auth.login_failed", reason="locked")) == 3
