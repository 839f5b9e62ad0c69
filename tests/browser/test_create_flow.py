"""The create form in a real headless Chromium: htmx swaps, inline checks, a create."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from llmadmin.llms.models import LLMDefinition

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("dns_records")]

SCREENSHOT = Path(__file__).resolve().parents[2] / "docs" / "create-form.png"
TOKEN = "sk-browser-canary-000111222333"


def test_switching_auth_type_swaps_the_fields_and_keeps_what_was_typed(page, log_in) -> None:
    log_in("editor")
    page.goto("/llms/new/")
    page.get_by_label("Name", exact=True).fill("gpt-browser")
    page.get_by_label("Model", exact=True).fill("gpt-4o")
    expect(page.get_by_label("Token", exact=True)).to_be_visible()

    page.get_by_label("Credential type", exact=True).select_option("header")
    expect(page.get_by_label("Header name", exact=True)).to_be_visible()
    expect(page.get_by_label("Header value", exact=True)).to_be_visible()
    expect(page.get_by_label("Token", exact=True)).to_have_count(0)
    expect(page.get_by_label("Name", exact=True)).to_have_value("gpt-browser")
    expect(page.get_by_label("Model", exact=True)).to_have_value("gpt-4o")

    page.get_by_label("Credential type", exact=True).select_option("bearer")
    expect(page.get_by_label("Token", exact=True)).to_be_visible()
    expect(page.get_by_label("Header name", exact=True)).to_have_count(0)


def test_leaving_the_uri_field_checks_it_in_place(page, log_in) -> None:
    log_in("editor")
    page.goto("/llms/new/")
    uri = page.get_by_label("Endpoint URI", exact=True)
    uri.fill("https://169.254.169.254/latest/meta-data")
    uri.blur()
    expect(page.locator("#uri-feedback")).to_contain_text("169.254.169.254")
    expect(page.locator("#uri-feedback .error")).to_be_visible()

    uri.fill("https://my-resource.openai.azure.com/openai/deployments/gpt4/chat/completions")
    uri.blur()
    expect(page.locator("#uri-feedback")).to_contain_text("api-key")


def test_an_editor_creates_an_llm_with_an_extra_header(page, log_in, emulator) -> None:
    log_in("editor")
    page.goto("/llms/new/")
    page.get_by_label("Name", exact=True).fill("claude-browser")
    page.get_by_label("Description", exact=True).fill("Created from Chromium")
    page.get_by_label("Model", exact=True).fill("claude-sonnet-4-5")
    page.get_by_label("Endpoint URI", exact=True).fill("https://api.anthropic.com/v1/messages")
    page.get_by_label("Credential type", exact=True).select_option("header")
    page.get_by_label("Header name", exact=True).fill("x-api-key")
    page.get_by_label("Header value", exact=True).fill(TOKEN)
    page.get_by_role("button", name="Add a header").click()
    expect(page.locator('input[name="header_name"]')).to_have_count(2)
    page.get_by_label("Extra header 1 name").fill("anthropic-version")
    page.get_by_label("Extra header 1 value").fill("2023-06-01")
    # The header value typed before the row was added must still be there.
    expect(page.get_by_label("Header value", exact=True)).to_have_value(TOKEN)
    if SCREENSHOT.parent.is_dir():
        page.screenshot(path=str(SCREENSHOT), full_page=True)

    page.get_by_role("button", name="Register with Vectara").click()
    page.wait_for_url(re.compile(r".*/llms/\d+/$"))

    expect(page.get_by_role("heading", name="claude-browser")).to_be_visible()
    expect(page.locator("body")).to_contain_text("…2333")
    assert TOKEN not in page.content()
    llm = LLMDefinition.objects.get()
    assert emulator.store.get(llm.vectara_id)["auth"]["value"] == TOKEN
    assert emulator.store.get(llm.vectara_id)["headers"] == {"anthropic-version": "2023-06-01"}


def test_an_upstream_refusal_is_shown_in_the_form(page, log_in, emulator) -> None:
    emulator.store.put(
        {
            "id": "llm_taken",
            "name": "taken-name",
            "type": "openai-compatible",
            "model": "m",
            "uri": "https://api.openai.com/v1/chat/completions",
            "auth": {"type": "bearer", "token": "x"},
        }
    )
    log_in("editor")
    page.goto("/llms/new/")
    page.get_by_label("Name", exact=True).fill("taken-name")
    page.get_by_label("Model", exact=True).fill("gpt-4o")
    page.get_by_label("Endpoint URI", exact=True).fill("https://api.openai.com/v1/chat/completions")
    page.get_by_label("Token", exact=True).fill(TOKEN)
    page.get_by_role("button", name="Register with Vectara").click()
    expect(page.locator("#llm-form")).to_contain_text("already exists")
    assert page.url.endswith("/llms/new/")
    assert not LLMDefinition.objects.exists()
