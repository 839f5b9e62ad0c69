"""Every way a sign-in can go wrong: refused with a sentence on the log-in page, audited,
never a 500, and nobody signed in."""

from __future__ import annotations

import time
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.auth import get_user_model

from llmadmin.audit.models import AuditEvent
from llmadmin.sso.models import ProviderIdentity
from tests.sso.conftest import configure
from tests.support.oidc_provider import ProviderBrowser


def failure(reason: str) -> AuditEvent:
    return AuditEvent.objects.get(action="auth.login_failed", details__reason=reason)


def refused_with(client, answer, reason: str) -> str:
    """The sentence on the log-in page after `answer`; checks nobody is signed in and that
    the failure was audited with `reason`."""
    assert answer.status_code == 302
    assert answer["Location"] == "/accounts/login/"
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    assert not page.wsgi_request.user.is_authenticated
    assert failure(reason).details["method"] == "sso"
    return " ".join(m.message for m in page.context["messages"])


@pytest.mark.parametrize(
    ("claims", "foreign_key", "reason", "said"),
    [
        ({"iss": "http://127.0.0.1:1/evil"}, False, "token_iss", "another provider"),
        ({"aud": "someone-else"}, False, "token_aud", "another application"),
        # Authlib alone accepts this one (it checks azp only): we require our client id in aud.
        ({"aud": ["someone-else"], "azp": "llmadmin"}, False, "token_aud", "another application"),
        ({"nonce": "not-this-sign-in"}, False, "token_nonce", "wrong nonce"),
        (
            {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
            False,
            "token_expired",
            "expired",
        ),
        ({}, True, "token_signature", "signature does not match"),
    ],
    ids=["issuer", "audience", "audience-with-azp", "nonce", "expired", "signature"],
)
def test_a_bad_id_token_is_refused(client, provider, sign_in, claims, foreign_key, reason, said):
    provider.tamper(claims, foreign_key=foreign_key)
    sentence = refused_with(client, sign_in("alice"), reason)
    assert said in sentence
    assert "you were not signed in" in sentence
    assert not get_user_model().objects.filter(username="alice@example.com").exists()


@pytest.mark.parametrize("raw", ["not-a-jwt", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJhbGljZSJ9."])
def test_an_id_token_that_is_not_a_signed_token_is_refused(client, provider, sign_in, raw):
    provider.tamper(raw=raw)
    sentence = refused_with(client, sign_in("alice"), "token_malformed")
    assert "not a signed token llmadmin accepts" in sentence


def test_a_state_that_does_not_match_is_refused(client, provider, sign_in):
    start = client.get("/sso/login/")
    browser = ProviderBrowser()
    # A callback that no sign-in started in this browser (a forged or stale link).
    answer = client.get("/sso/callback/", {"code": "whatever", "state": "forged"})
    sentence = refused_with(client, answer, "state_mismatch")
    assert "expired or was already used" in sentence
    # The real sign-in started before still works.
    assert browser.through(client, start, login="alice")["Location"] == "/"


def test_a_replayed_code_is_refused(client, provider, sign_in, browser_at_provider):
    assert sign_in("alice")["Location"] == "/"
    client.post("/accounts/logout/")
    # A fresh sign-in's state, the old code: the state matches, the provider refuses the code.
    fresh = parse_qs(urlsplit(client.get("/sso/login/")["Location"]).query)["state"][0]
    old_code = parse_qs(urlsplit(browser_at_provider.callbacks[-1]).query)["code"][0]
    answer = client.get("/sso/callback/", {"code": old_code, "state": fresh})
    assert "already used or has expired" in refused_with(client, answer, "invalid_grant")


def test_a_missing_groups_claim_signs_in_with_no_role_and_says_so(client, provider, sign_in):
    answer = sign_in("carol")
    assert answer.status_code == 302
    page = client.get(answer["Location"], follow=True)
    carol = page.wsgi_request.user
    assert carol.is_authenticated
    assert not carol.memberships.exists()
    said = " ".join(m.message for m in page.context["messages"])
    assert "Acme ID sent no 'groups' claim, so you have no role in any team" in said


def test_an_email_of_a_local_account_is_never_merged(client, provider, sign_in):
    from tests.teams.factories import UserFactory

    local = UserFactory(username="dave", email="Dave@Example.com")
    sentence = refused_with(client, sign_in("dave"), "email_collision")
    assert "already exists in llmadmin and is not linked to Acme ID" in sentence
    assert failure("email_collision").details["detail"] == "subject dave, email dave@example.com"
    assert not ProviderIdentity.objects.exists()
    local.refresh_from_db()
    assert local.has_usable_password()
    assert not local.memberships.exists()


def test_a_provider_that_is_down_is_said_plainly(client, provider, settings):
    settings.LLMADMIN_OIDC_ISSUER = "http://127.0.0.1:9"  # discard: nothing answers there
    from llmadmin.sso.client import forget_clients

    forget_clients()
    sentence = refused_with(client, client.get("/sso/login/"), "provider_unreachable")
    assert "the identity provider did not answer" in sentence


def test_a_provider_naming_another_issuer_is_refused(client, provider, settings):
    configure(settings, provider, LLMADMIN_OIDC_ISSUER=f"http://localhost:{provider.port}")
    sentence = refused_with(client, client.get("/sso/login/"), "provider_issuer_mismatch")
    assert "does not match llmadmin's" in sentence


def test_a_wrong_client_secret_is_said_plainly(client, provider, settings, sign_in):
    configure(settings, provider, LLMADMIN_OIDC_CLIENT_SECRET="not-the-secret")
    sentence = refused_with(client, sign_in("alice"), "invalid_client")
    assert "does not accept llmadmin's client id or secret" in sentence
    assert "not-the-secret" not in AuditEvent.objects.get(action="auth.login_failed").message


def test_a_person_who_refuses_at_the_provider_is_told(client, provider):
    # What a provider sends back when the person cancels or isn't allowed.
    state = parse_qs(urlsplit(client.get("/sso/login/")["Location"]).query)["state"][0]
    answer = client.get("/sso/callback/", {"error": "access_denied", "state": state})
    assert "did not sign you in (access_denied)" in refused_with(client, answer, "access_denied")


def test_an_org_admin_links_the_colliding_account_and_it_signs_in(client, provider, sign_in):
    from django.core.management import call_command

    from tests.teams.factories import UserFactory

    local = UserFactory(username="dave", email="dave@example.com")
    call_command("sso_link", "dave", "dave")
    assert sign_in("dave")["Location"] == "/"
    assert client.get("/llms/").wsgi_request.user == local
    local.refresh_from_db()
    assert not local.has_usable_password()
    assert AuditEvent.objects.get(action="sso.link").target_label == "dave"


def test_a_reused_email_does_not_inherit_another_persons_account(client, provider, sign_in):
    from tests.support.oidc_provider import user

    sign_in("alice")
    client.post("/accounts/logout/")
    provider.users["alice-new"] = user("alice-new", ["platform-leads"], email="alice@example.com")
    provider.reset(provider.users)
    # Someone else, in a browser of their own.
    answer = ProviderBrowser().through(client, client.get("/sso/login/"), login="alice-new")
    sentence = refused_with(client, answer, "email_of_another_subject")
    assert "belongs to another person at Acme ID" in sentence
    assert ProviderIdentity.objects.count() == 1
