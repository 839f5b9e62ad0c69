"""/v2/llms on llmadmin: Vectara's contract, served through the dashboard's own services.

Thin views: a personal API key (x-api-key, or a bearer token) stands in for the session, the
key's `KeyAccess` for `request.access`, and each call runs the service the browser's form
runs, with the same policy, URI checks and audit event (origin "api", the key's prefix).
JSON only; no session, no CSRF (nothing here reads a cookie).
"""

from __future__ import annotations

import base64
import json
import logging
import math
import re
import time
from collections.abc import Callable
from functools import cache, wraps
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings
from django.core.cache import cache as django_cache
from django.core.exceptions import RequestDataTooBig
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.debug import sensitive_variables

from llmadmin.audit.recorder import Attempt, Origin, Target
from llmadmin.core import in_flight
from llmadmin.core.errors import ActionDenied, ApplicationError
from llmadmin.core.proxies import client_ip
from llmadmin.llms.models import LLMDefinition, Ownership
from llmadmin.llms.services import (
    StaleEdit,
    llm_create,
    llm_delete,
    llm_set_enabled,
    llm_update,
)
from llmadmin.llms.services.update import PLATFORM
from llmadmin.teams.policy import Action, policy

from .bodies import BodyErrors, create_form, edit_form, llm_json
from .keys import Authenticated, KeyRefused, authenticate

logger = logging.getLogger(__name__)

CONTRACT = Path(__file__).resolve().parents[1] / "vectara/openapi/llms-openapi.yaml"
FILTER_MAX_LENGTH = 1000

View = Callable[..., HttpResponse]


def _error(request: HttpRequest, status: int, *messages: str, **extra: Any) -> JsonResponse:
    """The contract's Error (and NotFoundError, BadRequestError with `extra`)."""
    body = {**extra, "messages": list(messages), "request_id": getattr(request, "request_id", "")}
    return JsonResponse(body, status=status)


def _bad_request(request: HttpRequest, errors: BodyErrors) -> JsonResponse:
    return _error(request, 400, *errors.messages, field_errors=errors.field_errors)


def _not_found(request: HttpRequest, llm_id: str) -> JsonResponse:
    message = f"No LLM with the ID or name {llm_id!r} in this key's team."
    return _error(request, 404, message, id=llm_id)


@sensitive_variables("raw")
def _presented_key(request: HttpRequest) -> str | None:
    raw = request.headers.get("x-api-key")
    if raw is None:
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        raw = token.strip() if scheme.lower() == "bearer" else None
    return raw


def _wait_seconds(prefix: str) -> int:
    """Seconds until this key may call again, 0 if now: LLMADMIN_API_RATE_PER_MINUTE calls
    in a minute that starts at the key's first call after the last one ended."""
    limit = settings.LLMADMIN_API_RATE_PER_MINUTE
    if limit <= 0:
        return 0
    now = time.time()
    try:
        django_cache.add(f"api-rate:{prefix}", now, timeout=60)
        started = float(django_cache.get(f"api-rate:{prefix}", now))
        count_key = f"api-rate:{prefix}:{started}"  # a new window counts afresh
        django_cache.add(count_key, 0, timeout=61)
        count = django_cache.incr(count_key)
    except Exception:  # the cache is down: serve rather than refuse for it
        logger.warning("Could not count the calls of API key %s", prefix)
        return 0
    return max(1, math.ceil(started + 60 - now)) if count > limit else 0


def api_call(view: Callable[..., HttpResponse]) -> View:
    """Authenticate the key, apply its rate limit, and answer every failure in JSON."""

    @csrf_exempt
    @never_cache
    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        origin = Origin(
            source_ip=client_ip(request),
            user_agent=request.headers.get("User-Agent", "")[:512],
            request_id=getattr(request, "request_id", ""),
        )
        try:
            auth = authenticate(_presented_key(request), origin)
        except KeyRefused as refused:
            response = _error(request, refused.status, refused.message)
            if refused.status == 401:
                response["WWW-Authenticate"] = 'Bearer realm="llmadmin"'
            return response
        if wait := _wait_seconds(auth.key.prefix):
            response = _error(
                request,
                429,
                f"This API key made more than {settings.LLMADMIN_API_RATE_PER_MINUTE} calls in "
                f"a minute. Try again in {wait} seconds.",
            )
            response["Retry-After"] = str(wait)
            return response
        token = in_flight.person.set(auth.key.owner)  # the owner's cap on calls to Vectara
        try:
            return view(request, auth, *args, **kwargs)
        except BodyErrors as errors:
            return _bad_request(request, errors)
        except ActionDenied as denied:
            return _error(request, 403, denied.message)
        except StaleEdit as stale:
            return _error(request, 409, stale.message)
        except ApplicationError as failed:
            if failed.field_errors:
                return _bad_request(request, BodyErrors(failed.field_errors, [failed.message]))
            return _error(request, 502, failed.message)
        except Exception:
            # A script reads JSON: a bug here still answers in the contract's shape.
            logger.exception("The API failed on %s %s", request.method, request.path)
            return _error(request, 500, "llmadmin failed to handle this call; it is logged.")
        finally:
            in_flight.person.reset(token)

    return wrapped


def _json_body(request: HttpRequest) -> dict[str, Any]:
    try:
        raw = request.body
    except RequestDataTooBig:
        raise BodyErrors({}, ["The request body is too large."]) from None
    content_type = request.content_type or ""
    if content_type != "application/json":
        raise BodyErrors({}, ["Send the request body as application/json."])
    try:
        body = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError):
        raise BodyErrors({}, ["The request body is not valid JSON."]) from None
    if not isinstance(body, dict):
        raise BodyErrors({}, ["The request body must be a JSON object."])
    return body


def _reject_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")


def _method_not_allowed(request: HttpRequest, allowed: str) -> JsonResponse:
    response = _error(request, 405, f"Use {allowed} on {request.path}.")
    response["Allow"] = allowed
    return response


# --- the endpoints ---------------------------------------------------------------------------


@api_call
def llms(request: HttpRequest, auth: Authenticated) -> HttpResponse:
    if request.method == "GET":
        return _list(request, auth)
    if request.method == "POST":
        return _create(request, auth)
    return _method_not_allowed(request, "GET, POST")


@api_call
def llm(request: HttpRequest, auth: Authenticated, llm_id: str) -> HttpResponse:
    if request.method not in ("GET", "PATCH", "DELETE"):
        return _method_not_allowed(request, "GET, PATCH, DELETE")
    found = _visible(auth).filter(Q(vectara_id=llm_id) | Q(name=llm_id)).order_by("id")
    # An id wins over a name, as in Vectara.
    target = next((x for x in found if x.vectara_id == llm_id), None) or found.first()
    if target is None:
        return _not_found(request, llm_id)
    if request.method == "GET":
        return JsonResponse(llm_json(target))
    if request.method == "PATCH":
        return _update(request, auth, target)
    llm_delete(actor=auth.access, origin=auth.origin, llm=target)
    return HttpResponse(status=204)


def _visible(auth: Authenticated) -> Any:
    return policy.instances_user_has_permission_for(auth.access, Action.LLM_VIEW)


def _list(request: HttpRequest, auth: Authenticated) -> HttpResponse:
    errors: dict[str, str] = {}
    limit_text = request.GET.get("limit", "10")
    limit = int(limit_text) if re.fullmatch(r"[0-9]{1,6}", limit_text) else 0
    if not 1 <= limit <= 100:
        errors["limit"] = "Enter a whole number from 1 to 100."
    pattern = request.GET.get("filter", "")
    regex = None
    if len(pattern) > FILTER_MAX_LENGTH:
        errors["filter"] = f"Keep the filter to {FILTER_MAX_LENGTH} characters."
    else:
        try:
            regex = re.compile(pattern)
        except re.error:
            errors["filter"] = "This is not a valid regular expression."
    offset = 0
    if "page_key" in request.GET:
        decoded = _decode_page_key(request.GET["page_key"], pattern)
        if decoded is None:
            errors["page_key"] = "This page_key is invalid or belongs to another filter."
        offset = decoded or 0
    if errors or regex is None:
        raise BodyErrors(errors)
    # Built-in LLMs first, then the team's by age, as Vectara lists them.
    everything = _visible(auth).order_by("-ownership", "id")
    if pattern:  # a regular expression runs here, over the team's LLMs, as Vectara's does
        found = [x for x in everything if regex.search(x.name) or regex.search(x.description or "")]
        window = found[offset : offset + limit + 1]
    else:  # the usual call reads one page (and one row to know if more follow), not them all
        window = list(everything[offset : offset + limit + 1])
    page = window[:limit]
    metadata = {}
    if len(window) > limit:
        metadata["page_key"] = _encode_page_key(offset + limit, pattern)
    return JsonResponse({"llms": [llm_json(x) for x in page], "metadata": metadata})


def _encode_page_key(offset: int, pattern: str) -> str:
    # The filter travels in the key, so a client that drops it on page 2 is told.
    raw = json.dumps({"offset": offset, "filter": pattern}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_page_key(page_key: str, pattern: str) -> int | None:
    try:
        data = json.loads(base64.urlsafe_b64decode(page_key + "=" * (-len(page_key) % 4)))
    except (ValueError, RecursionError):
        return None
    offset = data.get("offset") if isinstance(data, dict) else None
    valid = type(offset) is int and offset >= 0 and data.get("filter") == pattern
    return offset if valid else None


def _refuse_unless(auth: Authenticated, action: Action, target: LLMDefinition | None) -> None:
    """Refuse before the body is read, as the browser's pages do before showing a form; the
    service asks again when it acts."""
    team = target.team if target is not None else auth.key.team
    if target is not None and target.ownership == Ownership.PLATFORM:
        message = PLATFORM
    elif policy.user_has_permission(auth.access, action, team):
        return
    else:
        message = policy.refusal(action, team)
    target_ref = Target("llm", str(target.pk), target.name) if target is not None else None
    raise Attempt(auth.origin, action, team=team, target=target_ref).deny(message)


@sensitive_variables("body", "form")
def _create(request: HttpRequest, auth: Authenticated) -> HttpResponse:
    _refuse_unless(auth, Action.LLM_CREATE, None)
    form = create_form(_json_body(request))
    created = llm_create(
        actor=auth.access, origin=auth.origin, team=auth.key.team, spec=form.to_spec()
    )
    return JsonResponse(llm_json(created), status=201)


@sensitive_variables("body", "form")
def _update(request: HttpRequest, auth: Authenticated, target: LLMDefinition) -> HttpResponse:
    body = _json_body(request)
    toggle_only = set(body) <= {"type", "enabled"} and body.get("type", target.type) == target.type
    _refuse_unless(auth, Action.LLM_TOGGLE if toggle_only else Action.LLM_EDIT, target)
    updated = target
    if not toggle_only:
        form = edit_form(body, target)
        updated = llm_update(
            actor=auth.access,
            origin=auth.origin,
            llm=target,
            changes=form.to_changes(),
            version=target.version,
        )
    if "enabled" in body and body["enabled"] != updated.enabled:
        if not isinstance(body["enabled"], bool):
            raise BodyErrors({"enabled": "Give true or false."})
        updated = llm_set_enabled(
            actor=auth.access, origin=auth.origin, llm=updated, enabled=body["enabled"]
        )
    return JsonResponse(llm_json(updated))


# --- the contract, and everything else under /v2/ ----------------------------------------------


@cache
def _contract() -> dict[str, Any]:
    return yaml.safe_load(CONTRACT.read_text())


@never_cache
def openapi(request: HttpRequest) -> HttpResponse:
    """The contract this server speaks, pointed at this server and its key header."""
    if request.method not in ("GET", "HEAD"):
        return _method_not_allowed(request, "GET, HEAD")
    document = {
        **_contract(),
        "servers": [{"url": request.build_absolute_uri("/").rstrip("/")}],
        "security": [{"ApiKeyAuth": []}, {"BearerAuth": []}],
    }
    document["components"] = {
        **document["components"],
        "securitySchemes": {
            "ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "x-api-key"},
            "BearerAuth": {"type": "http", "scheme": "bearer"},
        },
    }
    return JsonResponse(document)


@csrf_exempt
def unknown(request: HttpRequest, rest: str = "") -> HttpResponse:
    return _error(request, 404, f"There is no endpoint at {request.path}.")
