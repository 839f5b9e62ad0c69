"""`make serve` for real: gunicorn, DEBUG off, WhiteNoise's hashed and compressed static
files, JSON logs, and one-line refusals of a bad environment."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import requests

from tests.support.gunicorn import GUNICORN, ROOT, environment, free_port, run, serve


def test_make_serve_migrates_collects_and_serves_with_debug_off(tmp_path: Path) -> None:
    env = environment(
        DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3",
        STATIC_ROOT=str(tmp_path / "static"),
        WEB_CONCURRENCY="1",
        VECTARA_API_URL=f"http://127.0.0.1:{free_port()}",  # nobody there: reported, not fatal
    )
    with serve(env, tmp_path / "serve.log") as server:
        health = requests.get(f"{server.url}/healthz", timeout=10)
        assert health.json() == {"status": "ok", "database": "ok", "vectara": "unreachable"}

        login = requests.get(f"{server.url}/accounts/login/", timeout=10)
        assert login.status_code == 200
        assert "Content-Security-Policy" in login.headers
        css = re.search(r'href="(/static/css/app\.[0-9a-f]{12}\.css)"', login.text)
        assert css, "the stylesheet is not served under a hashed name"
        static = requests.get(
            server.url + css.group(1), headers={"Accept-Encoding": "gzip"}, timeout=10
        )
        assert static.status_code == 200
        assert static.headers["Content-Encoding"] == "gzip"
        assert "immutable" in static.headers["Cache-Control"]

        # DEBUG is off: no technical 404 page, and a bad Host is a plain 400.
        missing = requests.get(f"{server.url}/no-such-page/", timeout=10)
        assert missing.status_code == 404 and "URLconf" not in missing.text
        bad_host = requests.get(
            f"{server.url}/accounts/login/", headers={"Host": "evil.example"}, timeout=10
        )
        assert bad_host.status_code == 400
        assert "ALLOWED_HOSTS" not in bad_host.text and "Traceback" not in bad_host.text
    assert (tmp_path / "static" / "staticfiles.json").is_file()

    logged = [line for line in server.output().splitlines() if line.startswith("{")]
    access = [json.loads(line) for line in logged if '"llmadmin.access"' in line]
    assert {line["path"] for line in access} >= {"/healthz", "/accounts/login/"}
    assert all(line["request_id"] and line["duration_ms"] is not None for line in access)
    # Everything gunicorn and Django said is JSON, one object per line.
    others = [line for line in server.output().splitlines() if line and not line.startswith("{")]
    assert others == [], others


def _one_line(result: subprocess.CompletedProcess[str], expected: str) -> None:
    assert result.returncode == 2, (result.returncode, result.stdout, result.stderr)
    output = (result.stdout + result.stderr).strip().splitlines()
    assert "Traceback" not in result.stderr
    assert output == [output[0]] and output[0].startswith("llmadmin: "), output
    assert expected in output[0]


def test_gunicorn_refuses_a_weak_secret_key_in_one_line() -> None:
    env = environment(SECRET_KEY="too-short", PORT=str(free_port()))
    result = run(GUNICORN, env=env)
    _one_line(result, "SECRET_KEY must be set")


def test_make_serve_stops_on_an_unreachable_database_in_one_line(tmp_path: Path) -> None:
    env = environment(
        DATABASE_URL=f"postgres://llm:s3cr3t-pw@127.0.0.1:{free_port()}/llmadmin",
        LLMADMIN_DB_WAIT_SECONDS="0",
        PORT=str(free_port()),
    )
    result = run([str(ROOT / "bin" / "serve")], env=env)
    _one_line(result, "DATABASE_URL is unreachable")
    assert "s3cr3t-pw" not in result.stderr


def test_make_serve_stops_on_a_missing_audit_key_in_one_line() -> None:
    env = environment(AUDIT_HMAC_KEY="", PORT=str(free_port()))
    result = run([str(ROOT / "bin" / "serve")], env=env)
    _one_line(result, "AUDIT_HMAC_KEY must be set")
