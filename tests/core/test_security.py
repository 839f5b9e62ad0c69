"""Response headers, cookies and Host checking as the production settings leave them."""

from __future__ import annotations

import re

import pytest

from tests.teams.factories import PASSWORD


@pytest.mark.django_db
def test_responses_forbid_framing_and_sniffing_and_keep_the_referrer(client) -> None:
    response = client.get("/accounts/login/")
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part.split()[1:] for part in header.split(";") if part.strip()}


def test_pages_carry_a_strict_policy_and_the_scripts_its_nonce(editor_client) -> None:
    response = editor_client.get("/llms/new/")
    policy = _policy(response)
    html = response.content.decode()
    assert policy["default-src"] == ["'none'"]
    assert policy["style-src"] == ["'self'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    nonce = re.search(r"'nonce-([^']+)'", " ".join(policy["script-src"])).group(1)
    assert policy["script-src"] == ["'self'", f"'nonce-{nonce}'"]
    # Nothing anywhere allows inline code, eval or another origin.
    everything = " ".join(" ".join(values) for values in policy.values())
    assert "unsafe" not in everything and "http" not in everything and "*" not in everything
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts and all(f'nonce="{nonce}"' in tag for tag in scripts), scripts
    assert "<style" not in html and " style=" not in html
    assert '"includeIndicatorStyles": false' in html and '"allowEval": false' in html


def test_each_response_gets_its_own_nonce(editor_client) -> None:
    first = _policy(editor_client.get("/llms/new/"))["script-src"]
    second = _policy(editor_client.get("/llms/new/"))["script-src"]
    assert first != second


@pytest.mark.django_db
def test_a_bad_host_header_gets_400_and_no_settings(client, settings) -> None:
    settings.DEBUG = False
    response = client.get("/accounts/login/", HTTP_HOST="evil.example")
    assert response.status_code == 400
    body = response.content.decode()
    assert "ALLOWED_HOSTS" not in body and settings.SECRET_KEY not in body
    assert "evil.example" not in body


@pytest.mark.django_db
def test_https_sends_hsts_and_redirects_plain_http_except_the_health_check(
    client, settings
) -> None:
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31_536_000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    plain = client.get("/accounts/login/")
    assert plain.status_code == 301 and plain["Location"].startswith("https://")
    assert client.get("/healthz").status_code in (200, 503)  # never a redirect
    secure = client.get("/accounts/login/", secure=True)
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@pytest.mark.django_db
def test_the_proxy_header_is_believed_only_when_configured(client, settings) -> None:
    settings.SECURE_SSL_REDIRECT = True
    claimed = client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https")
    assert claimed.status_code == 301  # not configured: a client's claim changes nothing
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    assert client.get("/accounts/login/", HTTP_X_FORWARDED_PROTO="https").status_code == 200


def test_session_cookies_are_httponly_lax_and_secure_over_https(client, editor, settings) -> None:
    settings.SESSION_COOKIE_SECURE = settings.CSRF_COOKIE_SECURE = True
    client.get("/accounts/login/", secure=True)
    response = client.post(
        "/accounts/login/", {"username": "erin", "password": PASSWORD}, secure=True
    )
    assert response.status_code == 302
    session = response.cookies["sessionid"]
    assert session["httponly"] and session["secure"]
    assert session["samesite"] == "Lax"
    csrf = client.cookies["csrftoken"]
    assert csrf["secure"] and csrf["samesite"] == "Lax"
