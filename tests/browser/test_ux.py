"""Issue 17, as a person meets it: where errors appear, where focus goes, what they can read."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.teams.factories import PASSWORD, MembershipFactory, TeamFactory

pytestmark = [pytest.mark.browser, pytest.mark.usefixtures("dns_records")]

TOKEN = "sk-ux-canary-000111222333"


def _contrast(page, selector: str) -> float:
    """WCAG contrast of an element's text against its own background."""
    return page.evaluate(
        """(sel) => {
          const s = getComputedStyle(document.querySelector(sel));
          const rgb = (c) => c.match(/[\\d.]+/g).slice(0, 3).map(Number);
          const lum = (c) => { const [r, g, b] = rgb(c).map((v) => { v /= 255;
            return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
          const [a, b] = [lum(s.color), lum(s.backgroundColor)].sort((x, y) => y - x);
          return (a + 0.05) / (b + 0.05);
        }""",
        selector,
    )


def _refuse_a_create(page) -> None:
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/llms/new/")
    page.get_by_label("Name", exact=True).fill("ux-refused")
    page.get_by_label("Model", exact=True).fill("gpt-4o")
    page.get_by_label("Token", exact=True).fill(TOKEN)
    # No endpoint URI: the save is refused. The person is at the bottom of the long form.
    page.evaluate("window.scrollTo(0, document.body.scrollHeight)")
    page.get_by_role("button", name="Register with Vectara").click()


def test_a_refused_save_focuses_a_summary_at_the_top_that_links_to_each_field(page, log_in):
    log_in("editor")
    _refuse_a_create(page)

    summary = page.locator("#error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_be_in_viewport()
    expect(summary).to_contain_text("Endpoint URI")
    expect(summary).to_contain_text("Token: type it again")
    # The sentence by the emptied secret field, not only in the summary.
    expect(page.locator("#id_token_again")).to_contain_text("Type the token again")
    assert TOKEN not in page.content()

    summary.get_by_role("link", name="Endpoint URI").click()
    expect(page.get_by_label("Endpoint URI", exact=True)).to_be_focused()


def test_without_javascript_the_refused_save_also_lands_on_the_summary(
    browser, live_server, log_in
):
    log_in("editor", username="nojs")
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("nojs")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    _refuse_a_create(page)

    expect(page.locator("#error-summary")).to_be_focused()
    expect(page.locator("#error-summary")).to_be_in_viewport()
    expect(page.locator("#id_token_again")).to_be_visible()
    context.close()


def test_an_invalid_field_is_red_and_its_own_check_replaces_the_old_error(page, log_in):
    log_in("editor")
    page.goto("/llms/new/")
    page.get_by_label("Endpoint URI", exact=True).fill("https://169.254.169.254/latest/meta-data")
    page.get_by_role("button", name="Register with Vectara").click()
    uri = page.get_by_label("Endpoint URI", exact=True)
    expect(uri).to_have_attribute("aria-invalid", "true")
    expect(page.locator(".field.invalid:has(#id_uri) ul.errorlist")).to_be_visible()
    # The red border is seen, not overruled by the plain input rule.
    assert uri.evaluate("e => getComputedStyle(e).borderTopColor") == "rgb(201, 42, 42)"

    uri.fill("https://api.openai.com/v1/chat/completions")
    uri.blur()
    expect(page.locator("#uri-feedback .ok")).to_be_visible()
    expect(page.locator(".field:has(#id_uri) ul.errorlist")).to_have_count(0)
    expect(uri).to_have_attribute("aria-invalid", "false")
    assert uri.evaluate("e => getComputedStyle(e).borderTopColor") != "rgb(201, 42, 42)"


def test_the_team_switcher_is_readable(page, log_in):
    user = log_in("viewer")
    MembershipFactory(user=user, team=TeamFactory(name="Research", slug="research"), role="viewer")
    page.goto("/llms/")
    switcher = page.get_by_label("Team", exact=True)
    assert switcher.evaluate("e => e.selectedOptions[0].text") == "Platform"
    assert _contrast(page, "#team-switch") >= 4.5


def test_sorting_and_paging_keep_focus_and_say_one_line(page, log_in):
    from llmadmin.llms.models import LLMDefinition
    from llmadmin.teams.models import Team

    log_in("viewer")
    team = Team.objects.get(slug="platform")
    LLMDefinition.objects.bulk_create(
        LLMDefinition(team=team, name=f"llm-{n:02d}", vectara_id=f"v{n}", model=f"m-{n:02d}")
        for n in range(51)
    )
    page.goto("/llms/")
    status = page.get_by_role("status")
    expect(status).to_have_text("51 LLMs, page 1 of 2.")
    # The table is no live region: only the one sentence is announced.
    assert page.locator("#llm-results[aria-live], table[aria-live]").count() == 0
    expect(page.locator("th[aria-sort]")).to_have_attribute("aria-sort", "ascending")

    page.get_by_role("link", name="Model").focus()
    page.keyboard.press("Enter")
    expect(page.locator("th:has(#sort-model)")).to_have_attribute("aria-sort", "ascending")
    expect(page.locator("#sort-model")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("th:has(#sort-model)")).to_have_attribute("aria-sort", "descending")
    expect(page.locator("#sort-model")).to_be_focused()

    page.get_by_role("link", name="Next").focus()
    page.keyboard.press("Enter")
    expect(status).to_have_text("51 LLMs, page 2 of 2.")
    # "Next" is gone on the last page: focus goes to the result line, not to <body>.
    expect(page.locator("#llm-status")).to_be_focused()

    page.get_by_label("Search").press_sequentially("llm-1", delay=30)
    expect(status).to_have_text("10 LLMs match “llm-1”.")
    expect(page.get_by_label("Search")).to_be_focused()


def test_disabling_from_a_row_asks_first_and_focus_follows(page, log_in, emulator):
    from llmadmin.teams.models import Team
    from tests.llms.lifecycle_support import seeded

    log_in("editor")
    llm = seeded(emulator, Team.objects.get(slug="platform"))
    page.goto("/llms/")
    row = page.locator(f"#llm-{llm.pk}")
    page.get_by_role("button", name="Disable gpt-team").focus()
    page.keyboard.press("Enter")
    # A keystroke asks; it does not disable. The question has focus's attention.
    yes = page.get_by_role("button", name="Yes, disable gpt-team")
    expect(yes).to_be_focused()
    expect(row.get_by_role("alert")).to_contain_text("Disable gpt-team? Any Vectara query")
    assert emulator.store.get(llm.vectara_id)["enabled"] is True

    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Keep it enabled")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Disable gpt-team")).to_be_focused()
    expect(row).not_to_contain_text("Disable gpt-team?")
    assert emulator.store.get(llm.vectara_id)["enabled"] is True

    page.keyboard.press("Enter")
    expect(yes).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("button", name="Enable gpt-team")).to_be_focused()
    expect(row).to_contain_text("gpt-team is now disabled.")
    assert emulator.store.get(llm.vectara_id)["enabled"] is False


def test_without_javascript_disabling_from_a_row_asks_on_a_page(
    browser, live_server, log_in, emulator
):
    from llmadmin.teams.models import Team
    from tests.llms.lifecycle_support import seeded

    log_in("editor", username="nojs")
    llm = seeded(emulator, Team.objects.get(slug="platform"))
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("nojs")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.get_by_role("button", name="Disable gpt-team").click()
    expect(page.get_by_role("heading", name="Disable gpt-team?")).to_be_visible()
    assert emulator.store.get(llm.vectara_id)["enabled"] is True
    page.get_by_role("button", name="Disable gpt-team").click()
    expect(page.locator(".messages")).to_contain_text("gpt-team is now disabled.")
    assert emulator.store.get(llm.vectara_id)["enabled"] is False
    context.close()


def test_flash_messages_are_a_list_inside_the_live_region(page, log_in, emulator):
    from llmadmin.teams.models import Team
    from tests.llms.lifecycle_support import seeded

    log_in("editor")
    llm = seeded(emulator, Team.objects.get(slug="platform"))
    page.goto(f"/llms/{llm.pk}/edit/")
    page.get_by_role("button", name="Save changes").click()
    message = page.locator(".messages li")
    expect(message).to_have_text("Nothing changed, so nothing was sent to Vectara.")
    # The list stays a list (axe's listitem rule); the live region is its wrapper.
    assert message.evaluate("li => li.parentElement.matches('ul:not([role])')")
    assert message.evaluate("li => li.closest('[role=status]') !== null")


def test_a_slow_test_connection_says_what_it_tries_and_stays_on_the_button(
    page, log_in, model_dns_http
):
    from tests.support.fault_server import Fault, fault_server

    log_in("editor")
    page.goto("/llms/new/")
    with fault_server(Fault.hang_before_headers(4.0)) as server:
        port = int(server.base_url.rsplit(":", 1)[1])
        page.get_by_label("Name", exact=True).fill("gpt-slow")
        page.get_by_label("Model", exact=True).fill("gpt-4o-mini")
        page.get_by_label("Endpoint URI", exact=True).fill(
            f"http://model.test:{port}/v1/chat/completions"
        )
        page.get_by_label("Token", exact=True).fill(TOKEN)
        button = page.get_by_role("button", name="Test connection")
        button.focus()
        page.keyboard.press("Enter")

        result = page.locator("#connection-result")
        expect(result).to_have_attribute("aria-busy", "true")
        expect(result).to_contain_text("Sending one chat request to the endpoint")
        expect(result).to_contain_text("gives up after 13 seconds")
        expect(result).to_have_attribute("aria-busy", "true")
        # After the answer, the region is no longer busy and focus is back on the button.
        expect(result).not_to_have_attribute("aria-busy", "true", timeout=15_000)
        expect(result).not_to_contain_text("Sending one chat request")
        expect(button).to_be_focused()
    assert server.hits == 1


def test_the_detail_badge_says_what_vectara_says(page, log_in, emulator):
    from llmadmin.teams.models import Team
    from tests.llms.lifecycle_support import seeded

    log_in("editor")
    llm = seeded(emulator, Team.objects.get(slug="platform"))
    emulator.store.put({**emulator.store.get(llm.vectara_id), "enabled": False})
    page.goto(f"/llms/{llm.pk}/")
    expect(page.locator("#llm-status .badge").first).to_have_text("disabled")
    expect(page.locator("#llm-status").get_by_role("button")).to_have_text("Enable")
    expect(page.get_by_role("table").filter(has_text="enabled")).to_be_visible()


def test_on_a_phone_rows_are_cards_and_nothing_scrolls_sideways(page, log_in, emulator):
    from llmadmin.teams.models import Team
    from tests.llms.lifecycle_support import seeded

    log_in("admin")
    llm = seeded(emulator, Team.objects.get(slug="platform"))
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/llms/")
    button = page.get_by_role("button", name="Disable gpt-team")
    expect(button).to_be_in_viewport()
    box = page.locator(f"#llm-{llm.pk}").bounding_box()
    assert box is not None and box["width"] <= 390
    expect(page.locator(f"#llm-{llm.pk} td[data-label=Status]")).to_be_visible()
    for path in ("/llms/", "/audit/", f"/llms/{llm.pk}/", "/teams/"):
        page.goto(path)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert wide <= 390, f"{path} scrolls sideways ({wide} px)"


def test_at_1280_the_list_uses_the_width_it_needs(page, log_in, emulator):
    from llmadmin.teams.models import Team
    from tests.llms.lifecycle_support import seeded

    log_in("editor")
    llm = seeded(emulator, Team.objects.get(slug="platform"))
    page.set_viewport_size({"width": 1280, "height": 800})
    page.goto("/llms/")
    row = page.locator(f"#llm-{llm.pk}")
    # One line per row: no cell wraps its name, type or date.
    assert row.evaluate("r => r.getBoundingClientRect().height") < 60
    assert page.locator("main").evaluate("m => m.getBoundingClientRect().width") > 896


def test_dark_mode_follows_the_system_with_readable_text_and_focus(page, log_in):
    log_in("editor")
    page.emulate_media(color_scheme="dark")
    page.goto("/llms/new/")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(16, 20, 28)"
    assert _contrast(page, "body") >= 7
    name = page.get_by_label("Name", exact=True)
    name.focus()
    ring = name.evaluate("e => getComputedStyle(e).outlineColor")
    assert ring == "rgb(142, 164, 255)"  # #8ea4ff: 7.6:1 on the dark page
    page.emulate_media(color_scheme="light")
    name.focus()
    assert name.evaluate("e => getComputedStyle(e).outlineColor") == "rgb(59, 91, 219)"


def test_the_create_form_keeps_advanced_sections_closed_until_wanted(page, log_in):
    log_in("editor")
    page.goto("/llms/new/")
    idle = page.get_by_label("Idle time-out (seconds)", exact=True)
    expect(idle).to_be_hidden()
    page.locator("summary", has_text="Test call and time-out").click()
    expect(idle).to_be_visible()
