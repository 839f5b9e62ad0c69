from __future__ import annotations

import json

from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from llmadmin.core.errors import parse_id
from llmadmin.core.http import AppRequest, wants_fragment
from llmadmin.teams.decorators import team_action_required
from llmadmin.teams.policy import Action

from . import selectors
from .chart import audit_event_chart
from .diff import details_diff
from .export import audit_export
from .forms import KNOWN_ACTIONS, EventFilterForm
from .recorder import Origin
from .siem import sink_states

LIST_TEMPLATE = "audit/event_list.html"


@require_safe
@vary_on_headers("HX-Request")
@team_action_required(Action.AUDIT_VIEW)
def event_list(request: AppRequest) -> HttpResponse:
    team = request.team
    all_teams = request.access.is_org_admin
    form = EventFilterForm(request.GET or None, all_teams=all_teams)
    filters = form.filters()
    events = selectors.audit_event_filter(
        events=selectors.audit_event_visible(access=request.access, team=team),
        filters=filters,
    )
    page = selectors.audit_event_page(
        events=events,
        before=parse_id(request.GET.get("before")),
        after=parse_id(request.GET.get("after")),
    )
    if all_teams:
        scope = "every team"
    else:
        assert team is not None  # without a team, only an org admin gets past the decorator
        scope = f"the team {team.name}"
    # A filter change or page link asks for the results only.
    return render(
        request,
        f"{LIST_TEMPLATE}#results" if wants_fragment(request) else LIST_TEMPLATE,
        {
            "form": form,
            "known_actions": KNOWN_ACTIONS,
            "page": page,
            "all_teams": all_teams,
            "scope": scope,
            "chart": audit_event_chart(events=events, until=filters.until),
            "siem_sinks": [] if wants_fragment(request) else sink_states(),
        },
    )


@require_safe
@team_action_required(Action.AUDIT_EXPORT)
def event_export(request: AppRequest, fmt: str) -> StreamingHttpResponse:
    all_teams = request.access.is_org_admin
    team = request.team
    form = EventFilterForm(request.GET or None, all_teams=all_teams)
    filters = form.filters()
    export = audit_export(
        origin=Origin.from_request(request),
        team=form.team_chosen() if all_teams else team,
        events=selectors.audit_event_filter(
            events=selectors.audit_event_visible(access=request.access, team=team),
            filters=filters,
        ),
        filters=filters,
        fmt=fmt,
    )
    response = StreamingHttpResponse(export.lines, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    # The whole log of a team: no shared cache or browser cache should keep a copy.
    response["Cache-Control"] = "no-store"
    return response


@require_safe
@team_action_required(Action.AUDIT_VIEW)
def event_detail(request: AppRequest, pk: int) -> HttpResponse:
    # 404, not 403, for another team's event: an id must not tell whether it exists.
    visible = selectors.audit_event_visible(access=request.access, team=request.team)
    event = get_object_or_404(visible, pk=pk)
    return render(
        request,
        "audit/event_detail.html",
        {
            "event": event,
            "diff": details_diff(event.details),
            "details_json": json.dumps(event.details, indent=2, sort_keys=True, ensure_ascii=False),
            "position": selectors.audit_event_position(event=event),
        },
    )
