"""Figure 3: what the create flow adds to Vectara's own time.

The whole flow through gunicorn (POST the form → upstream → local record → audit event),
minus a direct POST of the same body to the same emulator, divided by a bare view's round
trip on the same server. The three are timed in turn, each create with a new name.
"""

from __future__ import annotations

import itertools
import uuid

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
    spread,
)

_serial = itertools.count()


def form_data(name: str) -> dict[str, str]:
    return {
        "type": "openai-compatible",
        "name": name,
        "description": "Created by the benchmark.",
        "model": "gpt-4o",
        # Doesn't resolve here: accepted with a warning, as it would be in an offline network.
        "uri": "https://api.openai.com/v1/chat/completions",
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


def _name() -> str:
    return f"bench-create-{next(_serial):05d}-{uuid.uuid4().hex[:8]}"


def measure(*, base_url: str, emulator_url: str, editor: requests.Session) -> list[Result]:
    runs = env_int("BENCH_CREATE_RUNS", 30)
    token = csrf_token(editor, f"{base_url}/llms/new/")
    upstream = requests.Session()
    upstream.headers["x-api-key"] = API_KEY

    def create() -> None:
        answer = editor.post(
            f"{base_url}/llms/new/",
            data={"csrfmiddlewaretoken": token, **form_data(_name())},
            allow_redirects=False,
            timeout=60,
        )
        if answer.status_code != 302:
            raise RuntimeError(f"the create answered {answer.status_code}, not a redirect")
        # A browser follows the redirect, and the page it lands on shows (and so clears) the
        # "registered" message. Without this, every create would carry all the earlier
        # unread messages in its cookie and pay for re-encoding them.
        editor.cookies.pop("messages", None)

    body_template = upstream_body("template")

    def direct() -> None:
        answer = upstream.post(
            f"{emulator_url}/v2/llms", json={**body_template, "name": _name()}, timeout=60
        )
        if answer.status_code != 201:
            raise RuntimeError(f"the emulator answered {answer.status_code}")

    calls = {
        "create flow": create,
        "direct upstream": direct,
        "bare view": get_ok(editor, f"{base_url}/bench/bare/"),
        "signed-in view": get_ok(editor, f"{base_url}/bench/signed-in/"),
    }
    samples = interleaved(calls, runs)
    for name, values in samples.items():
        say(f"  {name:<16} {spread(values)}")
    flow, up, bare, signed_in = (
        median(samples[name])
        for name in ("create flow", "direct upstream", "bare view", "signed-in view")
    )
    inputs = {name: spread(values) for name, values in samples.items()}
    return [
        Result(
            "3",
            "create flow - direct upstream POST, ÷ bare view",
            (flow - up) / bare,
            "<= 3",
            f"{runs} runs each; ({inputs['create flow']} - {inputs['direct upstream']}) ÷ "
            f"{inputs['bare view']}",
        ),
        # Not a goal of the issue: what any signed-in request pays before its own work.
        Result(
            "3",
            "signed-in view (session, user, teams) ÷ bare view",
            signed_in / bare,
            "",
            f"{runs} runs each; {inputs['signed-in view']} ÷ {inputs['bare view']}",
        ),
    ]
