from __future__ import annotations

import contextlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from llmadmin.audit.chain import head_is_missing
from llmadmin.audit.siem import sink_states
from llmadmin.vectara.client import VectaraClient
from llmadmin.vectara.errors import VectaraError

logger = logging.getLogger(__name__)

# A load balancer polls every few seconds on every instance; Vectara is asked at most once
# per this many seconds per cache (shared by all instances when CACHE_URL is Redis).
VECTARA_PROBE_TTL = 15
# Short: a health check that waits on Vectara's 30-second read time-out would itself time out.
VECTARA_PROBE_TIMEOUT = (2.0, 3.0)
_PROBE_KEY = "healthz:vectara"


def _probe_vectara() -> str:
    """ "ok" when Vectara lists LLMs for our key, "unreachable" when it doesn't answer,
    "error" when it answers with anything else (a refused key, a 5xx, garbage)."""
    try:
        client = VectaraClient(
            base_url=settings.VECTARA_API_URL,
            api_key=settings.VECTARA_API_KEY,
            connect_timeout=VECTARA_PROBE_TIMEOUT[0],
            read_timeout=VECTARA_PROBE_TIMEOUT[1],
        )
    except ValueError:  # an unusable key: Vectara would refuse it
        return "error"
    try:
        client.list_llms(limit=1)
    except VectaraError as exc:
        return "unreachable" if exc.status is None else "error"
    finally:
        client.close()
    return "ok"


def vectara_status() -> str:
    try:
        cached = cache.get(_PROBE_KEY)
    except Exception:  # a cache outage must not make the dashboard look down
        logger.warning("The cache did not answer the health check; asking Vectara directly.")
        cached = None
    if cached is not None:
        return str(cached)
    status = _probe_vectara()
    with contextlib.suppress(Exception):  # as above: uncached is slower, not wrong
        cache.set(_PROBE_KEY, status, VECTARA_PROBE_TTL)
    return status


@never_cache
@require_safe
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers, without log-in: 200 while the database answers, 503 when not.

    Vectara's state is reported beside it but never fails the check: with Vectara down the
    dashboard still serves lists, the audit log and clear errors, so taking every instance
    out of the load balancer would only make things worse. Names no URL, version or key.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception:  # any database failure means "not healthy", whatever its class
        logger.exception("The health check could not reach the database.")
        return JsonResponse({"status": "unavailable", "database": "unreachable"}, status=503)
    answer: dict[str, object] = {"status": "ok", "database": "ok", "vectara": vectara_status()}
    # A missing audit chain head stops every action (chain.py refuses to append) but not the
    # reading of lists and of the log: say so loudly, without taking instances out.
    if head_is_missing():
        logger.error("The audit chain head is missing; every action is refused.")
        answer |= {"status": "degraded", "audit_log": "chain head missing, actions refused"}
    # Events a SIEM has yet to receive, per configured sink: for monitoring, never a failure.
    if states := sink_states():
        answer["siem_backlog"] = {state.name: state.backlog for state in states}
    return JsonResponse(answer)
