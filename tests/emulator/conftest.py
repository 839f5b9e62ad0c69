"""Fixtures of the emulator tests (tests/emulator/test_emulator_*.py).

`emulator` here replaces tests/conftest.py's shared one for this directory: these tests need
a fresh emulator per test, with its own key and a store file, to check persistence and
exactly what was stored.
"""

from __future__ import annotations

from typing import Any

import pytest

from emulator import running_emulator
from tests.emulator.emulator_support import (
    API_KEY,
    Api,
    openai_body,
)


@pytest.fixture
def emulator(tmp_path):
    with running_emulator(store_path=tmp_path / "store.json", api_key=API_KEY) as running:
        yield running


@pytest.fixture
def api(emulator):
    client = Api(emulator.base_url)
    yield client
    client.session.close()


@pytest.fixture
def full_llm(api) -> dict[str, Any]:
    return api.create(
        openai_body(
            "full",
            description="before",
            headers={"x-team": "a"},
            idle_timeout_seconds=300,
            capabilities={"context_limit": 8192},
        )
    )
