"""Figure 1: what a browser downloads for each page, logged in, with an empty cache:
decoded bytes (bodies after gzip/brotli) and the number of requests, in headless Chromium."""

from __future__ import annotations

from urllib.parse import urlsplit

import requests

from tests.conftest import CHROMIUM_FLAGS, chromium_path

from .support import Result

BUDGET_BYTES = 100 * 1024
BUDGET_REQUESTS = 8
PAGES = {"/llms/new/": "editor", "/llms/": "editor", "/audit/": "auditor"}


def _short(url: str) -> str:
    path = urlsplit(url).path
    return path.rsplit("/", 1)[-1] if path.startswith("/static/") else path


def measure(*, base_url: str, sessions: dict[str, requests.Session]) -> list[Result]:
    from playwright.sync_api import sync_playwright

    out = []
    host = urlsplit(base_url).hostname
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_FLAGS)
        try:
            for path, username in PAGES.items():
                context = browser.new_context()  # a new profile: nothing cached
                cookie = sessions[username].cookies["sessionid"]
                context.add_cookies(
                    [{"name": "sessionid", "value": cookie, "domain": host, "path": "/"}]
                )
                page = context.new_page()
                loaded: list[tuple[str, int]] = []

                def finished(request, loaded=loaded) -> None:  # type: ignore[no-untyped-def]
                    response = request.response()
                    size = len(response.body()) if response and response.status != 304 else 0
                    loaded.append((request.url, size))

                page.on("requestfinished", finished)
                answer = page.goto(base_url + path, wait_until="networkidle")
                assert answer and answer.status == 200 and answer.url.endswith(path), answer
                page.wait_for_timeout(300)  # anything htmx asks for after load
                context.close()
                total = sum(size for _, size in loaded)
                detail = ", ".join(f"{_short(url)} {size / 1024:.1f}" for url, size in loaded)
                out.append(
                    Result(
                        "1",
                        f"{path} decoded KB (as {username})",
                        total / 1024,
                        f"<= {BUDGET_BYTES / 1024:.0f}",
                        f"{len(loaded)} requests: {detail}",
                        fmt="{:.1f}",
                    )
                )
                out.append(
                    Result(
                        "1",
                        f"{path} requests",
                        len(loaded),
                        f"<= {BUDGET_REQUESTS}",
                        "every request of the page load, empty cache",
                        fmt="{:.0f}",
                    )
                )
        finally:
            browser.close()
    return out
