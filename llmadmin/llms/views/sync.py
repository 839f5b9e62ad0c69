"""The sync page. Sending its form only asks for a sync (a queued job, see
llmadmin/llms/tasks.py), so the answer comes at once and no web worker waits on Vectara; the
page then follows the run's progress, which any worker on any instance reads from the
database."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_safe
from django.views.decorators.vary import vary_on_headers

from llmadmin.audit.recorder import Origin
from llmadmin.core.errors import ApplicationError, parse_id
from llmadmin.core.http import AppRequest
from llmadmin.teams.decorators import team_action_required
from llmadmin.teams.policy import Action

from .. import selectors, services
from ..models import SyncRun

TEMPLATE = "llms/llm_sync.html"


def _progress_context(run: SyncRun | None, error: str = "") -> dict[str, object]:
    return {"run": run, "error": error, "poll": run is not None and run.active}


def _progress(request: AppRequest, run: SyncRun | None, error: str = "") -> HttpResponse:
    return render(request, f"{TEMPLATE}#progress", _progress_context(run, error))


@require_http_methods(["GET", "HEAD", "POST"])
@vary_on_headers("HX-Request")
@team_action_required(Action.LLM_SYNC)
def llm_sync(request: AppRequest) -> HttpResponse:
    if request.method in ("GET", "HEAD"):
        context = {**_progress_context(selectors.sync_run()), "last": selectors.llm_last_sync()}
        return render(request, TEMPLATE, context)

    try:
        run = services.sync_start(
            actor=request.access, origin=Origin.from_request(request), team=request.team
        )
    except ApplicationError as exc:
        if request.htmx:
            return _progress(request, selectors.sync_run(), exc.message)
        messages.error(request, exc.message)
        return redirect("llms:sync")
    if request.htmx:
        return _progress(request, run)
    return redirect("llms:sync")  # the page shows the run and refreshes itself while it runs


@require_safe
@team_action_required(Action.LLM_SYNC)
def llm_sync_progress(request: AppRequest) -> HttpResponse:
    """Where the run has got to; asks again while it is active."""
    return _progress(request, selectors.sync_run(parse_id(request.GET.get("run"))))
