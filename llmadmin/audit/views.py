from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.forms.renderers import get_default_renderer
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from llmadmin.core import memo
from llmadmin.core.errors import parse_id
from llmadmin.core.http import AppRequest, wants_fragment
from llmadmin.teams.decorators import team_action_required
from llmadmin.teams.permissions import Action

from . import selectors
from .chart import ChartCounts, audit_event_chart_counts, chart_draw
from .diff import details_diff
from .export import audit_export
from .forms import KNOWN_ACTIONS, EventFilterForm
from .models import Outcome
from .recorder import Origin

LIST_TEMPLATE = "audit/event_list.html"
# What a row of the list shows: the page reads these columns and no others.
ROW_FIELDS = (
    "id", "occurred_at", "actor_username", "action", "message", "outcome",
    "target_type", "target_id", "target_label", "team_slug",
)  # fmt: skip


OUTCOME_LABELS = dict(Outcome.choices)


def _made_with() -> tuple[object, ...]:
    """Part of every key of HTML from this page (memo.made_with): its templates."""
    return memo.made_with(LIST_TEMPLATE, get_default_renderer().field_template_name)


def event_rows(events: list[Any], *, all_teams: bool, made_with: tuple[object, ...]) -> SafeString:
    """The table rows of `events`, each rendered once and then looked up (core.memo) by what
    it shows; only an org admin's rows have a Team column."""

    def render(event: Any) -> Callable[[], str]:  # a named tuple of ROW_FIELDS
        # As get_outcome_display() would say it: the label, or the stored value if unknown.
        outcome = OUTCOME_LABELS.get(event.outcome, event.outcome)
        context = {"event": event, "outcome": outcome, "all_teams": all_teams}
        return lambda: render_to_string(f"{LIST_TEMPLATE}#event-row", context)

    rows = {memo.key("audit-row", made_with, all_teams, event): render(event) for event in events}
    return mark_safe("".join(memo.recall_many(rows)))  # noqa: S308 - our template escaped it


def chart_html(counts: ChartCounts, *, made_with: tuple[object, ...]) -> SafeString:
    """The chart of these counts, drawn once for them."""

    def draw() -> str:
        return render_to_string(f"{LIST_TEMPLATE}#chart", {"chart": chart_draw(counts)})

    name = memo.key("audit-chart", made_with, counts)
    return mark_safe(memo.recall(name, draw, using="memo_large"))  # noqa: S308


def filter_fields(
    request: AppRequest, form: EventFilterForm, *, made_with: tuple[object, ...]
) -> SafeString:
    """The filter form's fields, for the values in the URL. An org admin's include the list
    of teams, which changes: those are rendered every time."""

    def render_fields() -> str:
        context = {"form": form, "known_actions": KNOWN_ACTIONS}
        return render_to_string(f"{LIST_TEMPLATE}#filter-fields", context)

    if "team" in form.fields:
        return mark_safe(render_fields())  # noqa: S308
    values = [(name, request.GET.getlist(name)) for name in form.fields]
    name = memo.key("audit-filters", made_with, form.is_bound, values)
    return mark_safe(memo.recall(name, render_fields, using="memo_large"))  # noqa: S308


@require_safe
@vary_on_headers("HX-Request")
@team_action_required(Action.AUDIT_VIEW)
def event_list(request: AppRequest) -> HttpResponse:
    team = request.team
    all_teams = request.user.is_superuser
    form = EventFilterForm(request.GET or None, all_teams=all_teams)
    filters = form.filters()
    events = selectors.audit_event_filter(
        events=selectors.audit_event_visible(user=request.user, team=team),
        filters=filters,
    )
    page = selectors.audit_event_page(
        # Plain values, not models: 52 model instances cost more than the query.
        events=events.values_list(*ROW_FIELDS, named=True),
        before=parse_id(request.GET.get("before")),
        after=parse_id(request.GET.get("after")),
    )
    if all_teams:
        scope = "every team"
    else:
        assert team is not None  # without a team, only an org admin gets past the decorator
        scope = f"the team {team.name}"
    made_with = _made_with()
    # A filter change or page link asks for the results only.
    return render(
        request,
        f"{LIST_TEMPLATE}#results" if wants_fragment(request) else LIST_TEMPLATE,
        {
            # Only the whole page shows the form: worked out only if the template reads it.
            "filter_fields": lambda: filter_fields(request, form, made_with=made_with),
            "page": page,
            "rows": event_rows(page.events, all_teams=all_teams, made_with=made_with),
            "all_teams": all_teams,
            "scope": scope,
            "chart_html": chart_html(
                audit_event_chart_counts(events=events, until=filters.until), made_with=made_with
            ),
        },
    )


@require_safe
@team_action_required(Action.AUDIT_EXPORT)
def event_export(request: AppRequest, fmt: str) -> StreamingHttpResponse:
    all_teams = request.user.is_superuser
    team = request.team
    form = EventFilterForm(request.GET or None, all_teams=all_teams)
    filters = form.filters()
    export = audit_export(
        origin=Origin.from_request(request),
        team=form.team_chosen() if all_teams else team,
        events=selectors.audit_event_filter(
            events=selectors.audit_event_visible(user=request.user, team=team),
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
    visible = selectors.audit_event_visible(
        user=request.user,
        team=request.team,
    )
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
