from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from llmadmin.audit.recorder import Origin, Target
from llmadmin.core.http import AppRequest, wants_fragment
from llmadmin.teams.decorators import deny, team_action_required
from llmadmin.teams.models import Team
from llmadmin.teams.policy import Action, policy

from .. import selectors, services
from ..models import LLMDefinition, Ownership
from ..services.inspect import builtin_refusal

LIST_TEMPLATE = "llms/llm_list.html"
DETAIL_TEMPLATE = "llms/llm_detail.html"


def llm_flags(request: AppRequest, llm: LLMDefinition) -> dict[str, bool]:
    """What the buttons for one LLM may offer, as the policy answers for this person."""

    def may(action: Action) -> bool:
        return policy.user_has_permission_for_instance(request.access, action, llm)

    return {
        "builtin": llm.ownership == Ownership.PLATFORM,
        "can_toggle": may(Action.LLM_TOGGLE),
        "can_delete": may(Action.LLM_DELETE),
        "can_edit": may(Action.LLM_EDIT),
        "can_assign": llm.team_id is None and may(Action.LLM_ASSIGN),
    }


def llm_for_action(request: AppRequest, pk: int, action: Action) -> LLMDefinition:
    """The LLM named in the URL if the person may do `action` to it: 404 if they can't see
    it (an id must not tell whether it exists), 403 with a recorded refusal otherwise."""
    visible = policy.instances_user_has_permission_for(request.access, Action.LLM_VIEW)
    llm = get_object_or_404(visible.select_related("team"), pk=pk)
    if not policy.user_has_permission_for_instance(request.access, action, llm):
        if llm.ownership == Ownership.PLATFORM:
            verbs = {Action.LLM_TOGGLE: "enabled or disabled", Action.LLM_DELETE: "deleted"}
            message = builtin_refusal(llm, verbs.get(action, "changed"))
        else:
            message = policy.refusal(action, llm.team)
        target = Target("llm", str(llm.pk), llm.name)
        raise deny(request, action=action, team=llm.team, message=message, target=target)
    return llm


@require_safe
@vary_on_headers("HX-Request")
@team_action_required(Action.LLM_VIEW)
def llm_list(request: AppRequest) -> HttpResponse:
    """The team's LLMs; an htmx search, sort or page request gets only the results part."""
    team: Team | None = request.team
    is_org_admin = request.access.is_org_admin
    listing = selectors.llm_list(
        team=team,
        query=request.GET.get("q", ""),
        sort=request.GET.get("sort", "name"),
        scope=request.GET.get("filter", "team"),
        page=request.GET.get("page"),
        include_unowned=is_org_admin,
    )
    context = {
        "listing": listing,
        # Rows of the team's list all share this; built-in rows never get buttons.
        "can_toggle": policy.user_has_permission(
            request.access, Action.LLM_TOGGLE, team if listing.scope == "team" else None
        ),
        "can_create": policy.user_has_permission(request.access, Action.LLM_CREATE, team),
        "can_sync": policy.user_has_permission(request.access, Action.LLM_SYNC, team),
        "is_org_admin": is_org_admin,
    }
    # A fragment's answer also carries the sort out of band to the search form.
    context["fragment"] = fragment = wants_fragment(request)
    return render(request, f"{LIST_TEMPLATE}#results" if fragment else LIST_TEMPLATE, context)


@require_safe
@login_required
def llm_detail(request: AppRequest, pk: int) -> HttpResponse:
    """The local record beside what Vectara holds now, field by field."""
    # 404, not 403, for another team's LLM: an id must not tell whether it exists.
    visible = policy.instances_user_has_permission_for(request.access, Action.LLM_VIEW)
    llm = get_object_or_404(visible.select_related("team", "created_by"), pk=pk)
    upstream = services.llm_inspect(origin=Origin.from_request(request), llm=llm)
    flags = llm_flags(request, llm)
    if upstream.missing:
        # Vectara has no such LLM: editing or disabling it would fail upstream.
        flags.update(can_edit=False, can_toggle=False)
    elif upstream.upstream is not None and upstream.upstream.enabled != llm.enabled:
        # The badge and its button show Vectara's state; the drift table keeps both sides.
        llm.enabled = upstream.upstream.enabled
    context = {
        "llm": llm,
        "upstream": upstream,
        "history": selectors.llm_history(llm=llm, access=request.access),
        "teams": Team.objects.order_by("name") if flags["can_assign"] else (),
        **flags,
    }
    return render(request, DETAIL_TEMPLATE, context)
