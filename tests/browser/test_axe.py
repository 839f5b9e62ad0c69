"""Issue 17: axe-core on every page, for each role, on a desk and on a phone.

axe finds what a machine can (names, roles, contrast, list markup); the other browser tests
check what it can't (focus, scroll, what is announced). Zero serious or critical violations."""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from llmadmin.audit.models import AuditEvent
from llmadmin.teams.models import Team
from tests.llms.lifecycle_support import seeded

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("dns_records")]

SIZES = {"desk": {"width": 1280, "height": 800}, "phone": {"width": 390, "height": 844}}
AXE = Axe()


def _pages(llm_pk: int, event_pk: int) -> list[str]:
    return [
        "/llms/",
        "/llms/?q=gpt",
        "/llms/new/",
        f"/llms/{llm_pk}/",
        f"/llms/{llm_pk}/edit/",
        f"/llms/{llm_pk}/delete/",
        "/llms/sync/",
        "/audit/",
        f"/audit/{event_pk}/",
        "/teams/",
        "/teams/platform/members/",
    ]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("role", ["viewer", "editor", "auditor", "admin"])
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_has_no_serious_violation(page, log_in, emulator, role, size, scheme):
    log_in(role)
    llm = seeded(emulator, Team.objects.get(slug="platform"))
    page.set_viewport_size(SIZES[size])
    page.emulate_media(color_scheme=scheme)
    page.goto(f"/llms/{llm.pk}/edit/")  # leaves an event (a refusal for a viewer) to show
    event = AuditEvent.objects.order_by("-id").first()
    found: dict[str, list[str]] = {}
    for path in _pages(llm.pk, event.pk if event else 1):
        page.goto(path)
        results = AXE.run(page)
        assert results.response["testEngine"]["name"] == "axe-core"  # it really ran
        serious = [
            f"{v['id']}: {[n['target'] for n in v['nodes']][:3]}"
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        if serious:
            found[path] = serious
    assert found == {}


@pytest.mark.parametrize("size", SIZES)
def test_the_log_in_page_and_its_refusal_have_no_serious_violation(browser, live_server, size):
    context = browser.new_context(base_url=live_server.url, viewport=SIZES[size])
    page = context.new_page()
    page.goto("/accounts/login/")
    first = AXE.run(page).response["violations"]
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_selector(".alert.error")
    second = AXE.run(page).response["violations"]
    context.close()
    serious = [v["id"] for v in first + second if v["impact"] in ("serious", "critical")]
    assert serious == []


def _serious(page) -> list[str]:
    return [
        v["id"]
        for v in AXE.run(page).response["violations"]
        if v["impact"] in ("serious", "critical")
    ]


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_question_before_disabling_has_no_serious_violation(
    page, log_in, emulator, size, scheme
):
    log_in("editor")
    llm = seeded(emulator, Team.objects.get(slug="platform"))
    page.set_viewport_size(SIZES[size])
    page.emulate_media(color_scheme=scheme)
    page.goto("/llms/")
    page.get_by_role("button", name="Disable gpt-team").click()
    page.get_by_role("button", name="Yes, disable gpt-team").wait_for()
    in_row = _serious(page)
    # The page a browser without JavaScript gets: the row's button submits the form natively.
    page.goto("/llms/")
    page.locator(f"#toggle-{llm.pk}").evaluate("b => b.form.requestSubmit(b)")
    page.get_by_role("heading", name="Disable gpt-team?").wait_for()
    assert (in_row, _serious(page)) == ([], [])
