"""Figure 3: what the create flow adds to Vectara's own time, in signed-in floors.

(server time of the create flow - round trip of a direct POST of the same body to the same
emulator) ÷ server time of the signed-in floor (bench/urls.py), all timed in turn. The flow's
server time holds the app's own round trip to the emulator; the direct POST is that round
trip made by a plain `requests` client, as the app's Vectara client makes it."""

from __future__ import annotations

import itertools
import re
import uuid
from collections.abc import Callable

import requests
from django.http import QueryDict

from llmadmin.llms.forms import LLMCreateForm

from .support import (
    API_KEY,
    Result,
    csrf_token,
    env_int,
    get_ok,
    interleaved,
    median,
    say,
    server_times,
    spread,
)

_serial = itertools.count()


def form_data(name: str) -> dict[str, str]:
    return {
        "type": "openai-compatible",
        "name": name,
        "description": "Created by the benchmark.",
        "model": "gpt-4o",
        "uri": "https://api.openai.com/v1/chat/completions",  # resolved by bench.settings.DNS
        "auth_type": "bearer",
        "token": "sk-bench-0123456789abcdef",
        "max_tokens": "16",
    }


def upstream_body(name: str) -> dict[str, object]:
    """The body the app sends upstream for this form, built by the app's own form and spec."""
    data = QueryDict(mutable=True)
    data.update(form_data(name))
    form = LLMCreateForm(data)
    assert form.is_valid(), form.errors
    return form.to_spec().create_body()


def new_name() -> str:
    return f"bench-create-{next(_serial):05d}-{uuid.uuid4().hex[:8]}"


def creator(base_url: str, editor: requests.Session) -> Callable[[], requests.Response]:
    """A call that creates one LLM through the form and returns the redirect to its page."""
    token = csrf_token(editor, f"{base_url}/llms/new/")

    def create() -> requests.Response:
        answer = editor.post(
            f"{base_url}/llms/new/",
            data={"csrfmiddlewaretoken": token, **form_data(new_name())},
            allow_redirects=False,
            timeout=60,
        )
        if answer.status_code != 302 or not re.fullmatch(r"/llms/\d+/", answer.headers["Location"]):
            raise RuntimeError(f"the create answered {answer.status_code}, not a redirect")
        # A browser follows the redirect, and the page it lands on shows (and so clears) the
        # "registered" message; without this each create would carry every earlier one.
        editor.cookies.pop("messages", None)
        return answer

    return create


def measure(
    *, base_url: str, emulator_url: str, editor: requests.Session, bare: requests.Session
) -> list[Result]:
    runs = env_int("BENCH_CREATE_RUNS", 30, quick=8)
    upstream = requests.Session()
    upstream.headers["x-api-key"] = API_KEY
    body = upstream_body("template")

    def direct() -> requests.Response:
        answer = upstream.post(
            f"{emulator_url}/v2/llms", json={**body, "name": new_name()}, timeout=60
        )
        if answer.status_code != 201:
            raise RuntimeError(f"the emulator answered {answer.status_code}")
        return answer

    calls = {
        "create flow": creator(base_url, editor),
        "direct upstream POST": direct,
        "signed-in floor": get_ok(editor, f"{base_url}/bench/floor/"),
        "bare view": get_ok(bare, f"{base_url}/bench/bare/"),
    }
    round_trips, answers = interleaved(calls, runs)
    served = server_times({k: v for k, v in answers.items() if k != "direct upstream POST"})
    for name, values in served.items():
        say(f"  {name:<22} server {spread(values)} (round trip {spread(round_trips[name])})")
    say(f"  {'direct upstream POST':<22} round trip {spread(round_trips['direct upstream POST'])}")
    flow, direct_post = served["create flow"], round_trips["direct upstream POST"]
    floor, bare_view = served["signed-in floor"], served["bare view"]
    return [
        Result(
            "3",
            "(create flow - direct upstream POST) ÷ signed-in floor",
            (median(flow) - median(direct_post)) / median(floor),
            "<= 3",
            f"{runs} runs each, in turn; ({spread(flow)} server - {spread(direct_post)} round "
            f"trip) ÷ {spread(floor)} server",
        ),
        floor_over_bare("3", runs, floor, bare_view),
    ]


def floor_over_bare(figure: str, runs: int, floor: list[float], bare: list[float]) -> Result:
    """For information: what knowing who is asking costs, in bare views."""
    return Result(
        figure,
        "signed-in floor ÷ bare view",
        median(floor) / median(bare),
        "",
        f"{runs} runs each, in turn, server time; {spread(floor)} ÷ {spread(bare)}",
    )
