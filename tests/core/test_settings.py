from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def start(**env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG"}}
    return subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "llmadmin.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    "key", [None, "short", "django-insecure-llmadmin-development-key-never-use-in-production"]
)
def test_production_refuses_to_start_without_a_real_secret_key(key: str | None) -> None:
    result = start(DEBUG="false", **({"SECRET_KEY": key} if key else {}))
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_starts_with_a_real_secret_key() -> None:
    result = start(DEBUG="false", SECRET_KEY="x" * 50)
    assert result.returncode == 0, result.stderr


def test_debug_starts_on_the_development_key() -> None:
    assert start(DEBUG="true").returncode == 0
