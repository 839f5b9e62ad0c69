"""The emulator's x-api-key check."""

from __future__ import annotations

import pytest
import requests

from emulator import running_emulator
from tests.emulator.emulator_support import (
    Api,
    assert_error,
    openai_body,
)


@pytest.mark.parametrize("api_key", [None, "wrong-key", ""], ids=["missing", "wrong", "empty"])
@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/v2/llms", None),
        ("POST", "/v2/llms", openai_body()),
        ("DELETE", "/v2/llms/x", None),
    ],
)
def test_requests_without_the_right_api_key_get_401(emulator, api_key, method, path, body):
    client = Api(emulator.base_url, api_key=api_key)
    assert_error(client(method, path, json=body), 401)
    assert emulator.store.all() == []


def test_without_a_configured_key_no_key_is_needed():
    with running_emulator() as open_emulator:
        assert requests.get(f"{open_emulator.base_url}/v2/llms", timeout=10).status_code == 200
