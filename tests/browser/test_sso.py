"""Signing in through the provider's own log-in page in Chromium, and out again at both ends."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from llmadmin.sso.client import forget_clients
from tests.sso.conftest import USERS, configure
from tests.support.oidc_provider import PASSWORD, Provider, node

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(node() is None, reason="no Node.js: the test identity provider can't run"),
]


@pytest.fixture
def provider(live_server, settings, tmp_path: Path, transactional_db) -> Iterator[Provider]:
    from tests.teams.factories import TeamFactory

    provider = Provider(tmp_path, redirect_base=live_server.url)
    provider.reset(USERS)
    provider.start()
    configure(settings, provider)
    TeamFactory(name="Platform", slug="platform")
    yield provider
    provider.stop()
    forget_clients()


def test_sign_in_at_the_provider_and_out_of_both(page, provider):
    page.goto("/llms/")
    page.get_by_role("link", name="Sign in with Acme ID").click()
    # The provider's own page, on its own origin.
    page.wait_for_url(re.compile(rf"^{re.escape(provider.issuer)}/interaction/"))
    page.get_by_label("Email or username").fill("alice@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/llms/")
    assert page.locator(".who").inner_text() == "alice@example.com"
    assert page.locator(".team-one").inner_text() == "Platform"

    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(rf"^{re.escape(provider.issuer)}/session/end"))
    page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(re.compile(r"/accounts/login/(\?state=\w+)?$"))
    # Both sessions are over: the provider asks for the password again.
    page.get_by_role("link", name="Sign in with Acme ID").click()
    page.wait_for_url(re.compile(rf"^{re.escape(provider.issuer)}/interaction/"))
    assert page.get_by_label("Password").is_visible()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_sso_pages_have_no_serious_axe_violation(page, provider, settings, scheme):
    from axe_playwright_python.sync_playwright import Axe

    settings.LLMADMIN_PASSWORD_LOGIN = False
    page.emulate_media(color_scheme=scheme)
    provider.set_groups("alice", ["platform-leads", "llm-admins"])
    page.goto("/accounts/login/")
    found = {}
    for step in ("login", "members", "mapping"):
        if step == "members":
            page.get_by_role("link", name="Sign in with Acme ID").click()
            page.get_by_label("Email or username").fill("alice")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Continue").click()
            page.wait_for_url("**/llms/")
            page.goto("/teams/platform/members/")
        elif step == "mapping":
            page.goto("/sso/mapping/")
        results = Axe().run(page)
        serious = [
            v["id"]
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if serious:
            found[step] = serious
    assert found == {}
