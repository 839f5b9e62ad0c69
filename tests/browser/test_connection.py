"""Test connection in a real headless Chromium: the result appears in place, the form keeps
what was typed, and nothing is saved."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from llmadmin.llms.models import LLMDefinition
from tests.support.fault_server import Fault, fault_server

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("dns_records")]

TOKEN = "sk-browser-test-conn-4455667788"


def fill_form(page, port: int) -> None:
    page.get_by_label("Name", exact=True).fill("gpt-tested")
    page.get_by_label("Model", exact=True).fill("gpt-4o-mini")
    page.get_by_label("Endpoint URI", exact=True).fill(
        f"http://model.test:{port}/v1/chat/completions"
    )
    page.get_by_label("Token", exact=True).fill(TOKEN)


def test_the_result_appears_in_place_and_nothing_is_saved(page, log_in, model_dns_http) -> None:
    log_in("editor")
    page.goto("/llms/new/")
    answer = Fault.status(401, {"error": {"message": "Incorrect API key provided"}})
    with fault_server(answer) as server:
        fill_form(page, int(server.base_url.rsplit(":", 1)[1]))
        page.get_by_role("button", name="Test connection").click()
        result = page.locator("#connection-result")
        expect(result).to_contain_text("model.test refused the credentials (401)")
        expect(result).to_contain_text("Incorrect API key provided")
        expect(result).to_contain_text("HTTP status 401")
    assert server.hits == 1
    assert server.received[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert page.url.endswith("/llms/new/"), "the page did not navigate"
    expect(page.get_by_label("Name", exact=True)).to_have_value("gpt-tested")
    expect(page.get_by_label("Token", exact=True)).to_have_value(TOKEN)
    assert TOKEN not in page.locator("#connection-result").inner_html()
    assert not LLMDefinition.objects.exists()


def test_a_blank_secret_is_asked_for_in_place(page, log_in, model_dns_http) -> None:
    log_in("editor")
    page.goto("/llms/new/")
    with fault_server(Fault.status(200, {})) as server:
        fill_form(page, int(server.base_url.rsplit(":", 1)[1]))
        page.get_by_label("Token", exact=True).fill("")
        page.get_by_role("button", name="Test connection").click()
        expect(page.locator("#connection-result")).to_contain_text(
            "Type the secret to test the connection; llmadmin does not keep it."
        )
    assert server.hits == 0


def test_the_edit_form_tests_the_stored_llm_with_the_typed_secret(
    page, log_in, model_dns_http
) -> None:
    editor = log_in("editor")
    with fault_server(Fault.status(200, {"choices": []})) as server:
        llm = LLMDefinition.objects.create(
            team=editor.memberships.get().team,
            vectara_id="llm_edit_probe",
            name="edit-probe",
            type="openai-compatible",
            model="gpt-4o",
            uri=f"http://model.test:{server.base_url.rsplit(':', 1)[1]}/v1/chat/completions",
            auth_type="bearer",
            auth_public={"type": "bearer"},
        )
        page.goto(f"/llms/{llm.pk}/edit/")
        page.get_by_role("button", name="Test connection").click()
        expect(page.locator("#connection-result")).to_contain_text(
            "Type the secret to test the connection; llmadmin does not keep it."
        )
        page.get_by_label("Token", exact=True).fill(TOKEN)
        page.get_by_role("button", name="Test connection").click()
        expect(page.locator("#connection-result")).to_contain_text("answered 200")
    assert server.hits == 1
    assert server.received[0].headers["authorization"] == f"Bearer {TOKEN}"
    assert page.url.endswith(f"/llms/{llm.pk}/edit/")
