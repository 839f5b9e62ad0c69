"""gunicorn's settings for `make serve` (gunicorn also reads this file by itself when started
from the checkout). Every knob comes from the environment; README "Deployment" lists them."""

from __future__ import annotations

import os

# BIND wins; otherwise PORT on the loopback interface, so nothing is exposed by accident:
# set BIND=0.0.0.0:8000 (or the instance's private address) behind a load balancer.
bind = os.environ.get("BIND") or f"127.0.0.1:{os.environ.get('PORT') or 8000}"
workers = int(os.environ.get("WEB_CONCURRENCY") or 2)
# Threads, because requests mostly wait on Vectara (which tests a model before it answers a
# create, for seconds) or on a model endpoint: a waiting thread holds no other request up.
# Django's ORM is synchronous, so threads need no rewrite; each keeps its own database
# connection and Vectara session. LLMADMIN_OUTBOUND_PER_PROCESS (settings) keeps two of
# them free for pages however many calls wait.
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS") or 8)
# With threads, the master restarts a worker only when its process stops answering, never
# for one long request; Vectara's own time-outs bound those.
timeout = int(os.environ.get("GUNICORN_TIMEOUT") or 60)
# A restart (deploy, SIGTERM) lets a request in flight finish: a create waits at most for
# Vectara's answer and, after a time-out, one more call to find out whether it was made.
_vectara_call = float(os.environ.get("VECTARA_CONNECT_TIMEOUT") or 3.05) + float(
    os.environ.get("VECTARA_READ_TIMEOUT") or 30
)
graceful_timeout = int(2 * _vectara_call) + 10
# Threaded workers keep connections alive (sync ones closed each after one answer). Behind a
# load balancer the server must not close an idle connection before the balancer does, or
# the balancer may send a request down one the server is closing: the client sees a reset
# or a 502. Balancers' idle time-outs are usually 60 s, so wait longer than that.
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE") or 75)
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
