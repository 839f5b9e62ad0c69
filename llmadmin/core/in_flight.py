"""How many outbound calls (to Vectara, or to a model endpoint for Test connection) may wait
at once: per web process, and per person.

gunicorn runs each worker process with several threads (gunicorn.conf.py); a call waiting on
a slow upstream holds one of them. Keeping the calls per process below the thread count
leaves threads for everyone else's pages; the per-person cap keeps one person, or one
script, from taking the whole process cap. The per-person count lives in the cache, so with
CACHE_URL it is shared by every process and instance; without one it is per process.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.contrib.auth.models import AnonymousUser

logger = logging.getLogger(__name__)

# Whose calls these are: set for each request by PersonMiddleware; None in jobs and commands.
person: ContextVar[AbstractBaseUser | AnonymousUser | None] = ContextVar(
    "in_flight_person", default=None
)

_places = threading.Condition()
_in_process = 0


class Busy(Exception):
    """Raised before anything is sent; the message is a sentence for the person."""


PROCESS_FULL = (
    "The dashboard is already waiting on Vectara or model endpoints for many people at once, "
    "so this was not sent. Try again in a minute."
)
PERSON_FULL = (
    "You already have {limit} requests waiting on Vectara or a model endpoint, so this one was "
    "not sent. Wait for one of them to finish, then try again."
)


@contextmanager
def slot() -> Iterator[None]:
    """Hold one place for an outbound call, or raise Busy. A full process waits up to
    LLMADMIN_OUTBOUND_WAIT_SECONDS for a place: with Vectara answering quickly one frees
    within milliseconds, and only a slow Vectara makes the wait end in a refusal."""
    global _in_process
    with _places:
        free = _places.wait_for(
            lambda: _in_process < settings.LLMADMIN_OUTBOUND_PER_PROCESS,
            timeout=settings.LLMADMIN_OUTBOUND_WAIT_SECONDS,
        )
        if not free:
            raise Busy(PROCESS_FULL)
        _in_process += 1
    try:
        who = person.get()
        if who is None or not who.is_authenticated:
            yield
        else:
            with _personal_slot(who.pk):
                yield
    finally:
        with _places:
            _in_process -= 1
            _places.notify()


@contextmanager
def _personal_slot(who: int) -> Iterator[None]:
    limit = settings.LLMADMIN_OUTBOUND_PER_PERSON
    key = f"in-flight:{who}"
    # Expires on its own in case a process dies holding places: no call outlives this.
    expiry = 2 * (settings.VECTARA_CONNECT_TIMEOUT + settings.VECTARA_READ_TIMEOUT) + 60
    try:
        cache.add(key, 0, timeout=expiry)
        held = cache.incr(key)
    except Exception:  # the cache is down or the key expired meanwhile: don't refuse for it
        logger.warning("Could not count outbound calls in flight for user %s", who)
        yield
        return
    try:
        if held > limit:
            raise Busy(PERSON_FULL.format(limit=limit))
        yield
    finally:
        try:
            cache.decr(key)
        except Exception:
            logger.warning("Could not release an outbound call in flight for user %s", who)


class PersonMiddleware:
    """Names the signed-in person whose request this is, for slot()."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        # request.user stays lazy: most requests never go outbound.
        token = person.set(getattr(request, "user", None))
        try:
            return self.get_response(request)
        finally:
            person.reset(token)
