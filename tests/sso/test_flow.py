from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from django.contrib.auth import get_user_model

from llmadmin.audit.models import AuditEvent
from llmadmin.teams.models import Membership, Source


def test_login_page_offers_the_provider(client, provider):
    page = client.get("/accounts/login/")
    assert "Sign in with Acme ID" in page.content.decode()


def test_the_authorization_request_uses_pkce_state_and_nonce(client, provider):
    start = client.get("/sso/login/")
    url = urlsplit(start["Location"])
    params = parse_qs(url.query)
    assert url.netloc == f"127.0.0.1:{provider.port}"
    assert params["response_type"] == ["code"]
    assert params["code_challenge_method"] == ["S256"]
    assert params["code_challenge"][0] and params["state"][0] and params["nonce"][0]


def test_first_sign_in_makes_the_account_with_the_roles_its_groups_give(client, provider, sign_in):
    answer = sign_in("alice")
    assert answer.status_code == 302
    assert answer["Location"] == "/"
    alice = get_user_model().objects.get(username="alice@example.com")
    assert not alice.has_usable_password()
    membership = Membership.objects.get(user=alice)
    assert (membership.team.slug, membership.role) == ("platform", "editor")
    assert (membership.source, membership.provider_group) == (Source.PROVIDER, "platform-eng")
    assert client.get("/llms/").status_code == 200
    event = AuditEvent.objects.get(action="membership.add")
    assert event.details["group"] == "platform-eng"
    assert event.details["source"] == "provider"
    assert "platform-eng" in event.message
    assert AuditEvent.objects.filter(action="auth.login", actor_id=alice.pk).exists()
