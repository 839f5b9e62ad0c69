"""The `vectara_emulator` management command."""

from __future__ import annotations

import json
import os
import queue
import re
import signal
import subprocess
import sys
import threading
from typing import Any

import requests
from django.conf import settings

from tests.emulator.emulator_support import (
    Api,
    openai_body,
)


def _command(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.settings"}
    return subprocess.Popen(  # noqa: S603 - a fixed argv: this interpreter, manage.py, our args
        [sys.executable, "manage.py", "vectara_emulator", *args],
        cwd=settings.BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _first_line(stream: Any, timeout: float = 30) -> str:
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: lines.put(stream.readline()), daemon=True).start()
    return lines.get(timeout=timeout)


def test_the_command_serves_until_sigterm_then_exits_0(tmp_path):
    store_path = tmp_path / "command-store.json"
    process = _command("--port", "0", "--store", str(store_path), "--verbose")
    try:
        line = _first_line(process.stdout)
        match = re.fullmatch(
            r"Vectara emulator listening on (http://127\.0\.0\.1:\d+) \(store: (.+)\)\n", line
        )
        assert match, line
        base_url, shown_store = match.groups()
        assert shown_store == str(store_path)

        # The key defaults to the VECTARA_API_KEY setting.
        assert requests.get(f"{base_url}/v2/llms", timeout=10).status_code == 401
        client = Api(base_url, api_key=settings.VECTARA_API_KEY)
        created = client.create(openai_body("from-command"))

        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=20)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()

    assert process.returncode == 0, err
    assert "POST /v2/llms 201" in err
    assert "sk-secret-from-command" not in out + err and settings.VECTARA_API_KEY not in out + err
    assert [llm["id"] for llm in json.loads(store_path.read_text())["llms"]] == [created["id"]]


def test_the_command_refuses_a_corrupt_store(tmp_path):
    store_path = tmp_path / "corrupt.json"
    store_path.write_text("[]", encoding="utf-8")
    process = _command("--port", "0", "--store", str(store_path))
    out, err = process.communicate(timeout=30)

    assert process.returncode != 0
    assert "not an emulator store" in err and "listening" not in out
