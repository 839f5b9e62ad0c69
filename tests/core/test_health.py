from __future__ import annotations

import os
import sys

import pytest

from tests.support.fault_server import refused_url
from tests.support.gunicorn import free_port, run


def _leaks(body: str, settings) -> list[str]:
    secrets = [
        settings.SECRET_KEY,
        settings.AUDIT_HMAC_KEY,
        settings.VECTARA_API_KEY,
        settings.VECTARA_API_URL,
        settings.VECTARA_API_URL.rsplit(":", 1)[-1],
        "0.1.0",
        "django",
        "postgres",
        "sqlite",
    ]
    return [s for s in secrets if s and s.lower() in body.lower()]


@pytest.mark.django_db
def test_healthz_answers_without_log_in_and_says_vectara_answers(
    client, emulator, settings
) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "vectara": "ok"}
    assert _leaks(response.content.decode(), settings) == []
    assert response["X-Request-ID"]
    assert "no-cache" in response["Cache-Control"]
    assert emulator.requests[-1].path.startswith("/v2/llms")


@pytest.mark.django_db
def test_healthz_asks_vectara_at_most_once_in_a_while(client, emulator) -> None:
    for _ in range(5):
        assert client.get("/healthz").json()["vectara"] == "ok"
    assert len(emulator.requests) == 1


@pytest.mark.django_db
def test_vectara_down_still_answers_200_because_the_dashboard_is_up(client, settings) -> None:
    settings.VECTARA_API_URL = refused_url()
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "vectara": "unreachable"}
    assert _leaks(response.content.decode(), settings) == []


@pytest.mark.django_db
def test_a_refused_vectara_key_is_an_error_not_unreachable(client, emulator, settings) -> None:
    settings.VECTARA_API_KEY = "not-the-emulators-key"
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["vectara"] == "error"
    assert "not-the-emulators-key" not in response.content.decode()


@pytest.mark.django_db
def test_healthz_is_get_only(client) -> None:
    assert client.post("/healthz").status_code == 405


def test_healthz_answers_503_when_the_database_is_down() -> None:
    # A fresh process pointed at a port nothing listens on: the real failure, no stand-in.
    script = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client(HTTP_HOST='localhost').get('/healthz');"
        "print(r.status_code, json.dumps(r.json(), sort_keys=True))"
    )
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": f"postgres://postgres:hunter2@127.0.0.1:{port}/llmadmin",
        "VECTARA_API_URL": refused_url(),
        "LOG_LEVEL": "CRITICAL",
    }
    result = run([sys.executable, "-c", script], env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == '503 {"database": "unreachable", "status": "unavailable"}'
    assert "hunter2" not in result.stdout + result.stderr
