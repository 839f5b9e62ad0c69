from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from llmadmin.sso import mapping
from llmadmin.sso.client import forget_clients
from llmadmin.sso.csp import with_provider_origin
from tests.support.oidc_provider import (
    CLIENT_ID,
    CLIENT_SECRET,
    Provider,
    ProviderBrowser,
    node,
    user,
)

RULES = mapping.parse(
    """[
      {"group": "llm-admins", "org_admin": true},
      {"group": "platform-eng", "team": "platform", "role": "editor"},
      {"group": "platform-leads", "team": "platform", "role": "admin"},
      {"group": "security", "team": "platform", "role": "auditor"},
      {"group": "data-eng", "team": "data", "role": "viewer"},
      {"group": "ghosts", "team": "nowhere", "role": "viewer"}
    ]""",
    source="test rules",
)

USERS = {
    "alice": user("alice", ["platform-eng", "unrelated"]),
    "bob": user("bob", ["llm-admins"]),
    "carol": user("carol", None),  # the provider sends no groups claim for her
    "dave": user("dave", ["platform-eng"], email="dave@example.com"),
}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if node() is None:
        skip = pytest.mark.skip(reason="no Node.js: the test identity provider can't run")
        for item in items:
            if {"provider", "own_provider"} & set(getattr(item, "fixturenames", ())):
                item.add_marker(skip)


@pytest.fixture(scope="session")
def _provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    provider = Provider(tmp_path_factory.mktemp("provider"), redirect_base="http://testserver")
    provider.start()
    yield provider
    provider.stop()


def configure(settings, provider: Provider, **overrides: object) -> None:
    """Point llmadmin at `provider`, as an operator's environment would."""
    forget_clients()
    settings.LLMADMIN_OIDC_ISSUER = provider.issuer
    settings.LLMADMIN_OIDC_CLIENT_ID = CLIENT_ID
    settings.LLMADMIN_OIDC_CLIENT_SECRET = CLIENT_SECRET
    settings.LLMADMIN_OIDC_SCOPES = "openid email profile groups"
    settings.LLMADMIN_OIDC_GROUPS_CLAIM = "groups"
    settings.LLMADMIN_OIDC_PROVIDER_NAME = "Acme ID"
    settings.LLMADMIN_OIDC_GROUP_ROLES = RULES
    settings.CONTENT_SECURITY_POLICY = with_provider_origin(
        django_settings.CONTENT_SECURITY_POLICY, provider.issuer
    )
    for name, value in overrides.items():
        setattr(settings, name, value)


@pytest.fixture
def provider(_provider: Provider, settings, db) -> Iterator[Provider]:
    """The provider with its four people, and llmadmin pointed at it, with teams to map to."""
    from tests.teams.factories import TeamFactory

    _provider.reset(USERS)
    configure(settings, _provider)
    TeamFactory(name="Platform", slug="platform")
    TeamFactory(name="Data", slug="data")
    yield _provider
    forget_clients()


@pytest.fixture
def own_provider(tmp_path: Path, settings, db) -> Iterator[Provider]:
    """A provider of the test's own, for tests that restart it."""
    from tests.teams.factories import TeamFactory

    provider = Provider(tmp_path, redirect_base="http://testserver")
    provider.reset(USERS)
    provider.start()
    configure(settings, provider)
    TeamFactory(name="Platform", slug="platform")
    yield provider
    provider.stop()
    forget_clients()


@pytest.fixture
def browser_at_provider() -> ProviderBrowser:
    return ProviderBrowser()


@pytest.fixture
def sign_in(client, browser_at_provider):
    """Sign in through the provider as `login`; the callback's response."""

    def signing_in(login: str, next_url: str = ""):
        start = client.get("/sso/login/", {"next": next_url} if next_url else {})
        assert start.status_code == 302, start
        return browser_at_provider.through(client, start, login=login)

    return signing_in
