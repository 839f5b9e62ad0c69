"""What happens to an open session: the provider re-confirms it after the re-check time,
leaving the company or a group takes effect then, a deactivated or deleted account loses it at
once, and logging out ends the provider's session too. And rotation of the provider's keys."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model

from llmadmin.audit.models import AuditEvent
from llmadmin.sso.views import CHECKED_AT
from llmadmin.teams.models import Membership


def alice():
    return get_user_model().objects.get(username="alice@example.com")


def age_session(client, seconds: int) -> None:
    """Make the provider's last confirmation `seconds` older, as if time had passed."""
    session = client.session
    session[CHECKED_AT] -= seconds
    session.save()


def test_within_the_recheck_time_nothing_is_asked(client, provider, sign_in):
    sign_in("alice")
    provider.set_groups("alice", [])
    age_session(client, 14 * 60)
    assert client.get("/llms/").status_code == 200
    assert Membership.objects.filter(user=alice()).exists()


def test_a_group_removed_at_the_provider_is_gone_after_the_recheck_time(
    client, provider, sign_in, browser_at_provider
):
    sign_in("alice")
    provider.set_groups("alice", ["data-eng"])
    age_session(client, 15 * 60 + 1)
    answer = client.get("/llms/?q=x")
    assert answer.status_code == 302
    assert answer["Location"].startswith("/sso/login/?recheck=1")
    # prompt=none: the provider answers from its own session, without a page.
    to_provider = client.get(answer["Location"])
    assert parse_qs(urlsplit(to_provider["Location"]).query)["prompt"] == ["none"]
    back = browser_at_provider.through(client, to_provider)
    assert back["Location"] == "/llms/?q=x"
    assert {m.team.slug for m in Membership.objects.filter(user=alice())} == {"data"}
    assert AuditEvent.objects.get(action="membership.remove").details["group"] == "platform-eng"
    assert AuditEvent.objects.filter(action="sso.recheck", outcome="success").count() == 1
    assert client.get("/llms/").status_code == 200  # confirmed again for another 15 minutes


def test_someone_removed_from_the_provider_loses_the_open_session(
    client, provider, sign_in, browser_at_provider
):
    sign_in("alice")
    provider.remove("alice")
    age_session(client, 15 * 60 + 1)
    back = browser_at_provider.through(client, client.get(client.get("/llms/")["Location"]))
    assert back["Location"] == "/accounts/login/"
    page = client.get("/accounts/login/")
    assert not page.wsgi_request.user.is_authenticated
    said = " ".join(m.message for m in page.context["messages"])
    assert "Acme ID no longer confirms your sign-in" in said
    ended = AuditEvent.objects.get(action="sso.recheck")
    assert (ended.outcome, ended.details["reason"]) == ("denied", "login_required")
    assert client.get("/llms/").status_code == 302


def test_a_htmx_request_after_the_recheck_time_reloads_through_the_provider(
    client, provider, sign_in
):
    sign_in("alice")
    age_session(client, 15 * 60 + 1)
    answer = client.get(
        "/llms/", headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/llms/?q=a"}
    )
    assert answer.status_code == 204
    assert answer["HX-Redirect"].startswith("/sso/login/?recheck=1")


def test_a_provider_down_at_the_recheck_ends_the_session(client, provider, sign_in, settings):
    from llmadmin.sso.client import forget_clients

    sign_in("alice")
    settings.LLMADMIN_OIDC_ISSUER = "http://127.0.0.1:9"
    forget_clients()
    age_session(client, 15 * 60 + 1)
    answer = client.get(client.get("/llms/")["Location"])
    assert answer["Location"] == "/accounts/login/"
    assert client.get("/llms/").status_code == 302
    assert AuditEvent.objects.get(action="sso.recheck").details["reason"] == (
        "provider_unreachable"
    )


@pytest.mark.parametrize("how", ["deactivated", "deleted"])
def test_a_deactivated_or_deleted_account_loses_every_session_at_once(client, provider, how):
    from django.test import Client

    from tests.teams.factories import PASSWORD, member

    member("editor", username="erin")
    browsers = [client, Client()]
    for browser in browsers:
        browser.post("/accounts/login/", {"username": "erin", "password": PASSWORD})
        assert browser.get("/llms/").status_code == 200
    erin = get_user_model().objects.get(username="erin")
    if how == "deactivated":
        erin.is_active = False
        erin.save()
    else:
        erin.delete()
    for browser in browsers:
        assert browser.get("/llms/").status_code == 302


def test_log_out_ends_the_session_at_the_provider_too(
    client, provider, sign_in, browser_at_provider
):
    sign_in("alice")
    answer = client.post("/accounts/logout/")
    assert client.get("/llms/").status_code == 302  # the local session is over
    end = urlsplit(answer["Location"])
    assert end.netloc == f"127.0.0.1:{provider.port}"
    params = parse_qs(end.query)
    assert params["client_id"] == ["llmadmin"]
    assert params["post_logout_redirect_uri"] == ["http://testserver/accounts/login/"]
    back = browser_at_provider.through(client, answer)
    assert back.status_code == 200  # llmadmin's log-in page
    assert AuditEvent.objects.get(action="auth.logout").details["provider_logout"] is True
    # The provider's session is over too: signing in again asks for the password.
    again = browser_at_provider.http.get(client.get("/sso/login/")["Location"], timeout=10)
    assert "Test provider: sign in" in again.text


def test_the_provider_rotating_its_keys_needs_no_restart(client, own_provider, sign_in):
    sign_in("alice")
    old_kid = own_provider.keys[0]["kid"]
    client.post("/accounts/logout/")
    own_provider.rotate_keys()
    assert own_provider.keys[0]["kid"] != old_kid
    # llmadmin still holds the old key set: the token names a key it hasn't seen, so it
    # fetches the provider's JWKS again and verifies with the new key.
    from llmadmin.sso.client import Config
    from llmadmin.sso.client import client as relying_party
    from tests.support.oidc_provider import ProviderBrowser

    held = relying_party(Config.current()).server_metadata["jwks"]["keys"]
    assert [key["kid"] for key in held] == [old_kid]

    answer = ProviderBrowser().through(client, client.get("/sso/login/"), login="alice")
    assert answer["Location"] == "/"
    assert client.get("/llms/").status_code == 200


def test_turning_single_sign_on_off_ends_its_sessions(client, provider, sign_in, settings):
    sign_in("alice")
    settings.LLMADMIN_OIDC_ISSUER = ""
    answer = client.get("/llms/")
    assert answer["Location"] == "/accounts/login/"
    page = client.get("/accounts/login/")
    assert not page.wsgi_request.user.is_authenticated
    assert "was turned off" in " ".join(m.message for m in page.context["messages"])


def test_a_deactivated_account_cannot_sign_in_with_the_provider(client, provider, sign_in):
    sign_in("alice")
    client.post("/accounts/logout/")
    get_user_model().objects.filter(username="alice@example.com").update(is_active=False)
    answer = sign_in("alice")
    assert answer["Location"] == "/accounts/login/"
    page = client.get("/accounts/login/")
    assert not page.wsgi_request.user.is_authenticated
    assert "is deactivated" in " ".join(m.message for m in page.context["messages"])
    assert AuditEvent.objects.get(action="auth.login_failed").details["reason"] == (
        "account_deactivated"
    )


def test_a_form_sent_after_the_recheck_time_comes_back_to_its_page(
    client, provider, sign_in, browser_at_provider
):
    sign_in("alice")
    age_session(client, 15 * 60 + 1)
    answer = client.post(
        "/teams/switch/", {"team": "1"}, headers={"Referer": "http://testserver/teams/"}
    )
    assert answer["Location"].startswith("/sso/login/?recheck=1")
    back = browser_at_provider.through(client, client.get(answer["Location"]))
    assert back["Location"] == "http://testserver/teams/"
    # Another site's page is no place to come back to.
    age_session(client, 15 * 60 + 1)
    answer = client.post("/teams/switch/", {"team": "1"}, headers={"Referer": "https://evil.test/"})
    back = browser_at_provider.through(client, client.get(answer["Location"]))
    assert back["Location"] == "/"
