"""Test settings: the real settings with a fixed key, fast hashing and plain static storage."""

from __future__ import annotations

import os

os.environ.setdefault("SECRET_KEY", "test-secret-key-that-is-long-enough-for-the-check-0123456789")
os.environ.setdefault("AUDIT_HMAC_KEY", "test-audit-hmac-key-that-is-long-enough-0123456789")
# Tests (like a local try-out) talk plain http: no https redirect, HSTS or Secure cookies.
os.environ.setdefault("LLMADMIN_HTTPS", "false")
# Playwright's sync API runs an event loop in the test thread; live_server needs this.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

from llmadmin.settings import *  # noqa: F403
from llmadmin.settings import INSTALLED_APPS, STORAGES

# Lets the test runner's flush empty the append-only audit table (tests/audit/flushapp).
INSTALLED_APPS = [*INSTALLED_APPS, "tests.audit.flushapp"]

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES = {
    **STORAGES,
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
LLMADMIN_DNS_RESOLVER = "tests.support.dns.resolve"
VECTARA_API_KEY = "test-dashboard-key"
# Tests start syncs themselves; a worker started by a test must not add a scheduled one.
LLMADMIN_SYNC_EVERY_MINUTES = 0
LLMADMIN_JOB_RETRY_SECONDS = 0
# A full process refuses at once in tests: what they check is the refusal, not the wait.
LLMADMIN_OUTBOUND_WAIT_SECONDS = 0
