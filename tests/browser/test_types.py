"""Every LLM type in a real Chromium: the type swap, its auth shapes, and a create."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from llmadmin.llms.models import LLMDefinition
from llmadmin.vectara.contract import AUTH_TYPES_BY_LLM_TYPE
from tests.llms import cases

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("dns_records")]

# One auth shape per type, with the labels of its fields and what to type in them.
FLOWS = {
    "openai-compatible": (
        "oauth_client_credentials",
        {
            "Client ID": "llmadmin",
            "Client secret": cases.SECRET,
            "Token endpoint": "https://auth.example.com/oauth2/token",
            "Scopes": "read:llm write:llm",
        },
    ),
    "openai-responses": ("bearer", {"Token": cases.SECRET}),
    "vertex-ai": ("service_account", {"Service account key (JSON)": cases.SA_KEY}),
    "anthropic": (
        "bedrock_static_iam",
        {
            "AWS access key ID": "AKIAIOSFODNN7EXAMPLE",
            "AWS secret access key": cases.SECRET,
            "Region": "us-east-1",
        },
    ),
}


@pytest.mark.parametrize("llm_type", list(FLOWS))
def test_choosing_a_type_swaps_its_fields_and_creates_it(
    page, log_in, emulator, dns_records, llm_type: str
) -> None:
    dns_records.update(cases.DNS)
    auth_type, fields = FLOWS[llm_type]
    log_in("editor")
    page.goto("/llms/new/")
    page.get_by_label("Name", exact=True).fill(f"browser-{llm_type}")
    page.get_by_label("Model", exact=True).fill("model-x")
    page.get_by_label("Description", exact=True).fill("Typed before the swap")

    with page.expect_response(re.compile(r"/llms/new/type-fields/")):
        page.get_by_label("Type", exact=True).select_option(llm_type)
    credential = page.get_by_label("Credential type", exact=True)
    expect(page.locator("#type-fields")).to_have_attribute("data-llm-type", llm_type)
    offered = credential.locator("option").evaluate_all("os => os.map(o => o.value)")
    assert offered == list(AUTH_TYPES_BY_LLM_TYPE[llm_type])
    # What was typed in the common fields survives the swap.
    expect(page.get_by_label("Name", exact=True)).to_have_value(f"browser-{llm_type}")
    expect(page.get_by_label("Description", exact=True)).to_have_value("Typed before the swap")
    headers = page.locator('input[name="header_name"]')
    expect(headers).to_have_count(0 if llm_type == "vertex-ai" else 1)

    with page.expect_response(re.compile(r"/llms/new/auth-fields/")):
        credential.select_option(auth_type)
    for label, value in fields.items():
        page.get_by_label(label, exact=True).fill(value)
    if llm_type != "anthropic":  # Anthropic's URI is optional: leave it blank
        page.get_by_label("Endpoint URI", exact=True).fill(cases.URIS[llm_type])
    page.get_by_role("button", name="Register with Vectara").click()
    page.wait_for_url(re.compile(r".*/llms/\d+/$"))

    expect(page.get_by_role("heading", name=f"browser-{llm_type}")).to_be_visible()
    assert cases.SECRET not in page.content() and "BEGIN PRIVATE" not in page.content()
    llm = LLMDefinition.objects.get()
    stored = emulator.store.get(llm.vectara_id)
    assert (stored["type"], stored["auth"]["type"]) == (llm_type, auth_type)


def test_the_test_parameters_are_checked_as_the_person_leaves_them(page, log_in) -> None:
    log_in("editor")
    page.goto("/llms/new/")
    page.locator("summary", has_text="Test call and time-out").click()  # closed until wanted
    params = page.get_by_label("Other test parameters (JSON object)", exact=True)
    params.fill("[1, 2]")
    params.blur()
    expect(page.locator("#json-feedback .error")).to_contain_text("JSON object")
    params.fill('{"temperature": 0}')
    params.blur()
    expect(page.locator("#json-feedback .ok")).to_have_text("This is a valid JSON object.")
