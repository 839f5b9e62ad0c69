"""Settings for llmadmin, read from the environment only (django-environ).

Every variable is documented in README.md and .env.example.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A local .env is a convenience for development; real deployments set the environment.
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)

# Only DEBUG may run on the development key; production refuses to start without its own.
DEV_SECRET_KEY = "django-insecure-llmadmin-development-key-never-use-in-production"  # noqa: S105 - refused below unless DEBUG
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
if not DEBUG and (SECRET_KEY == DEV_SECRET_KEY or len(SECRET_KEY) < 32):
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
    "django_htmx",
    "template_partials",
    "llmadmin.core",
    "llmadmin.teams",
    "llmadmin.llms",
    "llmadmin.audit",
    "llmadmin.vectara",
]

MIDDLEWARE = [
    "llmadmin.core.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
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
                "llmadmin.audit.context_processors.audit_nav",
            ],
            "builtins": ["template_partials.templatetags.partials"],
        },
    }
]

FORM_RENDERER = "llmadmin.core.forms.FormRenderer"

DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"].setdefault("ATOMIC_REQUESTS", False)
# A second connection to the same database, so that an audit event of a failed or denied
# action commits on its own even when the caller's transaction rolls back (audit/recorder.py).
# In tests it mirrors "default" and so uses the same test database.
DATABASES["audit"] = {
    **DATABASES["default"],
    "OPTIONS": dict(DATABASES["default"].get("OPTIONS", {})),
    "TEST": {"MIRROR": "default"},
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://llmadmin")}

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
STATIC_ROOT = BASE_DIR / "staticfiles"
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

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads no cookie; the token travels in hx-headers.
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# --- Vectara -------------------------------------------------------------------------------
VECTARA_API_URL = env.url("VECTARA_API_URL", default="https://api.vectara.io").geturl().rstrip("/")
VECTARA_API_KEY = env.str("VECTARA_API_KEY", default="")
VECTARA_CONNECT_TIMEOUT = env.float("VECTARA_CONNECT_TIMEOUT", default=3.05)
VECTARA_READ_TIMEOUT = env.float("VECTARA_READ_TIMEOUT", default=30.0)

# --- LLM endpoint URI policy (see llmadmin/llms/uri_policy.py) -----------------------------
# Plain http is refused unless the operator trusts the network the model server is on.
LLMADMIN_URI_ALLOW_HTTP = env.bool("LLMADMIN_URI_ALLOW_HTTP", default=False)
# Hosts (exact names or IP literals) admitted even if they are private, e.g. an in-VPC model.
LLMADMIN_URI_ALLOWED_HOSTS = env.list("LLMADMIN_URI_ALLOWED_HOSTS", default=[])
# Dotted path of the resolver used by the URI check; tests inject a static one.
LLMADMIN_DNS_RESOLVER = "llmadmin.llms.uri_policy.system_resolver"

# --- Audit log -------------------------------------------------------------------------------
# Proxies (IPs or CIDRs) whose X-Forwarded-For is believed; empty: the peer address is the source.
LLMADMIN_TRUSTED_PROXIES = env.list("LLMADMIN_TRUSTED_PROXIES", default=[])
for _proxy in LLMADMIN_TRUSTED_PROXIES:
    try:
        ipaddress.ip_network(_proxy, strict=False)
    except ValueError:
        raise ImproperlyConfigured(
            f"LLMADMIN_TRUSTED_PROXIES has {_proxy!r}, which is not an IP address or CIDR range."
        ) from None

# --- Log-in throttling (llmadmin/teams/login_throttle.py), counted in the shared cache -----
LLMADMIN_LOGIN_MAX_FAILURES_PER_USER = env.int("LLMADMIN_LOGIN_MAX_FAILURES_PER_USER", default=5)
LLMADMIN_LOGIN_MAX_FAILURES_PER_IP = env.int("LLMADMIN_LOGIN_MAX_FAILURES_PER_IP", default=20)
LLMADMIN_LOGIN_WINDOW_SECONDS = env.int("LLMADMIN_LOGIN_WINDOW_SECONDS", default=15 * 60)
LLMADMIN_LOGIN_LOCKOUT_SECONDS = env.int("LLMADMIN_LOGIN_LOCKOUT_SECONDS", default=15 * 60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
}
