"""Sync from the UI, with progress while the pages arrive.

The POST runs the whole sync in its own request (gunicorn sync workers have nowhere safe to
run work in the background), and reports each page to the shared cache under a sync id that
the page generated beforehand. While the POST is busy, the page polls the progress URL,
which any worker on any instance can answer from that cache (CACHE_URL).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe
from django.views.decorators.vary import vary_on_headers

from llmadmin.audit.recorder import Origin
from llmadmin.core.errors import ApplicationError
from llmadmin.core.http import AppRequest
from llmadmin.teams.decorators import team_action_required
from llmadmin.teams.policy import Action

from .. import selectors, services

TEMPLATE = "llms/llm_sync.html"
PROGRESS_TTL = 60 * 60
POLL_LIMIT = 1200  # polls of 0.5 s: a page left open stops asking after ten minutes


def _key(request: AppRequest, sync_id: uuid.UUID) -> str:
    # Per person: a sync id seen in someone else's page tells them nothing.
    return f"llms:sync:{request.user.pk}:{sync_id.hex}"


def _parse(value: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        return uuid.uuid4()


@require_http_methods(["GET", "HEAD", "POST"])
@vary_on_headers("HX-Request")
@team_action_required(Action.LLM_SYNC)
def llm_sync(request: AppRequest) -> HttpResponse:
    if request.method in ("GET", "HEAD"):
        return render(
            request, TEMPLATE, {"sync_id": uuid.uuid4(), "last": selectors.llm_last_sync()}
        )

    sync_id = _parse(request.POST.get("sync_id", ""))
    key = _key(request, sync_id)
    cache.set(key, {"state": "running", "pages": 0, "count": 0}, PROGRESS_TTL)

    def on_page(pages: int, count: int) -> None:
        cache.set(key, {"state": "running", "pages": pages, "count": count}, PROGRESS_TTL)

    ok = True
    try:
        summary = services.llm_sync(
            actor=request.access,
            origin=Origin.from_request(request),
            team=request.team,
            on_page=on_page,
        )
        text = summary.sentence()
    except ApplicationError as exc:
        ok, text = False, exc.message
    cache.set(key, {"state": "done" if ok else "failed", "text": text}, PROGRESS_TTL)

    if request.htmx:
        context = {"ok": ok, "text": text, "sync_id": uuid.uuid4()}
        return render(request, f"{TEMPLATE}#result", context)
    (messages.success if ok else messages.error)(request, text)
    return redirect("llms:sync")


@require_safe
@team_action_required(Action.LLM_SYNC)
def llm_sync_progress(request: AppRequest) -> HttpResponse:
    """How far the sync with this id has come; keeps polling itself until it ends."""
    sync_id = _parse(request.GET.get("sync_id", ""))
    state: dict[str, Any] = cache.get(_key(request, sync_id)) or {"state": "starting"}
    try:
        polls = int(request.GET.get("n", "0"))
    except ValueError:
        polls = 0
    running = state["state"] in ("starting", "running")
    context = {
        "sync_id": sync_id,
        "progress": state,
        "poll_next": polls + 1 if running and polls < POLL_LIMIT else None,
    }
    return render(request, f"{TEMPLATE}#progress", context)
