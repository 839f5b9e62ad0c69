"""The members page in a real headless Chromium: a role changes in place with htmx."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from llmadmin.teams.models import Membership, Team
from tests.teams.factories import member

pytestmark = pytest.mark.browser


def test_an_admin_changes_a_role_in_place(page, log_in) -> None:
    log_in("admin", username="ada")
    bo = member("viewer", Team.objects.get(slug="platform"), username="bo")
    row = Membership.objects.get(user=bo)
    page.goto("/teams/platform/members/")
    url_before = page.url

    page.get_by_label("Role of bo").select_option("editor")
    row.refresh_from_db()
    assert row.role == "viewer"  # choosing saves nothing until Save
    page.get_by_role("button", name="Save the role of bo").click()

    expect(page.locator(f"#member-{row.pk}")).to_contain_text("bo is now editor.")
    expect(page.get_by_label("Role of bo")).to_have_value("editor")
    assert page.url == url_before  # swapped in place, no navigation
    row.refresh_from_db()
    assert row.role == "editor"


def test_the_last_admin_is_told_why_they_can_not_step_down(page, log_in) -> None:
    ada = log_in("admin", username="ada")
    row = Membership.objects.get(user=ada)
    page.goto("/teams/platform/members/")

    page.get_by_label("Role of ada").select_option("viewer")
    page.get_by_role("button", name="Save the role of ada").click()
    page.get_by_role("button", name="Yes, make ada viewer").click()

    expect(page.locator(f"#member-{row.pk}")).to_contain_text("a team must keep one admin")
    # The row is re-rendered from the database: the select shows the role that stayed.
    expect(page.get_by_label("Role of ada")).to_have_value("admin")
    row.refresh_from_db()
    assert row.role == "admin"


def test_granting_admin_asks_first_and_can_be_undone(page, log_in) -> None:
    from llmadmin.audit.models import AuditEvent

    log_in("admin", username="ada")
    bo = member("viewer", Team.objects.get(slug="platform"), username="bo")
    row = Membership.objects.get(user=bo)
    page.goto("/teams/platform/members/")
    page.get_by_label("Role of bo").focus()
    page.keyboard.press("ArrowDown")  # the keystroke that once made bo admin
    page.get_by_label("Role of bo").select_option("admin")
    page.get_by_role("button", name="Save the role of bo").click()

    yes = page.get_by_role("button", name="Yes, make bo admin")
    expect(yes).to_be_focused()
    expect(page.locator(f"#member-{row.pk}")).to_contain_text("Make bo an admin of Platform?")
    row.refresh_from_db()
    assert row.role == "viewer"
    yes.click()
    expect(page.locator(f"#member-{row.pk}")).to_contain_text("bo is now admin.")
    row.refresh_from_db()
    assert row.role == "admin"

    page.get_by_role("button", name="Undo: make bo viewer again").click()
    expect(page.locator(f"#member-{row.pk}")).to_contain_text("bo is now viewer.")
    row.refresh_from_db()
    assert row.role == "viewer"
    changes = AuditEvent.objects.filter(action="membership.role_change").count()
    assert changes == 2  # the grant and its undo, each its own event


def test_removing_asks_first_and_can_be_undone(page, log_in) -> None:
    log_in("admin", username="ada")
    bo = member("editor", Team.objects.get(slug="platform"), username="bo")
    page.goto("/teams/platform/members/")
    page.get_by_role("button", name="Remove bo").click()
    expect(page.get_by_role("button", name="Yes, remove bo")).to_be_focused()
    assert Membership.objects.filter(user=bo).exists()

    page.get_by_role("button", name="Yes, remove bo").click()
    expect(page.locator(".messages")).to_contain_text("bo is removed from Platform.")
    assert not Membership.objects.filter(user=bo).exists()
    page.get_by_role("button", name="Undo: add bo back as editor").click()
    expect(page.get_by_label("Role of bo")).to_have_value("editor")
