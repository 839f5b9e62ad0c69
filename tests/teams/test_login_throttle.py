"""Log-in throttling through the real log-in page; django-axes counts in the database."""

from __future__ import annotations

import time

import pytest
from axes.models import AccessAttempt
from django.core.management import call_command

from llmadmin.audit.models import AuditEvent
from tests.teams.factories import PASSWORD, member

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


@pytest.fixture
def erin(team):
    return member("editor", team, username="erin")


def attempt(client, username: str, password: str, ip: str = "198.51.100.1"):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR=ip)


def actions() -> list[str]:
    return list(AuditEvent.objects.order_by("id").values_list("action", flat=True))


def test_a_good_log_in_and_log_out_are_recorded(client, erin) -> None:
    response = attempt(client, "erin", PASSWORD)
    assert response.status_code == 302
    client.post("/accounts/logout/")
    events = list(AuditEvent.objects.order_by("id"))
    assert [(e.action, e.actor_username, e.source_ip) for e in events] == [
        ("auth.login", "erin", "198.51.100.1"),
        ("auth.logout", "erin", "127.0.0.1"),
    ]


def test_five_failures_lock_the_account_with_a_sentence(client, erin) -> None:
    for _ in range(4):
        response = attempt(client, "erin", "wrong")
        assert "enter a correct username and password" in response.content.decode()
    response = attempt(client, "erin", "wrong")
    assert "it is locked for 15 minutes" in response.content.decode()
    assert actions() == ["auth.login_failed"] * 5 + ["auth.lockout"]

    # Even the right password, from another address, is refused while the lock lasts.
    response = attempt(client, "ERIN ", PASSWORD, ip="203.0.113.5")
    assert response.status_code == 200
    assert "This account is locked after too many failed log-ins" in response.content.decode()
    assert "_auth_user_id" not in client.session
    event = AuditEvent.objects.order_by("-id").first()
    assert (event.action, event.details["reason"]) == ("auth.login_failed", "locked")


def test_a_success_clears_the_accounts_failures(client, erin) -> None:
    for _ in range(4):
        attempt(client, "erin", "wrong")
    assert attempt(client, "erin", PASSWORD).status_code == 302
    client.post("/accounts/logout/")
    for _ in range(4):
        attempt(client, "erin", "wrong")
    assert "auth.lockout" not in actions()


def test_the_lock_expires(client, erin, settings) -> None:
    settings.LLMADMIN_LOGIN_LOCKOUT_SECONDS = 1
    for _ in range(5):
        attempt(client, "erin", "wrong")
    assert "locked" in attempt(client, "erin", PASSWORD).content.decode()
    time.sleep(1.1)
    assert attempt(client, "erin", PASSWORD).status_code == 302


def test_twenty_failures_from_one_address_block_it_for_every_account(
    client, erin, settings
) -> None:
    settings.LLMADMIN_LOGIN_MAX_FAILURES_PER_USER = 1000
    for n in range(20):
        attempt(client, f"guess{n % 3}", "wrong", ip="192.0.2.66")
    response = attempt(client, "erin", PASSWORD, ip="192.0.2.66")
    assert "Too many failed log-ins came from your network address" in response.content.decode()
    # The owner, from their own address, is not affected.
    assert attempt(client, "erin", PASSWORD, ip="198.51.100.1").status_code == 302


def test_the_address_block_ends_with_its_window(client, erin, settings) -> None:
    settings.LLMADMIN_LOGIN_MAX_FAILURES_PER_IP = 3
    settings.LLMADMIN_LOGIN_WINDOW_SECONDS = 1
    for _ in range(3):
        attempt(client, "nobody", "wrong", ip="192.0.2.66")
    assert "network address" in attempt(client, "erin", PASSWORD, ip="192.0.2.66").content.decode()
    time.sleep(1.1)
    assert attempt(client, "erin", PASSWORD, ip="192.0.2.66").status_code == 302


def test_unknown_accounts_lock_the_same_way(client, db) -> None:
    # Otherwise the lock message would tell which usernames exist.
    for _ in range(5):
        response = attempt(client, "nobody", "wrong")
    assert "it is locked for 15 minutes" in response.content.decode()


def test_failures_are_counted_in_the_database_and_an_admin_can_unlock(client, erin) -> None:
    for _ in range(5):
        attempt(client, "erin", "wrong")
    # Counted where every worker sees them, under the account's own name.
    assert AccessAttempt.objects.filter(username="erin").count() == 1
    call_command("axes_reset_username", "erin")
    assert attempt(client, "erin", PASSWORD).status_code == 302


def test_a_good_log_in_forgives_only_its_own_accounts_failures(client, erin, settings) -> None:
    settings.LLMADMIN_LOGIN_MAX_FAILURES_PER_IP = 6
    for n in range(5):
        attempt(client, f"guess{n}", "wrong", ip="192.0.2.66")
    assert attempt(client, "erin", PASSWORD, ip="192.0.2.66").status_code == 302
    client.post("/accounts/logout/")
    # Her log-in did not wipe the address's guesses at others: one more reaches its limit.
    attempt(client, "guess5", "wrong", ip="192.0.2.66")
    response = attempt(client, "erin", PASSWORD, ip="192.0.2.66")
    assert "Too many failed log-ins came from your network address" in response.content.decode()


def test_a_forced_log_in_writes_no_log_in_event(client, erin) -> None:
    client.force_login(erin)
    assert actions() == []
