from __future__ import annotations

import os
import shutil
from collections.abc import Iterator

import pytest

from tests.support import dns

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str | None:
    return os.environ.get("LLMADMIN_CHROMIUM") or shutil.which("chromium")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if chromium_path():
        return
    skip = pytest.mark.skip(
        reason="no Chromium: install Debian's chromium or set LLMADMIN_CHROMIUM"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if not (shutil.which("rsyslogd") or shutil.which("rsyslogd", path="/usr/sbin")):
        terminalreporter.write_line(
            "!!! SYSLOG TESTS SKIPPED: no rsyslogd (apt-get install rsyslog). Audit events "
            "to syslog were NOT tested in this run. !!!",
            red=True,
            bold=True,
        )
    if not chromium_path():
        terminalreporter.write_line(
            "!!! BROWSER TESTS SKIPPED: no Chromium found (install Debian's chromium or set "
            "LLMADMIN_CHROMIUM). HTMX behaviour was NOT tested in this run. !!!",
            red=True,
            bold=True,
        )


@pytest.fixture(autouse=True)
def _empty_caches() -> None:
    """What one test left in a cache (a recorded view failure, a health probe) must not change
    what the next one sees."""
    from django.core.cache import caches

    for cache in caches.all():
        cache.clear()


# --- upstream ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def _emulator_server() -> Iterator[object]:
    from emulator import running_emulator

    with running_emulator(api_key="test-dashboard-key") as emulator:
        yield emulator


@pytest.fixture
def emulator(_emulator_server: object, settings: object) -> Iterator[object]:
    """The project's Vectara emulator over real HTTP, empty, and the dashboard pointed at it."""
    emulator = _emulator_server
    emulator.store.clear()  # type: ignore[attr-defined]
    emulator.requests.clear()  # type: ignore[attr-defined]
    settings.VECTARA_API_URL = emulator.base_url  # type: ignore[attr-defined]
    settings.VECTARA_API_KEY = "test-dashboard-key"  # type: ignore[attr-defined]
    yield emulator


@pytest.fixture
def dns_records() -> Iterator[dict[str, list[str]]]:
    """What host names resolve to for the URI checks: tests add entries; cleared after."""
    dns.RECORDS.clear()
    dns.RECORDS.update(
        {
            "api.openai.com": ["104.18.6.192"],
            "api.anthropic.com": ["160.79.104.10"],
            "my-resource.openai.azure.com": ["20.62.58.1"],
            "openrouter.ai": ["104.18.2.115"],
        }
    )
    yield dns.RECORDS
    dns.RECORDS.clear()


@pytest.fixture
def model_dns(settings, dns_records) -> dict[str, list[str]]:
    """model.test, a model server for Test connection: it resolves to 127.0.0.1, which the
    URI policy admits for that name only."""
    settings.LLMADMIN_URI_ALLOWED_HOSTS = ["model.test"]
    dns_records["model.test"] = ["127.0.0.1"]
    return dns_records


@pytest.fixture
def model_dns_http(model_dns, settings) -> dict[str, list[str]]:
    """model_dns over plain http, as the fault servers speak."""
    settings.LLMADMIN_URI_ALLOW_HTTP = True
    return model_dns


# --- people -----------------------------------------------------------------------------------


@pytest.fixture
def team(db: None) -> object:
    from tests.teams.factories import TeamFactory

    return TeamFactory(name="Platform", slug="platform")


@pytest.fixture
def editor(team: object) -> object:
    from tests.teams.factories import member

    return member("editor", team, username="erin")


@pytest.fixture
def editor_client(client: object, editor: object) -> object:
    client.force_login(editor)  # type: ignore[attr-defined]
    return client
