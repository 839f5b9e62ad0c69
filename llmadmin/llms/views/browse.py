from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

from llmadmin.audit.recorder import Origin
from llmadmin.core import memo
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


def row_text(prefix: str, pk: int, updated_at: datetime) -> dict[str, str]:
    """What a list row prints beside its columns, as ready strings: its URL (the list's URL
    and the id, see urls.py, rather than a reverse() per row) and its last change in the
    current time zone. {% url %} and |date were half the time 50 rows took to render."""
    updated = timezone.localtime(updated_at)
    return {
        "row_url": f"{prefix}{pk}/",
        "row_updated_iso": updated.isoformat(),
        "row_updated": updated.strftime("%Y-%m-%d %H:%M"),
    }


def with_row_text(llm: LLMDefinition) -> LLMDefinition:
    """The LLM, given its row's text (row_text) to render as a list row."""
    for name, value in row_text(reverse("llms:list"), llm.pk, llm.updated_at).items():
        setattr(llm, name, value)
    return llm


def rendered_rows(rows: list[selectors.LLMRow], *, can_toggle: bool) -> SafeString:
    """The <tr>s of a list page, each rendered once and then looked up (core.memo) by
    everything it shows: its columns, the flag its button depends on, how this request
    prints URLs, times and words (memo.made_with, and the time zone) and the template. A
    changed LLM or another person's rights make another key, so a row can't be stale or show
    more than the person just read themselves. The key does not rely on `version`: marking
    an LLM missing upstream or assigning it does not bump it."""
    prefix = reverse("llms:list")
    zone = timezone.get_current_timezone_name()
    made_with = (memo.made_with(LIST_TEMPLATE), zone, can_toggle)

    def render(row: selectors.LLMRow) -> Callable[[], str]:
        def rendered() -> str:  # only for a row not remembered yet
            llm = {**row._asdict(), **row_text(prefix, row.pk, row.updated_at)}
            context = {"llm": llm, "can_toggle": can_toggle}
            return render_to_string(f"{LIST_TEMPLATE}#llm-row", context)

        return rendered

    html = memo.recall_many({memo.key("llm-row", made_with, row): render(row) for row in rows})
    return mark_safe("".join(html))  # noqa: S308 - rendered by our template, escaped there


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
        "rows": rendered_rows(listing.page.object_list, can_toggle=can_toggle),
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
