"""gunicorn's settings for `make serve` (gunicorn also reads this file by itself when started
from the checkout). Every knob comes from the environment; README "Deployment" lists them."""

from __future__ import annotations

import os

# BIND wins; otherwise PORT on the loopback interface, so nothing is exposed by accident:
# set BIND=0.0.0.0:8000 (or the instance's private address) behind a load balancer.
bind = os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT') or 8000}"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2)
# Creating an LLM waits for Vectara, which tests the model first (VECTARA_READ_TIMEOUT, 30 s
# by default): a worker must outlive that, or gunicorn kills it mid-request.
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 60)
graceful_timeout = 30
keepalive = 5
# Load the app once in the master: a bad environment stops start-up with wsgi.py's one line
# instead of workers failing and being restarted forever, and workers share the memory.
preload_app = True
# Whether a request came over https is Django's decision alone (LLMADMIN_PROXY_SSL_HEADER),
# never gunicorn's own reading of X-Forwarded-* headers.
secure_scheme_headers: dict[str, str] = {}
# llmadmin writes its own access log (llmadmin.core.middleware.AccessLogMiddleware).
accesslog = None
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# gunicorn's own lines in the same one-JSON-object-per-line shape as the app's.
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"json": {"()": "llmadmin.core.logging.JsonFormatter"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json",
            "stream": "ext://sys.stderr",
        },
    },
    "loggers": {
        "gunicorn.error": {"level": loglevel.upper(), "handlers": ["console"], "propagate": False},
    },
}


def pre_fork(server: object, worker: object) -> None:
    """The app is loaded here, in the master, before the workers fork (preload_app). Loading
    it opens no database connection today; in case a change ever does, close any, because
    every worker would inherit it and interleave their queries on one socket."""
    from django.db import connections

    connections.close_all()
