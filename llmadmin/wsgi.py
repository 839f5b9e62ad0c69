"""The WSGI entry point for gunicorn (see gunicorn.conf.py and `make serve`)."""

from __future__ import annotations

import os
import sys

from django.core.exceptions import ImproperlyConfigured
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "llmadmin.settings")
try:
    application = get_wsgi_application()
except ImproperlyConfigured as exc:
    # A bad environment is the operator's to fix: one line naming the variable, no traceback.
    # gunicorn.conf.py preloads the app, so this stops the master before any worker forks
    # (a worker exiting on its own would only be restarted, over and over).
    print(f"llmadmin: {exc}", file=sys.stderr)
    sys.exit(2)
