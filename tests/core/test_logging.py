"""The log: one JSON object per line, one access line per request, no secret ever."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from llmadmin.core.logging import JsonFormatter, RequestContextFilter

pytestmark = pytest.mark.usefixtures("dns_records")

CANARY = "canary-log-Qm8Zt2Wx5Rk9Lp3V"


@pytest.fixture
def log_output() -> Iterator[io.StringIO]:
    """Everything logged anywhere, formatted exactly as the production console handler does."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestContextFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)  # urllib3 and friends too
    yield stream
    root.removeHandler(handler)
    root.setLevel(old_level)


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_each_request_writes_one_json_access_line(
    editor_client, editor, log_output, settings
) -> None:
    settings.LLMADMIN_TRUSTED_PROXIES = ["10.0.0.1"]  # the load balancer that set the id
    response = editor_client.get(
        "/llms/?q=anything-typed", HTTP_X_REQUEST_ID="lb-request-0001", REMOTE_ADDR="10.0.0.1"
    )
    assert response.status_code == 200
    access = [line for line in lines(log_output) if line["logger"] == "llmadmin.access"]
    assert len(access) == 1
    line = access[0]
    assert set(line) >= {
        "time",
        "level",
        "logger",
        "message",
        "request_id",
        "user_id",
        "path",
        "status",
        "duration_ms",
    }
    assert line["request_id"] == "lb-request-0001"
    assert line["user_id"] == editor.pk
    assert line["path"] == "/llms/"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float)
    assert "anything-typed" not in log_output.getvalue()


def test_lines_written_inside_a_request_carry_its_id(editor_client, emulator, log_output) -> None:
    editor_client.post(
        "/llms/new/",
        {
            "type": "openai-compatible",
            "name": "logged",
            "model": "gpt-4o",
            "max_tokens": "8",
            "uri": "https://api.openai.com/v1/chat/completions",
            "auth_type": "bearer",
            "token": "sk-whatever-0000",
        },
    )
    upstream = [line for line in lines(log_output) if line["logger"] == "llmadmin.vectara.client"]
    access = [line for line in lines(log_output) if line["logger"] == "llmadmin.access"]
    assert upstream and access
    assert upstream[0]["request_id"] == access[0]["request_id"]
    assert upstream[0]["path"] == "/llms/new/"


def test_a_canary_secret_posted_to_the_create_form_never_reaches_the_log(
    editor_client, emulator, log_output
) -> None:
    common = {"type": "openai-compatible", "model": "gpt-4o", "max_tokens": "8"}
    editor_client.post(
        f"/llms/new/?token={CANARY}",
        {
            **common,
            "name": "canary-log-bearer",
            "uri": "https://api.openai.com/v1/chat/completions",
            "auth_type": "bearer",
            "token": CANARY,
        },
        HTTP_AUTHORIZATION=f"Bearer {CANARY}",
    )
    editor_client.post(
        "/llms/new/",
        {
            **common,
            "name": "canary-log-header",
            "uri": "https://api.anthropic.com/v1/messages",
            "auth_type": "header",
            "header": "x-api-key",
            "value": CANARY,
        },
    )
    # An invalid form and a refused upstream call log too.
    editor_client.post("/llms/new/", {**common, "name": "", "auth_type": "bearer", "token": CANARY})
    emulator.store.clear()
    editor_client.post(
        "/llms/new/",
        {
            **common,
            "name": "canary-log-bearer",
            "uri": "https://api.openai.com/v1/chat/completions",
            "auth_type": "bearer",
            "token": CANARY,
        },
    )
    output = log_output.getvalue()
    assert lines(log_output), "nothing was logged at all"
    assert CANARY not in output
    assert CANARY[-12:] not in output


def test_an_error_keeps_its_traceback_inside_one_json_line() -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "failed", (), exc_info=__import__("sys").exc_info()
        )
    out = JsonFormatter().format(record)
    assert "\n" not in out
    parsed = json.loads(out)
    assert parsed["message"] == "failed" and "RuntimeError: boom" in parsed["exception"]
    assert parsed["request_id"] is None
