"""Enable/disable, delete and assign: one POST each, with plain-form fallbacks."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from llmadmin.audit.recorder import Origin
from llmadmin.core.errors import ApplicationError, parse_id
from llmadmin.core.http import AppRequest
from llmadmin.teams.models import Team
from llmadmin.teams.policy import Action

from .. import services
from ..models import LLMDefinition
from .browse import DETAIL_TEMPLATE, LIST_TEMPLATE, llm_flags, llm_for_action

# Which partial answers an htmx toggle, by the id of the element it replaces.
_TOGGLE_TARGETS = {"llm-status": f"{DETAIL_TEMPLATE}#status"}


@require_POST
@vary_on_headers("HX-Request")
@login_required
def llm_toggle(request: AppRequest, pk: int) -> HttpResponse:
    """The list row (or the detail page's status) comes back swapped in place; disabling from
    the list asks first. Without JavaScript the form posts here and the person is sent back
    with a message (or to the question)."""
    llm = llm_for_action(request, pk, Action.LLM_TOGGLE)
    if request.POST.get("cancel"):
        if request.htmx:
            context = {"llm": llm, "refocus": True, **llm_flags(request, llm)}
            return render(request, f"{LIST_TEMPLATE}#llm-row", context)
        return redirect("llms:list")
    enabled = request.POST.get("enabled") == "1"
    if _asks_first(request, llm, enabled):
        context = {"llm": llm, "confirm_disable": True, **llm_flags(request, llm)}
        if request.htmx:
            return render(request, f"{LIST_TEMPLATE}#llm-row", context)
        return render(request, "llms/llm_confirm_disable.html", context)
    ok, feedback = True, ""
    try:
        llm = services.llm_set_enabled(
            actor=request.access, origin=Origin.from_request(request), llm=llm, enabled=enabled
        )
        feedback = f"{llm.name} is now {'enabled' if llm.enabled else 'disabled'}."
    except ApplicationError as exc:
        ok, feedback = False, exc.message
        llm.refresh_from_db()

    htmx = request.htmx
    if htmx:
        # A failure is still a 200: htmx 2 does not swap 4xx/5xx answers by default.
        template = _TOGGLE_TARGETS.get(htmx.target or "", f"{LIST_TEMPLATE}#llm-row")
        context = {"llm": llm, "feedback": feedback, "feedback_ok": ok}
        return render(request, template, {**context, **llm_flags(request, llm)})
    (messages.success if ok else messages.error)(request, feedback)
    if request.POST.get("next") == "detail":
        return redirect(llm)
    return redirect("llms:list")


def _asks_first(request: AppRequest, llm: LLMDefinition, enabled: bool) -> bool:
    """Disabling from a list row asks first: rows sit close together, and every query that
    names the LLM fails at once. Its own detail page is deliberate enough to act at once."""
    if enabled or not llm.enabled or request.POST.get("confirm"):
        return False
    return request.POST.get("next") != "detail"


@require_http_methods(["GET", "HEAD", "POST"])
@vary_on_headers("HX-Request")
@login_required
def llm_delete(request: AppRequest, pk: int) -> HttpResponse:
    """GET asks "Delete <name>?" and says what it means; POST deletes."""
    llm = llm_for_action(request, pk, Action.LLM_DELETE)
    context = {"llm": llm, **llm_flags(request, llm)}
    if request.method in ("GET", "HEAD"):
        return render(request, "llms/llm_confirm_delete.html", context)
    try:
        message = services.llm_delete(
            actor=request.access, origin=Origin.from_request(request), llm=llm
        )
    except ApplicationError as exc:
        context["error"] = exc.message
        return render(request, "llms/llm_confirm_delete.html", context)
    messages.success(request, message)
    if request.htmx:
        return HttpResponseClientRedirect(reverse("llms:list"))
    return redirect("llms:list")


@require_POST
@login_required
def llm_assign(request: AppRequest, pk: int) -> HttpResponse:
    """An org admin gives an unowned LLM to a team (a plain form on the detail page)."""
    llm = llm_for_action(request, pk, Action.LLM_ASSIGN)
    team_id = request.POST.get("team", "")
    team = get_object_or_404(Team, pk=parse_id(team_id) or 0)
    try:
        services.llm_assign(
            actor=request.access, origin=Origin.from_request(request), llm=llm, team=team
        )
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{llm.name} now belongs to the team {team.name}.")
    return redirect(llm)
