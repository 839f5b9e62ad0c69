"""Bad environments stop the start-up with one line naming the variable, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GOOD = {
    "DEBUG": "false",
    "SECRET_KEY": "k3Y-" + "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJ",
    "AUDIT_HMAC_KEY": "hm4C-" + "ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210zyx",
}
# The variables these tests vary, so the caller's environment doesn't leak in.
VARIED = {
    "SECRET_KEY",
    "DEBUG",
    "AUDIT_HMAC_KEY",
    "DATABASE_URL",
    "VECTARA_API_URL",
    "CACHE_URL",
    "LLMADMIN_HTTPS",
    "LLMADMIN_PROXY_SSL_HEADER",
    "LLMADMIN_TRUSTED_PROXIES",
    "ALLOWED_HOSTS",
    "DJANGO_ALLOW_ASYNC_UNSAFE",  # tests.settings sets it for Playwright; never in production
}


def manage(*args: str, **env: str | None) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in VARIED}
    merged = {**clean, "DJANGO_SETTINGS_MODULE": "llmadmin.settings", **GOOD, **env}
    return subprocess.run(  # noqa: S603 - the command is the test's own
        [sys.executable, "manage.py", *(args or ("check",))],
        cwd=ROOT,
        env={k: v for k, v in merged.items() if v is not None},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def assert_one_line(result: subprocess.CompletedProcess[str], *expected: str) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("llmadmin: ")
    for text in expected:
        assert text in lines[0]
    return lines[0]


@pytest.mark.parametrize(
    "key",
    [
        None,
        "short",
        "django-insecure-llmadmin-development-key-never-use-in-production",
        "django-insecure-" + "x" * 40,
    ],
)
def test_production_refuses_to_start_without_a_real_secret_key(key: str | None) -> None:
    assert_one_line(manage(SECRET_KEY=key), "SECRET_KEY must be set", "32 characters")


def test_production_starts_with_a_real_secret_key() -> None:
    result = manage()
    assert result.returncode == 0, result.stderr


def test_debug_starts_on_the_development_key() -> None:
    assert manage(DEBUG="true", SECRET_KEY=None, AUDIT_HMAC_KEY=None).returncode == 0


def test_a_missing_audit_key_stops_production() -> None:
    assert_one_line(manage(AUDIT_HMAC_KEY=None), "AUDIT_HMAC_KEY must be set")


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "postgres://llm:s3cr3t-pw@db:notaport/llmadmin",
        "mongodb://llm:s3cr3t-pw@db/llmadmin",
        "postgres://llm:s3cr3t-pw@db:5432",
    ],
)
def test_a_database_url_that_does_not_parse_is_named_and_not_echoed(url: str) -> None:
    line = assert_one_line(manage(DATABASE_URL=url), "DATABASE_URL must be a database URL")
    assert "s3cr3t-pw" not in line


@pytest.mark.parametrize(
    "url", ["api.vectara.io", "ftp://api.vectara.io", "https://", "http://[::1", "https://h:x/"]
)
def test_a_vectara_url_that_does_not_parse_is_named(url: str) -> None:
    assert_one_line(manage(VECTARA_API_URL=url), "VECTARA_API_URL must be an http or https URL")


@pytest.mark.parametrize("key", ["zqt_abc def", "zqt_abc\tdef", "zqt_ключ"])
def test_a_mangled_vectara_key_stops_the_start_up_without_echoing_it(key: str) -> None:
    line = assert_one_line(manage(VECTARA_API_KEY=key), "VECTARA_API_KEY must be the key")
    assert key not in line


def test_a_cache_url_that_does_not_parse_is_named() -> None:
    assert_one_line(manage(CACHE_URL="memcachez://x"), "CACHE_URL must be a cache URL")


def test_an_unreachable_database_is_one_line_from_wait_for_db() -> None:
    result = manage("wait_for_db", DATABASE_URL="postgres://llm:s3cr3t-pw@127.0.0.1:9/llmadmin")
    line = assert_one_line(result, "DATABASE_URL is unreachable", "Check DATABASE_URL")
    assert "s3cr3t-pw" not in line


def test_wait_for_db_passes_when_the_database_answers(tmp_path: Path) -> None:
    assert manage("wait_for_db", DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3").returncode == 0


def test_check_deploy_is_clean_with_production_settings() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_speaks_up_when_https_is_turned_off() -> None:
    result = manage("check", "--deploy", "--fail-level", "WARNING", LLMADMIN_HTTPS="false")
    assert result.returncode != 0
    for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
        assert check in result.stderr + result.stdout


def test_the_proxy_ssl_header_needs_a_trusted_proxy() -> None:
    assert_one_line(
        manage(LLMADMIN_PROXY_SSL_HEADER="true", LLMADMIN_TRUSTED_PROXIES=""),
        "LLMADMIN_TRUSTED_PROXIES",
    )
    ok = manage(LLMADMIN_PROXY_SSL_HEADER="true", LLMADMIN_TRUSTED_PROXIES="10.0.0.0/8")
    assert ok.returncode == 0, ok.stderr
