"""Log-in throttling, per account and per source address, counted by django-axes in the
database, so every worker on every machine counts the same failures with no shared cache.

Axes keeps one row per (account, address, user agent) with its failure count and the time
of its latest failure; this module tells it which settings apply (the callables named in
settings.py) and adds what axes has one number for: an account's limit (5) and an address's
(20) are compared separately, and a success forgives the account's failures only, so a
person who owns one account can't wipe the count of their address's guesses at others.
Refused attempts are not counted again (AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT off),
so a lock lifts LLMADMIN_LOGIN_LOCKOUT_SECONDS after the failure that caused it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from axes.backends import AxesStandaloneBackend
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import salted_hmac

Lock = Literal["account", "address"]


@dataclass(frozen=True)
class Limits:
    per_user: int
    per_ip: int
    window: int
    lockout: int

    @classmethod
    def current(cls) -> Limits:
        return cls(
            per_user=int(settings.LLMADMIN_LOGIN_MAX_FAILURES_PER_USER),
            per_ip=int(settings.LLMADMIN_LOGIN_MAX_FAILURES_PER_IP),
            window=int(settings.LLMADMIN_LOGIN_WINDOW_SECONDS),
            lockout=int(settings.LLMADMIN_LOGIN_LOCKOUT_SECONDS),
        )


# --- what a typed username stands for --------------------------------------------------------


def existing_username(typed: str) -> str | None:
    """The account a typed username names ("ERIN " names erin), or None."""
    return (
        get_user_model()
        .objects.filter(username__iexact=typed.strip())
        .order_by("pk")
        .values_list("username", flat=True)
        .first()
    )


def fingerprint(typed: str) -> str:
    """Tells two typed strings apart without keeping them: what is typed into the username box
    may be a password. Keyed with SECRET_KEY, so a guess can't be checked against it."""
    normalised = typed.strip().casefold()
    return salted_hmac("llmadmin.login.unknown-account", normalised).hexdigest()[:16]


def account_key(typed: str) -> str:
    """What failures are counted under: the account's own username, or "?" and the
    fingerprint for a name that matches none ("?" is not allowed in usernames)."""
    return existing_username(typed) or f"?{fingerprint(typed)}"


def account_label(typed: str) -> str:
    """How the audit log names whom a log-in was for."""
    username = existing_username(typed)
    return username if username else f"(no such account {fingerprint(typed)})"


# --- the callables settings.py gives axes ----------------------------------------------------


def axes_username(request: HttpRequest, credentials: dict[str, Any] | None = None) -> str | None:
    typed = (credentials or {}).get("username")
    if typed is None:
        typed = request.POST.get("username")
    return account_key(typed) if typed else None


def axes_failure_limit(request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
    # The account's limit; ThrottleHandler reports a refused address as that many failures.
    return Limits.current().per_user


def axes_cool_off(request: HttpRequest | None = None) -> timedelta:
    # How long axes keeps a row: long enough for both the lock and the address's window.
    limits = Limits.current()
    return timedelta(seconds=max(limits.window, limits.lockout))


def lockout_response(
    request: HttpRequest, original_response: Any = None, credentials: Any = None
) -> HttpResponse:
    # The log-in page already says why in a sentence, with status 200; keep it.
    if isinstance(original_response, HttpResponse):
        return original_response
    return HttpResponse(ACCOUNT_LOCKED.format(minutes=_minutes(Limits.current().lockout)), 429)


# --- the handler -------------------------------------------------------------------------------


def _failures(since: datetime, **match: str) -> int:
    found = AccessAttempt.objects.filter(attempt_time__gte=since, **match).aggregate(
        n=Sum("failures_since_start")
    )
    return int(found["n"] or 0)


class ThrottleHandler(AxesDatabaseHandler):
    """Axes' database handler with one limit per parameter (see the module docstring)."""

    def lock(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> Lock | None:
        limits = Limits.current()
        now = getattr(request, "axes_attempt_time", None) or timezone.now()
        username = get_client_username(request, credentials)
        if username and _failures(now - timedelta(seconds=limits.lockout), username=username) >= (
            limits.per_user
        ):
            return "account"
        ip = getattr(request, "axes_ip_address", None)
        if ip and _failures(now - timedelta(seconds=limits.window), ip_address=ip) >= (
            limits.per_ip
        ):
            return "address"
        return None

    def get_failures(self, request: HttpRequest, credentials: dict[str, Any] | None = None) -> int:
        limits = Limits.current()
        if self.lock(request, credentials):
            return limits.per_user
        username = get_client_username(request, credentials)
        if not username:
            return 0
        now = getattr(request, "axes_attempt_time", None) or timezone.now()
        return _failures(now - timedelta(seconds=limits.lockout), username=username)

    def reset_user_attempts(
        self, request: HttpRequest, credentials: dict[str, Any] | None = None
    ) -> int:
        username = get_client_username(request, credentials)
        if not username:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return count


class ThrottleBackend(AxesStandaloneBackend):
    """Axes' backend, letting through what has no request to count: commands and scripts
    calling authenticate() on the server (axes would raise). Every log-in over HTTP has one."""

    def authenticate(self, request: HttpRequest | None, *args: Any, **kwargs: Any) -> None:
        if request is not None:
            super().authenticate(request, *args, **kwargs)


def lock_of(request: HttpRequest, username: str) -> Lock | None:
    """Whether the account typed, or the request's address, is locked now."""
    AxesProxyHandler.update_request(request)
    handler = AxesProxyHandler.get_implementation()
    if not isinstance(handler, ThrottleHandler):  # AXES_HANDLER changed by the operator
        return "account" if handler.is_locked(request, {"username": username}) else None
    return handler.lock(request, {"username": username})


# --- what the person reads ---------------------------------------------------------------------

ACCOUNT_LOCKED = (
    "This account is locked after too many failed log-ins. Try again in {minutes}, or ask an "
    "admin if you have forgotten the password."
)
ADDRESS_BLOCKED = "Too many failed log-ins came from your network address. Try again in {minutes}."
JUST_LOCKED = (
    "That was the {limit}th failed log-in for this account, so it is locked for {minutes}. "
    "Try again later, or ask an admin if you have forgotten the password."
)


def _minutes(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def refusal_sentence(lock: Lock) -> str:
    limits = Limits.current()
    if lock == "account":
        return ACCOUNT_LOCKED.format(minutes=_minutes(limits.lockout))
    return ADDRESS_BLOCKED.format(minutes=_minutes(limits.window))


def just_locked_sentence() -> str:
    limits = Limits.current()
    return JUST_LOCKED.format(limit=limits.per_user, minutes=_minutes(limits.lockout))
