"""The Content Security Policy in a real Chromium: htmx works under it, and nothing on the
create form (the page with the most htmx) is blocked or reported."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

# Registered before any page script runs, so a violation during load is caught too.
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}`);
});
"""


def test_the_create_form_runs_under_the_policy_without_a_single_violation(page, log_in) -> None:
    console: list[str] = []
    page.on("console", lambda message: console.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: console.append(f"pageerror: {error}"))
    page.add_init_script(LISTEN)
    log_in("editor")

    response = page.goto("/llms/new/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self' 'nonce-" in policy and "style-src 'self'" in policy
    assert "unsafe" not in policy

    # An htmx swap: the auth fields change in place, which needs htmx to run and its
    # request to be allowed (connect-src) and its new content to obey style-src.
    page.get_by_label("Credential type", exact=True).select_option("header")
    expect(page.get_by_label("Header name", exact=True)).to_be_visible()
    expect(page.get_by_label("Token", exact=True)).to_have_count(0)
    page.get_by_role("button", name="Add a header").click()
    expect(page.locator('input[name="header_name"]')).to_have_count(2)

    violations = page.evaluate("window.__cspViolations")
    assert violations == [], violations
    # Chromium also reports each blocked resource or inline code on the console.
    blocked = [line for line in console if "Content Security Policy" in line or "Refused" in line]
    assert blocked == [], blocked
    assert [line for line in console if line.startswith("pageerror")] == [], console
    # And no <style> was injected by htmx (includeIndicatorStyles is off).
    assert page.evaluate("document.querySelectorAll('style').length") == 0

    # The listener does hear violations: an inline style, as a careless template would add.
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">x</p>')")
    page.wait_for_function("window.__cspViolations.length > 0")
    assert "style-src" in page.evaluate("window.__cspViolations")[0]
