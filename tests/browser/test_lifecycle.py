"""The LLM lifecycle in a real headless Chromium: live search, toggles swapped in place,
delete behind a confirmation, and a sync from the UI."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from llmadmin.llms.models import LLMDefinition
from llmadmin.teams.models import Team
from tests.llms.lifecycle_support import seeded

pytestmark = pytest.mark.browser


def test_live_search_filters_as_you_type_and_is_bookmarkable(page, log_in) -> None:
    log_in("viewer")
    team = Team.objects.get(slug="platform")
    for name in ("gpt-prod", "gpt-staging", "claude-prod"):
        LLMDefinition.objects.create(team=team, name=name, vectara_id=name, type="anthropic")
    page.goto("/llms/")
    rows = page.locator("#llm-results tbody tr")
    expect(rows).to_have_count(3)

    page.get_by_label("Search").press_sequentially("gpt", delay=30)
    expect(rows).to_have_count(2)
    expect(page).to_have_url(re.compile(r"/llms/\?q=gpt"))
    page.get_by_label("Search").fill("nothing-like-this")
    expect(page.locator("#llm-results")).to_contain_text("No LLM matches “nothing-like-this”.")

    page.goto("/llms/?q=claude")  # the bookmark
    expect(rows).to_have_count(1)
    expect(page.get_by_label("Search")).to_have_value("claude")


def test_sort_headers_and_page_links_swap_the_results_and_keep_the_url(page, log_in) -> None:
    log_in("viewer")
    team = Team.objects.get(slug="platform")
    LLMDefinition.objects.bulk_create(
        LLMDefinition(team=team, name=f"llm-{n:02d}", vectara_id=f"v{n}", model=f"m-{99 - n:02d}")
        for n in range(51)
    )
    page.goto("/llms/")
    page.evaluate("window.notReloaded = true")
    first_name = page.locator("#llm-results tbody tr:first-child td:first-child")
    expect(first_name).to_have_text("llm-00")

    page.get_by_role("link", name="Model").click()  # m-49 (llm-50) sorts first, m-99 (llm-00) last
    expect(page).to_have_url(re.compile(r"sort=model"))
    expect(first_name).to_have_text("llm-50")
    page.get_by_role("link", name="Next").click()
    expect(page).to_have_url(re.compile(r"sort=model.*page=2"))
    expect(page.locator("#llm-results tbody tr")).to_have_count(1)
    expect(first_name).to_have_text("llm-00")

    page.get_by_label("Search").press_sequentially("llm-1", delay=30)  # keeps the sort
    expect(page).to_have_url(re.compile(r"q=llm-1.*sort=model"))
    expect(first_name).to_have_text("llm-19")
    assert page.evaluate("window.notReloaded") is True


def test_disable_and_enable_swap_the_row_in_place(page, log_in, emulator) -> None:
    log_in("editor")
    llm = seeded(emulator, Team.objects.get(slug="platform"))
    page.goto("/llms/")
    row = page.locator(f"#llm-{llm.pk}")
    url_before = page.url

    page.get_by_role("button", name="Disable gpt-team").click()
    page.get_by_role("button", name="Yes, disable gpt-team").click()
    expect(row).to_contain_text("gpt-team is now disabled.")
    expect(row.locator(".badge.off")).to_have_text("disabled")
    assert page.url == url_before
    assert emulator.store.get(llm.vectara_id)["enabled"] is False

    page.get_by_role("button", name="Enable gpt-team").click()
    expect(row).to_contain_text("gpt-team is now enabled.")
    expect(row.locator(".badge.ok")).to_have_text("enabled")
    assert emulator.store.get(llm.vectara_id)["enabled"] is True


def test_the_detail_page_toggles_its_status_in_place(page, log_in, emulator) -> None:
    log_in("editor")
    llm = seeded(emulator, Team.objects.get(slug="platform"))
    page.goto(f"/llms/{llm.pk}/")
    status = page.locator("#llm-status")
    status.get_by_role("button", name="Disable").click()
    expect(status).to_contain_text("gpt-team is now disabled.")
    expect(status.get_by_role("button", name="Enable")).to_be_visible()
    assert LLMDefinition.objects.get().enabled is False


def test_delete_asks_first_then_deletes(page, log_in, emulator) -> None:
    log_in("admin", username="ada")
    llm = seeded(emulator, Team.objects.get(slug="platform"))
    page.goto(f"/llms/{llm.pk}/")
    page.get_by_role("link", name="Delete…").click()
    expect(page.get_by_role("heading", name="Delete gpt-team?")).to_be_visible()
    assert LLMDefinition.objects.exists()  # asking changes nothing

    page.get_by_role("button", name="Delete gpt-team").click()
    page.wait_for_url("**/llms/")
    expect(page.locator(".messages")).to_contain_text("gpt-team is deleted from Vectara")
    assert not LLMDefinition.objects.exists() and emulator.store.all() == []


def test_sync_from_the_ui_follows_the_job_to_its_summary(page, log_in, emulator) -> None:
    from django.core.management import call_command

    from tests.llms.lifecycle_support import upstream_record

    log_in("editor")
    for i in range(120):  # two pages
        emulator.store.put(upstream_record(f"outside-{i:03d}"))
    page.goto("/llms/")
    page.get_by_role("link", name="Sync with Vectara").click()
    page.get_by_role("button", name="Sync now").click()
    progress = page.locator("#sync-progress")
    expect(progress).to_contain_text("waiting for a worker")

    call_command("run_jobs", once=True, verbosity=0)  # a worker takes the job
    # The page, still polling, shows the outcome without a reload.
    expect(progress).to_contain_text("Sync finished: 123 added, 0 updated, 0 gone")
    expect(progress.get_by_role("link", name="Back to the LLMs")).to_be_visible()
    # A second run is a new sync, and finds nothing to change.
    page.get_by_role("button", name="Sync now").click()
    expect(progress).to_contain_text("waiting for a worker")
    call_command("run_jobs", once=True, verbosity=0)
    expect(progress).to_contain_text("123 unchanged")
    assert LLMDefinition.objects.filter(team=None).count() == 123
