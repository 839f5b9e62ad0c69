"""Reading the URLs in the environment strictly, for settings.py.

A value that does not parse stops the start-up with one sentence naming the variable and
what it should look like. The value itself is never repeated: a DATABASE_URL carries a
password, and start-up errors end up in logs.
"""

from __future__ import annotations

import warnings
from typing import Any
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured


def database(env: environ.Env, name: str, default: str) -> dict[str, Any]:
    expected = (
        f"{name} must be a database URL such as postgres://user:password@host:5432/llmadmin "
        "or sqlite:///path/to/db.sqlite3."
    )
    raw = env.str(name, default=default)
    try:
        with warnings.catch_warnings():  # django-environ only warns about unknown schemes
            warnings.simplefilter("ignore")
            config = environ.Env.db_url_config(raw)
    except (ValueError, ImproperlyConfigured, KeyError):
        raise ImproperlyConfigured(expected) from None
    if not str(config.get("ENGINE", "")).startswith("django.db.backends.") or not config.get(
        "NAME"
    ):
        raise ImproperlyConfigured(expected)
    if config["ENGINE"] == "django.db.backends.sqlite3":
        config["OPTIONS"] = {**SQLITE_OPTIONS, **config.get("OPTIONS", {})}
    return config


# SQLite has one writer at a time. BEGIN IMMEDIATE takes the write lock when a transaction
# starts, so two workers queue on the busy timeout instead of one failing with "database is
# locked" when both upgrade a read to a write; WAL lets pages be read while someone writes.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL;",
}


def cache(env: environ.Env, name: str, default: str) -> dict[str, Any]:
    expected = f"{name} must be a cache URL such as redis://host:6379/0 or locmemcache://llmadmin."
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return environ.Env.cache_url_config(env.str(name, default=default))
    except (ValueError, ImproperlyConfigured, KeyError):
        raise ImproperlyConfigured(expected) from None


def http_url(env: environ.Env, name: str, default: str) -> str:
    expected = f"{name} must be an http or https URL such as https://api.vectara.io."
    raw = env.str(name, default=default).strip()
    try:
        parts = urlsplit(raw)
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number
    except ValueError:
        raise ImproperlyConfigured(expected) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImproperlyConfigured(expected)
    if parts.username or parts.password or parts.query or parts.fragment:
        raise ImproperlyConfigured(f"{expected} It takes no user, query or fragment.")
    return raw.rstrip("/")
