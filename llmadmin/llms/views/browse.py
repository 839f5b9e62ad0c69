from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from llmadmin.audit.recorder import Origin
from llmadmin.core.http import AppRequest, wants_fragment
from llmadmin.teams.decorators import deny, team_action_required
from llmadmin.teams.models import Team
from llmadmin.teams.permissions import Action, denied_message
from llmadmin.teams.selectors import can_for_request

from .. import selectors, services
from ..models import LLMDefinition, Ownership
from ..services.inspect import builtin_refusal

LIST_TEMPLATE = "llms/llm_list.html"
DETAIL_TEMPLATE = "llms/llm_detail.html"


def llm_flags(request: AppRequest, llm: LLMDefinition) -> dict[str, bool]:
    """What the buttons for one LLM may offer, from the one permission policy (answered from
    the memberships this request already read)."""
    builtin = llm.ownership == Ownership.PLATFORM

    def may(action: Action, team: Team | None) -> bool:
        return not builtin and can_for_request(request, action, team)

    return {
        "builtin": builtin,
        "can_toggle": may(Action.LLM_TOGGLE, llm.team),
        "can_delete": may(Action.LLM_DELETE, llm.team),
        "can_edit": may(Action.LLM_EDIT, llm.team),
        "can_assign": llm.team_id is None and may(Action.LLM_ASSIGN, None),
    }


def llm_for_action(request: AppRequest, pk: int, action: Action) -> LLMDefinition:
    """The LLM named in the URL if the person may do `action` to it: 404 if they can't see
    it (an id must not tell whether it exists), 403 with a recorded refusal otherwise."""
    llm = get_object_or_404(selectors.llm_visible(user=request.user).select_related("team"), pk=pk)
    if llm.ownership == Ownership.PLATFORM and action != Action.LLM_VIEW:
        verbs = {Action.LLM_TOGGLE: "enabled or disabled", Action.LLM_DELETE: "deleted"}
        message = builtin_refusal(llm, verbs.get(action, "changed"))
        raise deny(request, action=action, team=None, message=message)
    if not can_for_request(request, action, llm.team):
        message = denied_message(action, llm.team)
        raise deny(request, action=action, team=llm.team, message=message)
    return llm


@require_safe
@vary_on_headers("HX-Request")
@team_action_required(Action.LLM_VIEW)
def llm_list(request: AppRequest) -> HttpResponse:
    """The team's LLMs; an htmx search, sort or page request gets only the results part."""
    team: Team | None = request.team
    user = request.user
    is_org_admin = bool(user.is_authenticated and user.is_superuser)
    listing = selectors.llm_list(
        team=team,
        query=request.GET.get("q", ""),
        sort=request.GET.get("sort", "name"),
        scope=request.GET.get("filter", "team"),
        page=request.GET.get("page"),
        include_unowned=is_org_admin,
    )
    # Rows of the team's list all share this; built-in rows never get buttons.
    can_toggle = can_for_request(
        request, Action.LLM_TOGGLE, team if listing.scope == "team" else None
    )
    context = {
        "listing": listing,
        "can_toggle": can_toggle,
        "can_create": can_for_request(request, Action.LLM_CREATE, team),
        "can_sync": can_for_request(request, Action.LLM_SYNC, team),
        "is_org_admin": is_org_admin,
    }
    fragment = wants_fragment(request)
    context["fragment"] = fragment  # its answer carries the sort out of band to the form
    template = f"{LIST_TEMPLATE}#results" if fragment else LIST_TEMPLATE
    return render(request, template, context)


@require_safe
@login_required
def llm_detail(request: AppRequest, pk: int) -> HttpResponse:
    """The local record beside what Vectara holds now, field by field."""
    # 404, not 403, for another team's LLM: an id must not tell whether it exists.
    llm = get_object_or_404(
        selectors.llm_visible(user=request.user).select_related("team", "created_by"), pk=pk
    )
    upstream = services.llm_inspect(origin=Origin.from_request(request), llm=llm)
    flags = llm_flags(request, llm)
    context = {
        "llm": llm,
        "upstream": upstream,
        "history": selectors.llm_history(llm=llm, user=request.user),
        "teams": Team.objects.order_by("name") if flags["can_assign"] else (),
        **flags,
    }
    return render(request, DETAIL_TEMPLATE, context)
