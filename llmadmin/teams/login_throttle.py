"""Log-in throttling, per account and per source address, in Django's shared cache.

The counters live in the cache named by CACHE_URL (Redis in production), so every worker on
every machine counts the same failures. `cache.add` + `cache.incr` are atomic in Redis and
in locmem, so two workers failing at once both count. A fixed window keeps the arithmetic
to one key per counter; a lock is a separate key with its own expiry, so the real owner of
an account is locked out for at most LLMADMIN_LOGIN_LOCKOUT_SECONDS.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from llmadmin.audit.models import Outcome
from llmadmin.audit.recorder import Origin, Target, record


def _setting(name: str) -> int:
    return int(getattr(settings, name))


@dataclass(frozen=True)
class Limits:
    per_user: int
    per_ip: int
    window: int
    lockout: int

    @classmethod
    def current(cls) -> Limits:
        return cls(
            per_user=_setting("LLMADMIN_LOGIN_MAX_FAILURES_PER_USER"),
            per_ip=_setting("LLMADMIN_LOGIN_MAX_FAILURES_PER_IP"),
            window=_setting("LLMADMIN_LOGIN_WINDOW_SECONDS"),
            lockout=_setting("LLMADMIN_LOGIN_LOCKOUT_SECONDS"),
        )


def _account(username: str) -> str:
    # Hashed: keys stay short and safe for any backend whatever the person typed, and
    # "Erin" and "erin " count as the same account.
    return hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]


def _keys(username: str, ip: str | None) -> dict[str, str]:
    account = _account(username)
    keys = {"user_failures": f"login:fail:user:{account}", "user_lock": f"login:lock:{account}"}
    if ip:
        keys["ip_failures"] = f"login:fail:ip:{ip}"
    return keys


def _minutes(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _count(key: str, window: int) -> int:
    """One more failure in the window that started with the first one."""
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # the window ended between add and incr
        cache.add(key, 1, timeout=window)
        return 1


def login_refusal(*, username: str, ip: str | None) -> str | None:
    """Why a log-in must be refused before the password is even checked, or None."""
    limits = Limits.current()
    keys = _keys(username, ip)
    if cache.get(keys["user_lock"]):
        return (
            "This account is locked after too many failed log-ins. Try again in "
            f"{_minutes(limits.lockout)}, or ask an admin if you have forgotten the password."
        )
    if "ip_failures" in keys and (cache.get(keys["ip_failures"]) or 0) >= limits.per_ip:
        return (
            "Too many failed log-ins came from your network address. Try again in "
            f"{_minutes(limits.window)}."
        )
    return None


def login_failed(*, origin: Origin, username: str, reason: str) -> str | None:
    """Count a failed log-in and record it; lock the account when it reaches the limit.

    Returns the sentence to show when this failure locked the account. A refusal because of
    an existing lock (`reason` "locked") is recorded but not counted again.
    """
    limits = Limits.current()
    keys = _keys(username, origin.source_ip)
    target = Target("user", "", username[:150])
    record(
        origin=origin,
        action="auth.login_failed",
        outcome=Outcome.FAILURE,
        target=target,
        message=f"A log-in as {username[:150]!r} failed ({reason}).",
        details={"username": username[:150], "reason": reason},
    )
    if reason != "bad_credentials":
        return None
    if "ip_failures" in keys:
        _count(keys["ip_failures"], limits.window)
    if _count(keys["user_failures"], limits.window) < limits.per_user:
        return None
    # `add` succeeds for one worker only, so one lock-out is recorded per lock.
    if not cache.add(keys["user_lock"], 1, timeout=limits.lockout):
        return None
    cache.delete(keys["user_failures"])
    message = (
        f"That was the {limits.per_user}th failed log-in for this account, so it is locked for "
        f"{_minutes(limits.lockout)}. Try again later, or ask an admin if you have forgotten "
        "the password."
    )
    record(
        origin=origin,
        action="auth.lockout",
        outcome=Outcome.DENIED,
        target=target,
        message=message,
        details={"username": username[:150], "failures": limits.per_user},
    )
    return message


def login_succeeded(*, username: str) -> None:
    """The owner got in: forget their account's failures (the address's count stays)."""
    cache.delete(_keys(username, None)["user_failures"])
