from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from llmadmin.teams.decorators import team_action_required
from llmadmin.teams.permissions import Action, can

from .. import selectors


@require_GET
@team_action_required(Action.LLM_VIEW)
def llm_list(request: HttpRequest) -> HttpResponse:
    team = request.team  # type: ignore[attr-defined]
    return render(
        request,
        "llms/llm_list.html",
        {
            "llms": selectors.llm_list(team=team),
            "can_create": can(request.user, Action.LLM_CREATE, team),
        },
    )


@require_GET
@login_required
def llm_detail(request: HttpRequest, pk: int) -> HttpResponse:
    # 404, not 403, for another team's LLM: an id must not tell whether it exists.
    llm = get_object_or_404(selectors.llm_visible(user=request.user), pk=pk)
    return render(
        request,
        "llms/llm_detail.html",
        {"llm": llm, "history": selectors.llm_history(llm=llm)},
    )
