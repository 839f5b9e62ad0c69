"""The README's pictures, retaken by the tests: the LLM list, the audit log, a phone."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from llmadmin.llms.models import LLMDefinition
from llmadmin.teams.models import Team
from tests.llms.lifecycle_support import seeded

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("dns_records")]

DOCS = Path(__file__).resolve().parents[2] / "docs"


def _shoot(page, name: str) -> None:
    if DOCS.is_dir():
        page.screenshot(path=str(DOCS / name), full_page=True)


def test_the_list_the_audit_log_and_a_phone_are_pictured(page, log_in, emulator) -> None:
    log_in("admin")
    team = Team.objects.get(slug="platform")
    llm = seeded(emulator, team)
    for name, model in (("claude-support", "claude-sonnet-4-5"), ("gemini-search", "gemini-2.5")):
        LLMDefinition.objects.create(
            team=team, name=name, vectara_id=f"v-{name}", type="anthropic", model=model
        )
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/llms/")
    page.get_by_role("button", name="Disable gpt-team").click()
    page.get_by_role("button", name="Yes, disable gpt-team").click()
    expect(page.locator(f"#llm-{llm.pk}")).to_contain_text("gpt-team is now disabled.")
    expect(page.get_by_role("status").first).to_have_text("3 LLMs.")
    _shoot(page, "llm-list.png")

    page.goto("/audit/")
    expect(page.locator(".audit-table tbody tr").first).to_contain_text("llm.disable")
    _shoot(page, "audit-log.png")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/llms/")
    expect(page.get_by_role("button", name="Disable claude-support")).to_be_in_viewport()
    _shoot(page, "llm-list-phone.png")
