"""The audit log in a real headless Chromium: filters and pages swap in place with htmx,
the URL follows them, and Back, Forward and Reload show the same list."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from llmadmin.audit.models import Outcome
from llmadmin.teams.models import Team
from tests.audit.factories import event

pytestmark = pytest.mark.browser


def rows(page):
    return page.locator("#audit-results .audit-table tbody tr")


def mark_document(page) -> None:
    # A full navigation loses this; an htmx swap keeps it.
    page.evaluate("window.auditMarker = 'same document'")


def same_document(page) -> bool:
    return page.evaluate("window.auditMarker") == "same document"


@pytest.fixture
def auditor(page, log_in):
    log_in("auditor", username="aud")
    team = Team.objects.get(slug="platform")
    for n in range(2):
        event(team=team, action="llm.create", message=f"Created number {n}.")
    event(team=team, action="llm.delete", outcome=Outcome.DENIED, message="Refused the delete.")
    event(team=team, action="llm.edit", outcome=Outcome.FAILURE, message="Vectara timed out.")
    return team


def test_filters_update_the_list_in_place_and_the_url_and_history_replays_them(
    page, auditor
) -> None:
    page.goto("/audit/")
    expect(rows(page).filter(has_text="Created number")).to_have_count(2)
    mark_document(page)

    page.get_by_label("Outcome", exact=True).select_option("denied")
    expect(page).to_have_url(re.compile(r"[?&]outcome=denied"))
    expect(rows(page)).to_have_count(1)
    expect(rows(page)).to_contain_text("Refused the delete.")

    page.get_by_label("Outcome", exact=True).select_option("failure")
    expect(page).to_have_url(re.compile(r"[?&]outcome=failure"))
    expect(rows(page)).to_have_count(1)
    expect(rows(page)).to_contain_text("Vectara timed out.")
    assert same_document(page)

    page.go_back()
    expect(page).to_have_url(re.compile(r"[?&]outcome=denied"))
    expect(rows(page)).to_have_count(1)
    expect(rows(page)).to_contain_text("Refused the delete.")
    expect(page.get_by_label("Outcome", exact=True)).to_have_value("denied")

    page.go_forward()
    expect(page).to_have_url(re.compile(r"[?&]outcome=failure"))
    expect(rows(page)).to_contain_text("Vectara timed out.")
    expect(page.get_by_label("Outcome", exact=True)).to_have_value("failure")

    page.reload()
    expect(rows(page)).to_have_count(1)
    expect(rows(page)).to_contain_text("Vectara timed out.")
    expect(page.get_by_label("Outcome", exact=True)).to_have_value("failure")


def test_typing_an_action_filters_in_place_and_the_url_reloads_to_the_same_list(
    page, auditor
) -> None:
    page.goto("/audit/")
    mark_document(page)
    page.get_by_label("Action", exact=True).press_sequentially("llm.create")
    expect(page).to_have_url(re.compile(r"[?&]action=llm\.create"))
    expect(rows(page)).to_have_count(2)
    assert same_document(page)

    url = page.url
    page.goto("/audit/")
    page.goto(url)
    expect(rows(page)).to_have_count(2)
    expect(page.get_by_label("Action", exact=True)).to_have_value("llm.create")


def test_older_and_newer_pages_follow_the_keyset(page, auditor) -> None:
    for n in range(60):
        event(team=auditor, action="llm.test", message=f"Tested {n}.")
    page.goto("/audit/?action=llm.test")
    expect(rows(page)).to_have_count(50)
    expect(rows(page).first).to_contain_text("Tested 59.")
    mark_document(page)

    page.get_by_role("link", name="Older events").click()
    expect(page).to_have_url(re.compile(r"[?&]before=\d+"))
    expect(rows(page)).to_have_count(10)
    expect(rows(page).first).to_contain_text("Tested 9.")
    expect(page.get_by_role("link", name="Older events")).to_have_count(0)

    page.get_by_role("link", name="Newer events").click()
    expect(page).to_have_url(re.compile(r"[?&]after=\d+"))
    expect(rows(page)).to_have_count(50)
    expect(rows(page).first).to_contain_text("Tested 59.")
    expect(rows(page).last).to_contain_text("Tested 10.")
    assert same_document(page)
    assert "action=llm.test" in page.url


def test_the_chart_is_drawn_and_follows_the_filter(page, auditor) -> None:
    page.goto("/audit/?action=llm.*")
    chart = page.get_by_role("img", name="Events per day by outcome")
    expect(chart).to_be_visible()
    expect(page.locator("#audit-chart-desc")).to_contain_text("2 successes, 1 failure, 1 denied.")
    expect(page.locator("svg.audit-chart-plot path.bar")).to_have_count(3)
    expect(page.locator(".audit-legend")).to_contain_text("Denied 1")

    page.get_by_label("Outcome", exact=True).select_option("denied")
    expect(page.locator("#audit-chart-desc")).to_contain_text("0 successes, 0 failures, 1 denied.")
    expect(page.locator("svg.audit-chart-plot path.bar")).to_have_count(1)
    expect(page.locator("svg.audit-chart-plot path.bar.denied")).to_have_count(1)
    expect(page.locator(".audit-legend")).to_contain_text("Success 0")
