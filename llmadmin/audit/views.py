from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import lru_cache

from django.core.cache.backends.locmem import LocMemCache
from django.forms.renderers import get_default_renderer
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import get_object_or_404, render
from django.template import Engine
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from llmadmin.core.errors import parse_id
from llmadmin.core.http import AppRequest
from llmadmin.teams.decorators import team_action_required
from llmadmin.teams.permissions import Action

from . import selectors
from .chart import ChartCounts, audit_event_chart_counts, chart_draw
from .context_processors import may
from .diff import details_diff
from .export import audit_export
from .forms import KNOWN_ACTIONS, EventFilterForm
from .models import AuditEvent
from .recorder import Origin

LIST_TEMPLATE = "audit/event_list.html"
# What a row of the list shows: the page reads these columns and no others.
ROW_FIELDS = (
    "id", "occurred_at", "actor_username", "action", "message", "outcome",
    "target_type", "target_id", "target_label", "team_slug",
)  # fmt: skip

# Parts of the list page that are functions of their input alone (an event's row, the chart
# of some counts, the filter fields of a query) are rendered once and then read from memory,
# keyed by that input and by the source of the templates: a key can't go stale, so nothing
# ever needs invalidating. Kept in each process and apart from Django's cache: a part
# missing is simply rendered again, so workers and instances need not share them, and
# filling this can't push the log-in throttle's counts out of a local-memory cache.
# A row is about 400 bytes.
_fragments = LocMemCache(
    "llmadmin.audit.fragments", {"TIMEOUT": None, "OPTIONS": {"MAX_ENTRIES": 5000}}
)


def _cursor(value: str | None) -> int | None:
    return parse_id(value)


@lru_cache(maxsize=8)
def _source_digest(source: str) -> str:
    return hashlib.sha256(source.encode()).hexdigest()


def _templates() -> list[str]:
    """Digests of the templates the fragments come from, part of every key, so that a changed
    template (DEBUG reloads them) is a new key rather than a stale fragment."""
    engine = Engine.get_default()
    names = (LIST_TEMPLATE, get_default_renderer().field_template_name)
    return [_source_digest(engine.get_template(name).source) for name in names]


def _key(templates: list[str], *parts: object) -> str:
    return f"audit:{hashlib.sha256(repr((templates, parts)).encode()).hexdigest()}"


def _fragment(key: str, render: Callable[[], str]) -> SafeString:
    html = _fragments.get(key)
    if html is None:
        html = render()
        _fragments.set(key, html)
    # Our own templates' output, escaped when it was rendered.
    return mark_safe(html)  # noqa: S308


def event_rows(events: list[AuditEvent], *, all_teams: bool) -> SafeString:
    """The table rows of `events`, from memory where they were rendered before (one lookup
    for the page); only an org admin's rows have a Team column."""
    templates = _templates()
    keys = {
        _key(templates, "row", all_teams, [getattr(e, field) for field in ROW_FIELDS]): e
        for e in events
    }
    found = _fragments.get_many(keys)
    rendered = {
        key: render_to_string(f"{LIST_TEMPLATE}#event-row", {"event": e, "all_teams": all_teams})
        for key, e in keys.items()
        if key not in found
    }
    _fragments.set_many(rendered)
    return mark_safe("".join(found.get(key) or rendered[key] for key in keys))  # noqa: S308


def chart_html(counts: ChartCounts) -> SafeString:
    """The chart of these counts, drawn only if it isn't in memory already."""

    def draw() -> str:
        return render_to_string(f"{LIST_TEMPLATE}#chart", {"chart": chart_draw(counts)})

    return _fragment(_key(_templates(), "chart", counts), draw)


def filter_fields(request: AppRequest, form: EventFilterForm) -> SafeString:
    """The filter form's fields, for the values in the URL. An org admin's include the list
    of teams, which changes: those are rendered every time."""

    def render_fields() -> str:
        context = {"form": form, "known_actions": KNOWN_ACTIONS}
        return render_to_string(f"{LIST_TEMPLATE}#filter-fields", context)

    if "team" in form.fields:
        return mark_safe(render_fields())  # noqa: S308
    values = [(name, request.GET.getlist(name)) for name in form.fields]
    return _fragment(_key(_templates(), "filters", form.is_bound, values), render_fields)


@require_GET
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
        events=events.only(*ROW_FIELDS),
        before=_cursor(request.GET.get("before")),
        after=_cursor(request.GET.get("after")),
    )
    if all_teams:
        scope = "every team"
    else:
        assert team is not None  # without a team, only an org admin gets past the decorator
        scope = f"the team {team.name}"
    htmx = request.htmx
    # A history restore asks for the whole page; a filter change or page link only the results.
    partial = htmx and not htmx.history_restore_request
    return render(
        request,
        f"{LIST_TEMPLATE}#results" if partial else LIST_TEMPLATE,
        {
            # Only the whole page shows the form: worked out only if the template reads it.
            "filter_fields": lambda: filter_fields(request, form),
            "page": page,
            "rows": event_rows(page.events, all_teams=all_teams),
            "all_teams": all_teams,
            "scope": scope,
            "chart_html": chart_html(audit_event_chart_counts(events=events, until=filters.until)),
            "can_export": may(request, Action.AUDIT_EXPORT),
        },
    )


@require_GET
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


@require_GET
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
