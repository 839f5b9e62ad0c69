"""The emulator's create delay (`--create-delay`, off by default): each valid create waits,
as Vectara does while it tests the model, so a benchmark can hold calls open upstream."""

from __future__ import annotations

import time

from emulator import running_emulator
from tests.emulator.emulator_support import API_KEY, Api, openai_body
from tests.emulator.test_emulator_command import _command, _first_line

DELAY = 0.3


def _timed_create(api: Api, name: str) -> float:
    started = time.monotonic()
    api.create(openai_body(name))
    return time.monotonic() - started


# Only lower bounds: a sleep never ends early, so these cannot fail on a slow machine.
def test_a_create_is_answered_after_the_delay_and_then_stored(tmp_path):
    with running_emulator(store_path=tmp_path / "s.json", api_key=API_KEY, create_delay=DELAY) as e:
        api = Api(e.base_url)
        assert _timed_create(api, "slow") >= DELAY
        assert [llm["name"] for llm in e.store.all()] == ["slow"]
        # The wait comes before the store: a duplicate name is still refused after it.
        assert api("POST", "/v2/llms", json=openai_body("slow")).status_code == 409


def test_the_command_takes_the_delay(tmp_path):
    store = str(tmp_path / "s.json")
    process = _command(
        "--port", "0", "--store", store, "--api-key", API_KEY, "--create-delay", str(DELAY)
    )
    try:
        base_url = _first_line(process.stdout).split()[4]
        assert _timed_create(Api(base_url), "through-the-command") >= DELAY
    finally:
        process.kill()
        process.communicate()


def test_the_command_refuses_a_delay_out_of_range(tmp_path):
    for value in ("-1", "nan", "601"):
        process = _command(
            "--port", "0", "--store", str(tmp_path / "s.json"), "--create-delay", value
        )
        out, err = process.communicate(timeout=30)
        assert process.returncode != 0
        assert "--create-delay must be from 0 to 600 seconds." in err and "listening" not in out
