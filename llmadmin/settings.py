"""Settings for llmadmin, read from the environment only (django-environ).

Every variable is documented in README.md and .env.example.
"""

from __future__ import annotations

import ipaddress
import re
import sys
from pathlib import Path

import environ
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

from llmadmin.core import environment
from llmadmin.sso import csp as sso_csp
from llmadmin.sso import mapping as sso_mapping

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env is a convenience for development; real deployments set the environment.
# Only if present: django-environ otherwise logs a line that would precede a start-up error.
if (BASE_DIR / ".env").is_file():
    environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# Only DEBUG may run on the development key; production refuses to start without its own.
DEV_SECRET_KEY = "django-insecure-llmadmin-development-key-never-use-in-production"  # noqa: S105 - refused below unless DEBUG
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
if not DEBUG and (
    SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 32 or SECRET_KEY.startswith("django-insecure")
):
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to a random string of at least 32 characters when DEBUG is off."
    )

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

# The audit log's HMAC key lives outside the database, so whoever can write rows can't re-seal
# them. DEBUG may derive one from SECRET_KEY; production refuses to start without its own.
AUDIT_HMAC_KEY = env.str("AUDIT_HMAC_KEY", default="")
if not AUDIT_HMAC_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "AUDIT_HMAC_KEY must be set to a random string of at least 32 characters when "
            "DEBUG is off."
        )
    AUDIT_HMAC_KEY = f"llmadmin-audit-development-key:{SECRET_KEY}"
elif len(AUDIT_HMAC_KEY) < 32:
    raise ImproperlyConfigured("AUDIT_HMAC_KEY must be a random string of at least 32 characters.")

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.forms",
    "csp",
    "django_htmx",
    "template_partials",
    "llmadmin.core",
    "llmadmin.teams",
    "llmadmin.llms",
    "llmadmin.audit",
    "llmadmin.vectara",
    "llmadmin.sso",  # sign-in with the identity provider (see "Single sign-on" below)
    "llmadmin.api",
    "axes",  # log-in throttling (see "Log-in throttling" below)
    "django_tasks",  # the job queue (see "Jobs" below)
    "django_tasks_db",
    "emulator",  # the Vectara emulator: development/test upstream, not product code
]

MIDDLEWARE = [
    "llmadmin.core.middleware.RequestIdMiddleware",
    "llmadmin.core.middleware.AccessLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "llmadmin.teams.middleware.AccessMiddleware",
    "llmadmin.core.in_flight.PersonMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages: it tells a person whose session it ends why.
    "llmadmin.sso.middleware.RecheckMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as axes asks: it sees the request after the log-in view counted a failure.
    "axes.middleware.AxesMiddleware",
]

# Axes refuses a locked account before any password is checked; Django's backend checks it.
AUTHENTICATION_BACKENDS = [
    "llmadmin.teams.login_throttle.ThrottleBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "llmadmin.urls"
WSGI_APPLICATION = "llmadmin.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "llmadmin.teams.context_processors.teams",
                "llmadmin.core.context_processors.csp_nonce",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

FORM_RENDERER = "llmadmin.core.forms.FormRenderer"

DATABASES = {
    "default": environment.database(
        env, "DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    )
}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
# Each worker keeps its database connection for a minute instead of opening one per request,
# checked before reuse so a restarted database or a proxy that dropped one costs a reconnect,
# not an error. A DATABASE_URL's own ?conn_max_age= wins.
DATABASES["default"].setdefault("CONN_MAX_AGE", 60)
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Least privilege on PostgreSQL (README "Audit log: witnesses and database roles"): with
# MIGRATION_DATABASE_URL set, `manage.py migrate` (and so `make serve`) connects as that role,
# which owns the tables, and then grants DATABASE_URL's role only what the app needs: on the
# audit tables, INSERT and SELECT (and the head's append), so it can't drop their triggers.
LLMADMIN_APP_DATABASE_USER = str(DATABASES["default"].get("USER", ""))
if env.str("MIGRATION_DATABASE_URL", default="") and sys.argv[1:2] == ["migrate"]:
    DATABASES["default"] = {
        **DATABASES["default"],
        **environment.database(env, "MIGRATION_DATABASE_URL", default=""),
    }

CACHES = {
    "default": environment.cache(env, "CACHE_URL", default="locmemcache://llmadmin"),
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "llms:list"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
# Where `collectstatic` (run by `make serve`) writes the hashed, compressed files WhiteNoise serves.
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Django's own sessions: in the database, read through the shared cache when there is one.
SESSION_ENGINE = (
    "django.contrib.sessions.backends.cached_db"
    if env.str("CACHE_URL", default="")
    else "django.contrib.sessions.backends.db"
)
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True  # no script reads it: htmx sends the token from hx-headers.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"

# --- Serving over https (README "Deployment") ----------------------------------------------
# Browsers reach the dashboard over https, TLS being terminated by it or in front of it. On by
# default in production; off only for a try-out on plain http, since it also drops HSTS and
# the Secure flag of the cookies.
LLMADMIN_HTTPS = env.bool("LLMADMIN_HTTPS", default=not DEBUG)
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=LLMADMIN_HTTPS)
# Load balancers probe instances over plain http: a redirect would read as "down".
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SECURE_HSTS_SECONDS = (
    env.int("SECURE_HSTS_SECONDS", default=365 * 24 * 3600) if LLMADMIN_HTTPS else 0
)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = LLMADMIN_HTTPS
CSRF_COOKIE_SECURE = LLMADMIN_HTTPS
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# X-Forwarded-Proto is believed only when the operator says a proxy sets it, and only with
# that proxy listed: otherwise any client could claim https.
if env.bool("LLMADMIN_PROXY_SSL_HEADER", default=False):
    if not env.list("LLMADMIN_TRUSTED_PROXIES", default=[]):
        raise ImproperlyConfigured(
            "LLMADMIN_PROXY_SSL_HEADER needs LLMADMIN_TRUSTED_PROXIES to list the proxies "
            "that set X-Forwarded-Proto."
        )
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Asking browsers to preload HSTS is a commitment for the whole domain and its subdomains,
# hard to undo, so it is the domain owner's opt-in, not a default to satisfy a check.
SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

# Content Security Policy (django-csp): our own origin only, no inline script without the
# request's nonce, no inline style at all. htmx is served from /static/ and told (base.html)
# not to inject its indicator <style> nor to eval.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [NONE],
        "script-src": [SELF, NONCE],
        "style-src": [SELF],
        "img-src": [SELF],
        "font-src": [SELF],
        "connect-src": [SELF],
        "manifest-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [NONE],
        "object-src": [NONE],
    }
}

# --- Vectara -------------------------------------------------------------------------------
VECTARA_API_URL = environment.http_url(env, "VECTARA_API_URL", default="https://api.vectara.io")
VECTARA_API_KEY = env.str("VECTARA_API_KEY", default="").strip()
# Checked here so a pasted key with a space or line break stops the start-up in one line
# instead of failing every call to Vectara later.
if VECTARA_API_KEY and not (
    VECTARA_API_KEY.isascii() and VECTARA_API_KEY.isprintable() and " " not in VECTARA_API_KEY
):
    raise ImproperlyConfigured(
        "VECTARA_API_KEY must be the key exactly as Vectara shows it: printable ASCII, no spaces."
    )
VECTARA_CONNECT_TIMEOUT = env.float("VECTARA_CONNECT_TIMEOUT", default=3.05)
VECTARA_READ_TIMEOUT = env.float("VECTARA_READ_TIMEOUT", default=30.0)

# --- Outbound calls in flight (llmadmin/core/in_flight.py) -------------------------------------
# Per process, below gunicorn's GUNICORN_THREADS (gunicorn.conf.py), so that threads are left
# for pages while calls wait on a slow Vectara; per person, so one person can't take them all.
LLMADMIN_OUTBOUND_PER_PROCESS = env.int(
    "LLMADMIN_OUTBOUND_PER_PROCESS", default=max(1, env.int("GUNICORN_THREADS", default=8) - 2)
)
LLMADMIN_OUTBOUND_PER_PERSON = env.int("LLMADMIN_OUTBOUND_PER_PERSON", default=2)
# How long a call waits for a place in a full process before it is refused.
LLMADMIN_OUTBOUND_WAIT_SECONDS = env.float("LLMADMIN_OUTBOUND_WAIT_SECONDS", default=5.0)

# Calls to /v2/ one API key may make per minute (shared by every instance with a CACHE_URL).
LLMADMIN_API_RATE_PER_MINUTE = env.int("LLMADMIN_API_RATE_PER_MINUTE", default=120)

# --- Jobs (llmadmin/llms/tasks.py), run by `manage.py run_jobs` -----------------------------
# The queue is a table in the app's database: PostgreSQL in production, shared by every
# worker and instance; SQLite for `make run`, which starts a worker beside the dashboard.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
# A sync that fails in a way that may pass is tried again, at most this many times in all,
# after LLMADMIN_JOB_RETRY_SECONDS, doubling each time (or Vectara's Retry-After, if longer).
LLMADMIN_JOB_ATTEMPTS = env.int("LLMADMIN_JOB_ATTEMPTS", default=4)
LLMADMIN_JOB_RETRY_SECONDS = env.int("LLMADMIN_JOB_RETRY_SECONDS", default=30)
# The scheduled sync, which records LLMs changed outside the dashboard (llm.drift); 0: off.
LLMADMIN_SYNC_EVERY_MINUTES = env.int("LLMADMIN_SYNC_EVERY_MINUTES", default=60)

# --- LLM endpoint URI policy (see llmadmin/llms/uri_policy/) -----------------------------
# Plain http is refused unless the operator trusts the network the model server is on.
LLMADMIN_URI_ALLOW_HTTP = env.bool("LLMADMIN_URI_ALLOW_HTTP", default=False)
# Hosts (exact names or IP literals) admitted even if they are private, e.g. an in-VPC model.
LLMADMIN_URI_ALLOWED_HOSTS = env.list("LLMADMIN_URI_ALLOWED_HOSTS", default=[])
# Dotted path of the resolver used by the URI check; tests inject a static one.
LLMADMIN_DNS_RESOLVER = "llmadmin.llms.uri_policy.system_resolver"

# --- Audit log -------------------------------------------------------------------------------
# Repeats of one refusal (same action, reason, actor or address) within this many seconds are
# one event plus one summary with their count (audit/refusals.py); 0 writes every one.
LLMADMIN_AUDIT_COALESCE_SECONDS = env.int("LLMADMIN_AUDIT_COALESCE_SECONDS", default=60)
# Outside witnesses: a checkpoint (newest event id and MAC) goes to the JSON log stream, logger
# llmadmin.audit.checkpoint, every this many event ids and at the first event of every this
# many minutes of the clock (0 turns either off); run `audit_checkpoint` from cron as well.
LLMADMIN_AUDIT_CHECKPOINT_EVENTS = env.int("LLMADMIN_AUDIT_CHECKPOINT_EVENTS", default=100)
LLMADMIN_AUDIT_CHECKPOINT_MINUTES = env.int("LLMADMIN_AUDIT_CHECKPOINT_MINUTES", default=15)
# Events to a SIEM (audit/siem.py), delivered by the job workers in id order, at least once.
# HTTP: JSON lines POSTed to this URL, the token as a bearer (or in LLMADMIN_SIEM_HTTP_HEADER).
LLMADMIN_SIEM_HTTP_URL = env.str("LLMADMIN_SIEM_HTTP_URL", default="")
LLMADMIN_SIEM_HTTP_TOKEN = env.str("LLMADMIN_SIEM_HTTP_TOKEN", default="")
LLMADMIN_SIEM_HTTP_HEADER = env.str("LLMADMIN_SIEM_HTTP_HEADER", default="")
# Syslog: host:port, RFC 5424 over TCP with octet counting (RFC 6587), TLS optional.
LLMADMIN_SIEM_SYSLOG = env.str("LLMADMIN_SIEM_SYSLOG", default="")
LLMADMIN_SIEM_SYSLOG_TLS = env.bool("LLMADMIN_SIEM_SYSLOG_TLS", default=False)
LLMADMIN_SIEM_SYSLOG_CA_FILE = env.str("LLMADMIN_SIEM_SYSLOG_CA_FILE", default="")
# Events per request or connection; a delivery job sends at most a few batches.
LLMADMIN_SIEM_BATCH = env.int("LLMADMIN_SIEM_BATCH", default=500)
if LLMADMIN_SIEM_HTTP_URL and not LLMADMIN_SIEM_HTTP_URL.startswith(("https://", "http://")):
    raise ImproperlyConfigured("LLMADMIN_SIEM_HTTP_URL must be an http or https URL.")
if LLMADMIN_SIEM_SYSLOG and not re.fullmatch(r"\[?[^\s/]+?\]?:\d{1,5}", LLMADMIN_SIEM_SYSLOG):
    raise ImproperlyConfigured("LLMADMIN_SIEM_SYSLOG must be host:port, e.g. siem.internal:6514.")
# Proxies (IPs or CIDRs) whose X-Forwarded-For is believed; empty: the peer address is the source.
LLMADMIN_TRUSTED_PROXIES = env.list("LLMADMIN_TRUSTED_PROXIES", default=[])
for _proxy in LLMADMIN_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"LLMADMIN_TRUSTED_PROXIES has {_proxy!r}, which is not an IP address or CIDR range."
        ) from None

# --- Log-in throttling (llmadmin/teams/login_throttle.py), counted by django-axes ---------
# The counts live in the database, so every worker and instance shares them with no cache.
LLMADMIN_LOGIN_MAX_FAILURES_PER_USER = env.int("LLMADMIN_LOGIN_MAX_FAILURES_PER_USER", default=5)
LLMADMIN_LOGIN_MAX_FAILURES_PER_IP = env.int("LLMADMIN_LOGIN_MAX_FAILURES_PER_IP", default=20)
LLMADMIN_LOGIN_WINDOW_SECONDS = env.int("LLMADMIN_LOGIN_WINDOW_SECONDS", default=15 * 60)
LLMADMIN_LOGIN_LOCKOUT_SECONDS = env.int("LLMADMIN_LOGIN_LOCKOUT_SECONDS", default=15 * 60)
AXES_HANDLER = "llmadmin.teams.login_throttle.ThrottleHandler"
# Read when used, so the LLMADMIN_LOGIN_* values above (and tests' overrides) always apply.
AXES_FAILURE_LIMIT = "llmadmin.teams.login_throttle.axes_failure_limit"
AXES_COOLOFF_TIME = "llmadmin.teams.login_throttle.axes_cool_off"
AXES_USERNAME_CALLABLE = "llmadmin.teams.login_throttle.axes_username"
AXES_LOCKOUT_PARAMETERS = [["username"], ["ip_address"]]
AXES_CLIENT_IP_CALLABLE = "llmadmin.core.proxies.client_ip"
AXES_LOCKOUT_CALLABLE = "llmadmin.teams.login_throttle.lockout_response"
# A refused attempt must not extend the lock, or whoever hammers it keeps its owner out.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
AXES_RESET_ON_SUCCESS = True
# The audit log records log-ins and log-outs; axes' own access log would be a second copy.
AXES_DISABLE_ACCESS_LOG = True
# No start-up banner: a bad environment must stay one line (and logs one JSON object each).
AXES_VERBOSE = False

# --- Single sign-on: OpenID Connect (llmadmin/sso, README "Single sign-on") ----------------
# Off unless an issuer is set. Its discovery document gives every endpoint and the keys.
LLMADMIN_OIDC_ISSUER = env.str("LLMADMIN_OIDC_ISSUER", default="").rstrip("/")
LLMADMIN_OIDC_CLIENT_ID = env.str("LLMADMIN_OIDC_CLIENT_ID", default="")
LLMADMIN_OIDC_CLIENT_SECRET = env.str("LLMADMIN_OIDC_CLIENT_SECRET", default="")
LLMADMIN_OIDC_SCOPES = env.str("LLMADMIN_OIDC_SCOPES", default="openid email profile")
LLMADMIN_OIDC_GROUPS_CLAIM = env.str("LLMADMIN_OIDC_GROUPS_CLAIM", default="groups")
LLMADMIN_OIDC_PROVIDER_NAME = env.str("LLMADMIN_OIDC_PROVIDER_NAME", default="your organisation")
# How long a sign-in stands before the provider must confirm it again (prompt=none).
LLMADMIN_OIDC_RECHECK_SECONDS = env.int("LLMADMIN_OIDC_RECHECK_SECONDS", default=15 * 60)
if LLMADMIN_OIDC_ISSUER:
    environment.http_url(env, "LLMADMIN_OIDC_ISSUER", default="")
    if not LLMADMIN_OIDC_CLIENT_ID:
        raise ImproperlyConfigured(
            "LLMADMIN_OIDC_ISSUER is set, so LLMADMIN_OIDC_CLIENT_ID must be."
        )
    if "openid" not in LLMADMIN_OIDC_SCOPES.split():
        raise ImproperlyConfigured("LLMADMIN_OIDC_SCOPES must include openid.")
    if LLMADMIN_OIDC_RECHECK_SECONDS < 60:
        raise ImproperlyConfigured("LLMADMIN_OIDC_RECHECK_SECONDS must be at least 60.")
LLMADMIN_OIDC_GROUP_ROLES = sso_mapping.load(
    env.str("LLMADMIN_OIDC_GROUP_ROLES", default=""),
    env.str("LLMADMIN_OIDC_GROUP_ROLES_FILE", default=""),
)
# Password sign-in: off for everyone but the break-glass accounts when false.
LLMADMIN_PASSWORD_LOGIN = env.bool("LLMADMIN_PASSWORD_LOGIN", default=True)
LLMADMIN_BREAK_GLASS_ACCOUNTS = env.list("LLMADMIN_BREAK_GLASS_ACCOUNTS", default=[])
# Log-out is a form whose answer redirects to the provider's end_session_endpoint, which a
# browser follows only if form-action allows its origin.
CONTENT_SECURITY_POLICY = sso_csp.with_provider_origin(
    CONTENT_SECURITY_POLICY, LLMADMIN_OIDC_ISSUER
)

# The DEBUG page hides marked secrets too (Django hides them only with DEBUG off).
DEFAULT_EXCEPTION_REPORTER_FILTER = "llmadmin.core.debug.SecretsFilter"

# --- Logs: one JSON object per line on the console (llmadmin/core/logging.py) ---------------
# "text" keeps them human-readable for DEBUG; anything else reads them as JSON.
LOG_FORMAT = env.str("LOG_FORMAT", default="text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured("LOG_FORMAT must be json or text.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request": {"()": "llmadmin.core.logging.RequestContextFilter"}},
    "formatters": {
        "json": {"()": "llmadmin.core.logging.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["request"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    # The access log says it once, in our format; runserver's own line would say it twice.
    # axes announces every log-in at INFO; the audit log already records them.
    "loggers": {"django.server": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}
