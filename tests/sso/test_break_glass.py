"""Password log-in turned off for everyone but the break-glass accounts, whose every log-in is
an audit event of its own; they still work when the provider is down."""

from __future__ import annotations

import pytest

from llmadmin.audit.models import AuditEvent
from tests.teams.factories import PASSWORD, UserFactory, member


@pytest.fixture
def password_off(provider, settings):
    settings.LLMADMIN_PASSWORD_LOGIN = False
    settings.LLMADMIN_BREAK_GLASS_ACCOUNTS = ["rescue"]
    UserFactory(username="rescue", is_superuser=True)
    member("editor", username="erin")


def log_in(client, username: str, password: str = PASSWORD):
    return client.post("/accounts/login/", {"username": username, "password": password})


def test_password_log_in_is_refused_for_everyone_else(client, password_off):
    page = log_in(client, "erin")
    assert page.status_code == 200
    assert (
        "Password sign-in is turned off except for break-glass accounts. Sign in with Acme ID"
        in (page.content.decode())
    )
    assert not page.wsgi_request.user.is_authenticated
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert event.details["reason"] == "password_login_off"


def test_the_log_in_page_tucks_the_password_form_away(client, password_off):
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Acme ID" in page
    assert "<summary>Break-glass log-in with a password</summary>" in page


def test_every_break_glass_log_in_is_audited_with_its_outcome(client, password_off):
    assert log_in(client, "rescue", "wrong").status_code == 200
    assert log_in(client, "rescue", "wrong again").status_code == 200
    assert log_in(client, "rescue").status_code == 302
    events = AuditEvent.objects.filter(action="auth.break_glass_login").order_by("id")
    assert [e.outcome for e in events] == ["failure", "failure", "success"]
    assert events.last().target_label == "rescue"


def test_break_glass_works_while_the_provider_is_down(client, password_off, settings):
    from llmadmin.sso.client import forget_clients

    settings.LLMADMIN_OIDC_ISSUER = "http://127.0.0.1:9"
    forget_clients()
    client.get("/sso/login/")
    assert AuditEvent.objects.filter(details__reason="provider_unreachable").exists()
    assert log_in(client, "rescue").status_code == 302
    assert client.get("/teams/").status_code == 200
