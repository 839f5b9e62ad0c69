"""Issue 16 point 2, the browser's side: a create, an edit or a Test connection that takes
more than a moment says it is working, with its elapsed time, and can't be sent twice.

The upstream is a real HTTP server that holds each answer until the test lets it go, and
counts what reached it."""

from __future__ import annotations

import re
import socket
import threading

import pytest
from playwright.sync_api import expect

from llmadmin.llms.models import LLMDefinition
from llmadmin.teams.models import Team
from tests.support.fault_server import Fault, Received, fault_server

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("dns_records")]

TOKEN = "sk-slow-save-0123456789"
LLM_ID = "llm_slow_1"
ANSWER = {"id": LLM_ID, "name": "gpt-slow", "description": "", "enabled": True}


def _slow_vectara(release: threading.Event, arrived: threading.Event) -> Fault:
    """Vectara that holds every create and edit; reads of the LLM are answered at once."""
    full = Fault.status(200, {**ANSWER, "type": "openai-compatible", "model": "gpt-4o"})
    created = Fault.held(Fault.status(201, ANSWER), release, arrived)
    changed = Fault.held(Fault.status(200, ANSWER), release, arrived)
    answers = {"GET": full, "POST": created, "PATCH": changed}

    def action(conn: socket.socket, request: Received, stop: threading.Event) -> None:
        answers[request.method].action(conn, request, stop)

    return Fault("slow writes", action)


def _try_again(page, button) -> None:
    """What an impatient person does: click the button again, and press Enter in a field."""
    expect(button).to_be_disabled()
    button.click(force=True)  # the disabled button: the browser sends nothing
    page.get_by_label("Model", exact=True).press("Enter")  # implicit submission


def _expect_working(page, region: str, note: str) -> None:
    busy = page.locator(region)
    expect(busy).to_have_attribute("aria-busy", "true")
    line = busy.locator("[data-busy-line]") if region == "#llm-form" else busy
    expect(line).to_contain_text(note)
    # The time it has taken so far, counting up while the person waits.
    expect(line).to_contain_text(re.compile(r"\(1 s so far\)"))
    expect(line).to_contain_text(re.compile(r"\(2 s so far\)"))


def test_a_slow_create_shows_it_is_working_and_is_sent_once(page, log_in, settings):
    log_in("editor")
    release, arrived = threading.Event(), threading.Event()
    with fault_server(_slow_vectara(release, arrived)) as server:
        settings.VECTARA_API_URL = server.base_url
        page.goto("/llms/new/")
        page.get_by_label("Name", exact=True).fill("gpt-slow")
        page.get_by_label("Model", exact=True).fill("gpt-4o")
        page.get_by_label("Endpoint URI", exact=True).fill(
            "https://api.openai.com/v1/chat/completions"
        )
        page.get_by_label("Token", exact=True).fill(TOKEN)
        save = page.get_by_role("button", name="Register with Vectara")
        # Enter in a field saves (not the first button below it: a header row's Remove).
        page.get_by_label("Token", exact=True).press("Enter")
        assert arrived.wait(10)
        _expect_working(
            page, "#llm-form", "Registering the LLM with Vectara; it gives up after 33 seconds"
        )
        _try_again(page, save)

        release.set()
        page.wait_for_url(re.compile(r".*/llms/\d+/$"))
        expect(page.locator(".messages")).to_contain_text("gpt-slow is registered with Vectara.")
        assert len(server.requests("POST")) == 1
    assert LLMDefinition.objects.count() == 1


def test_a_slow_edit_shows_it_is_working_and_is_sent_once(page, log_in, settings):
    log_in("editor")
    llm = LLMDefinition.objects.create(
        team=Team.objects.get(slug="platform"),
        vectara_id=LLM_ID,
        name="gpt-slow",
        type="openai-compatible",
        model="gpt-4o",
        uri="https://api.openai.com/v1/chat/completions",
        auth_type="bearer",
        auth_public={"type": "bearer"},
    )
    release, arrived = threading.Event(), threading.Event()
    with fault_server(_slow_vectara(release, arrived)) as server:
        settings.VECTARA_API_URL = server.base_url
        page.goto(f"/llms/{llm.pk}/edit/")
        page.get_by_label("Model", exact=True).fill("gpt-4.1")
        save = page.get_by_role("button", name="Save changes")
        save.click()
        assert arrived.wait(10)
        _expect_working(
            page, "#llm-form", "Saving your changes in Vectara; it gives up after 33 seconds"
        )
        _try_again(page, save)

        release.set()
        page.wait_for_url(re.compile(rf".*/llms/{llm.pk}/$"))
        assert len(server.requests("PATCH")) == 1
    llm.refresh_from_db()
    assert (llm.model, llm.version) == ("gpt-4.1", 2)


def test_a_slow_test_connection_shows_it_is_working_and_is_sent_once(page, log_in, model_dns_http):
    log_in("editor")
    release, arrived = threading.Event(), threading.Event()
    answer = Fault.status(200, {"choices": [{"message": {"content": "pong"}}]})
    with fault_server(Fault.held(answer, release, arrived)) as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        page.goto("/llms/new/")
        page.get_by_label("Name", exact=True).fill("gpt-slow")
        page.get_by_label("Model", exact=True).fill("gpt-4o-mini")
        page.get_by_label("Endpoint URI", exact=True).fill(
            f"http://model.test:{port}/v1/chat/completions"
        )
        page.get_by_label("Token", exact=True).fill(TOKEN)
        test = page.get_by_role("button", name="Test connection")
        test.click()
        assert arrived.wait(10)
        _expect_working(
            page,
            "#connection-result",
            "Sending one chat request to the endpoint; it gives up after 13 seconds",
        )
        expect(test).to_be_disabled()
        test.click(force=True)

        release.set()
        expect(page.locator("#connection-result")).not_to_have_attribute("aria-busy", "true")
        expect(page.locator("#connection-result .alert")).to_be_visible()
        expect(test).to_be_enabled()
        assert server.hits == 1
    assert not LLMDefinition.objects.exists()  # a test saves nothing
