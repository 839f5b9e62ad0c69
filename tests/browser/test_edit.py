"""Editing an LLM in a real Chromium: secrets left blank are kept, a new host needs them."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from llmadmin.audit.recorder import Origin
from llmadmin.llms.services import llm_create
from llmadmin.llms.spec import LLMSpec
from llmadmin.teams.models import Team

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("dns_records")]

TOKEN = "sk-browser-edit-0123456789"
NEW_TOKEN = "sk-browser-new-9876543210"


def test_an_edit_keeps_a_blank_secret_and_a_new_host_needs_it(page, log_in, emulator) -> None:
    user = log_in("editor")
    llm = llm_create(
        actor=user,
        origin=Origin.system("test"),
        team=Team.objects.get(slug="platform"),
        spec=LLMSpec(
            type="openai-compatible",
            name="gpt-browser-edit",
            description="Before",
            model="gpt-4o",
            uri="https://api.openai.com/v1/chat/completions",
            auth={"type": "bearer", "token": TOKEN},
        ),
    )
    page.goto(f"/llms/{llm.pk}/edit/")
    expect(page.get_by_label("Token", exact=True)).to_have_value("")
    page.get_by_label("Description", exact=True).fill("After")
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(re.compile(rf".*/llms/{llm.pk}/$"))
    expect(page.locator("body")).to_contain_text("Your changes to gpt-browser-edit are saved")
    stored = emulator.store.get(llm.vectara_id)
    assert (stored["description"], stored["auth"]["token"]) == ("After", TOKEN)

    page.goto(f"/llms/{llm.pk}/edit/")
    page.get_by_label("Endpoint URI", exact=True).fill(
        "https://openrouter.ai/api/v1/chat/completions"
    )
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator("#llm-form")).to_contain_text("never sent to a new host")
    assert emulator.store.get(llm.vectara_id)["uri"].startswith("https://api.openai.com")

    page.get_by_label("Token", exact=True).fill(NEW_TOKEN)
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(re.compile(rf".*/llms/{llm.pk}/$"))
    stored = emulator.store.get(llm.vectara_id)
    assert stored["uri"] == "https://openrouter.ai/api/v1/chat/completions"
    assert stored["auth"]["token"] == NEW_TOKEN
    assert NEW_TOKEN not in page.content()
