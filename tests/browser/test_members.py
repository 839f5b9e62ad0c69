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

    expect(page.locator(f"#member-{row.pk}")).to_contain_text("a team must keep one admin")
    # The row is re-rendered from the database: the select shows the role that stayed.
    expect(page.get_by_label("Role of ada")).to_have_value("admin")
    row.refresh_from_db()
    assert row.role == "admin"
