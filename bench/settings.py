"""The app's own settings, plus what only the benchmark needs: Django admin (to compare the
audit list with a default changelist of the same table) and a bare view (bench/urls.py)."""

from __future__ import annotations

from llmadmin.settings import *  # noqa: F403
from llmadmin.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "django.contrib.admin"]
ROOT_URLCONF = "bench.urls"
