from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import CHROMIUM_FLAGS, chromium_path
from tests.teams.factories import PASSWORD, member

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live_server) -> Iterator[object]:
    context = browser.new_context(
        base_url=live_server.url, viewport={"width": 1100, "height": 1300}
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def log_in(page, transactional_db):
    """Log in through the real log-in page as a new member with `role`."""

    def log_in_as(role: str, username: str = "erin") -> object:
        from tests.teams.factories import TeamFactory

        user = member(role, TeamFactory(name="Platform", slug="platform"), username=username)
        page.goto("/accounts/login/")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_url("**/llms/")
        return user

    return log_in_as
