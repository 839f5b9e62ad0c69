from __future__ import annotations

import pytest


@pytest.mark.django_db
def test_healthz_answers_without_log_in_and_leaks_no_configuration(client, settings) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok"}
    assert settings.SECRET_KEY not in response.content.decode()
    assert response["X-Request-ID"]
