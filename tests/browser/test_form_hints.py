"""Issue 17 point 9: the create form's examples, hints and required marks follow the type."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("dns_records")]


def _choose_type(page, llm_type: str) -> None:
    with page.expect_response(re.compile(r"/llms/new/type-fields/")):
        page.get_by_label("Type", exact=True).select_option(llm_type)
    expect(page.locator("#type-fields")).to_have_attribute("data-llm-type", llm_type)


def _choose_credential(page, auth_type: str) -> None:
    with page.expect_response(re.compile(r"/llms/new/auth-fields/")):
        page.get_by_label("Credential type", exact=True).select_option(auth_type)


def _form_examples(page) -> str:
    """Every example the form shows: help texts, hints and placeholders."""
    return page.locator("#llm-form").evaluate(
        """f => [...f.querySelectorAll('.helptext, .feedback, [placeholder]')]
               .map(e => e.getAttribute('placeholder') || e.textContent).join(' | ')"""
    )


def test_a_vertex_form_shows_no_openai_example(page, log_in, dns_records):
    dns_records["generativelanguage.googleapis.com"] = ["142.250.74.10"]
    log_in("editor")
    page.goto("/llms/new/")
    assert "api.openai.com" in _form_examples(page)  # the default type's own examples

    _choose_type(page, "vertex-ai")
    shown = _form_examples(page)
    assert "openai" not in shown.lower() and "gpt-" not in shown
    expect(page.locator("#id_uri_helptext")).to_contain_text("aiplatform.googleapis.com")
    expect(page.locator("#id_model_helptext")).to_contain_text("gemini-2.5-flash")
    # The URI's description is the swapped hint, for assistive technology too.
    uri = page.get_by_label("Endpoint URI", exact=True)
    expect(uri).to_have_accessible_description(re.compile("Vertex AI project/location"))

    # AI Studio's native API takes its key in a header; this type offers no custom header.
    uri.fill(
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.5-flash:generateContent"
    )
    uri.blur()
    hint = page.locator("#uri-feedback .hint")
    expect(hint).to_contain_text("choose 'API key'")
    expect(hint).not_to_contain_text("Custom header")

    # The same URI under a type that offers a custom header: the provider's own advice.
    _choose_type(page, "openai-compatible")
    uri.fill(
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent"
    )
    uri.blur()
    expect(hint).to_contain_text("choose 'Custom header' with header name x-goog-api-key")


def test_extra_header_and_region_examples_follow_the_choices(page, log_in):
    log_in("editor")
    page.goto("/llms/new/")
    header_name = page.get_by_label("Extra header 1 name")
    expect(header_name).to_have_attribute("placeholder", "OpenAI-Organization")

    _choose_type(page, "anthropic")
    expect(header_name).to_have_attribute("placeholder", "anthropic-version")
    _choose_credential(page, "bedrock_api_key")
    region = page.get_by_label("Region", exact=True)
    expect(region).to_have_attribute("placeholder", "us-east-1")
    expect(region).to_have_accessible_description("The AWS region of your Bedrock models.")
    _choose_credential(page, "vertex_access_token")
    expect(region).to_have_attribute("placeholder", "us-east5")
    expect(region).to_have_accessible_description(re.compile("Google Cloud region"))


def _marked_required(page, label: str) -> bool:
    line = page.locator(".label-line", has=page.get_by_text(label, exact=True))
    return line.locator(".required").is_visible()


def test_required_fields_are_marked_for_eyes_and_assistive_technology(page, log_in):
    log_in("editor")
    page.goto("/llms/new/")
    for label in ("Name", "Model", "Endpoint URI", "Token"):
        assert _marked_required(page, label), label
        field = page.get_by_label(label, exact=True)
        # The accessible name stays the label; "required" is the field's state.
        assert field.evaluate("e => e.required || e.getAttribute('aria-required') === 'true'")
    for label in ("Description",):
        assert not _marked_required(page, label)
        assert page.get_by_label(label, exact=True).evaluate(
            "e => !e.required && e.getAttribute('aria-required') !== 'true'"
        )

    # Anthropic may leave the URI out: its mark and state go, and come back with another type.
    uri = page.get_by_label("Endpoint URI", exact=True)
    _choose_type(page, "anthropic")
    assert not _marked_required(page, "Endpoint URI")
    expect(uri).to_have_attribute("aria-required", "false")
    expect(page.locator("#id_uri_helptext")).to_contain_text("Optional")
    _choose_type(page, "openai-responses")
    assert _marked_required(page, "Endpoint URI")
    expect(uri).to_have_attribute("aria-required", "true")
