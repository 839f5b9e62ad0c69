from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from django.db import connections
from django.db.models import Q, QuerySet

from llmadmin.audit.models import AuditEvent
from llmadmin.teams.models import Team
from llmadmin.teams.permissions import Action, User, teams_for

from .models import LLMDefinition, Ownership

PAGE_SIZE = 50
SEARCH_MAX_LENGTH = 100

# Every ordering ends in a unique column, so a page boundary never shows a row twice or
# skips one; "name" (the default) is served by the (team, name) index.
SORTS: dict[str, tuple[str, ...]] = {
    "name": ("name",),
    "type": ("type", "name"),
    "model": ("model", "name"),
    # "present" sorts after "missing": descending puts LLMs that still exist first.
    "status": ("-upstream_state", "-enabled", "name"),
    "updated": ("-updated_at", "-id"),
}
SCOPES = ("team", "unowned")


def _platform() -> Q:
    return Q(ownership=Ownership.PLATFORM, team__isnull=True)


def llm_visible(*, user: User) -> QuerySet[LLMDefinition]:
    """Every LLM `user` may see: their teams' LLMs and the LLMs built into Vectara (read-only,
    the same for every team); for an org admin, unowned ones too."""
    if user.is_authenticated and user.is_superuser:
        return LLMDefinition.objects.all()
    if not user.is_authenticated:
        return LLMDefinition.objects.none()
    return LLMDefinition.objects.filter(Q(team__in=teams_for(user, Action.LLM_VIEW)) | _platform())


class LLMRow(NamedTuple):
    """One row of the LLM list: the columns it shows and nothing else. Read as plain values,
    not models: building 51 model instances cost more than the query. A tuple, so that the
    rows of a page can make the key of their own rendered HTML (views.browse.rendered_rows)."""

    pk: int
    name: str
    type: str
    model: str
    enabled: bool
    upstream_state: str
    ownership: str
    team_id: int | None
    updated_at: datetime


_ROW_COLUMNS = ("id", *LLMRow._fields[1:])


@dataclass(frozen=True)
class LLMPage:
    """One page of a list, told apart from the next by fetching one row more than it shows:
    no COUNT(*) over every row a team can see, which is what made large lists slow."""

    object_list: list[LLMRow]
    number: int
    has_next: bool
    size: int = PAGE_SIZE

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    @property
    def next_page_number(self) -> int:
        return self.number + 1

    @property
    def previous_page_number(self) -> int:
        return self.number - 1

    @property
    def start_index(self) -> int:
        return (self.number - 1) * self.size + 1 if self.object_list else 0

    @property
    def end_index(self) -> int:
        return (self.number - 1) * self.size + len(self.object_list)


@dataclass(frozen=True)
class LLMListing:
    page: LLMPage
    query: str
    sort: str
    descending: bool
    scope: str

    @property
    def sort_param(self) -> str:
        return f"-{self.sort}" if self.descending else self.sort


def _ordering(sort: str) -> tuple[str, bool, tuple[str, ...]]:
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in SORTS:
        return "name", False, SORTS["name"]
    fields = SORTS[key]
    if descending:
        fields = tuple(f[1:] if f.startswith("-") else f"-{f}" for f in fields)
    return key, descending, fields


MAX_PAGE = 10**7  # keeps OFFSET in range of every database's integers


def _page_number(page: int | str | None) -> int:
    try:
        number = int(page or 1)
    except (TypeError, ValueError):
        return 1
    return min(max(number, 1), MAX_PAGE)


def _rows(
    branches: list[QuerySet[LLMDefinition]], fields: tuple[str, ...], start: int, stop: int
) -> list[LLMRow]:
    """Rows start..stop of the branches together, in the order of `fields`.

    The team's LLMs and the built-in ones are separate branches so that each can be read
    through its own index, in order, stopping early: `team = X OR built-in` can use neither
    the (team, name) index nor a top-N shortcut, and reads every row the team has. Where the
    database takes LIMIT inside UNION ALL (PostgreSQL), each branch stops at `stop` rows;
    elsewhere (SQLite) the branches are OR-ed, which SQLite plans well enough."""
    columns = [branch.values_list(*_ROW_COLUMNS) for branch in branches]
    if len(columns) == 1:
        found = columns[0].order_by(*fields)[start:stop]
    elif connections[columns[0].db].features.supports_slicing_ordering_in_compound:
        first, *rest = (branch.order_by(*fields)[:stop] for branch in columns)
        found = first.union(*rest, all=True).order_by(*fields)[start:stop]
    else:
        combined = columns[0]
        for branch in columns[1:]:
            combined = combined | branch
        found = combined.order_by(*fields)[start:stop]
    return [LLMRow(*values) for values in found]


def llm_list(
    *,
    team: Team | None,
    query: str = "",
    sort: str = "name",
    scope: str = "team",
    page: int | str | None = 1,
    include_unowned: bool = False,
) -> LLMListing:
    """One page of the LLMs a team works with: its own and the built-in ones, or with
    scope "unowned" (org admins only: `include_unowned`) the customer LLMs no team owns yet.
    `query` matches name, model and description, case-insensitively."""
    scope = scope if scope in SCOPES and (scope != "unowned" or include_unowned) else "team"
    if scope == "unowned":
        branches = [LLMDefinition.objects.filter(team__isnull=True, ownership=Ownership.CUSTOMER)]
    elif team is None:  # Q(team=None) would mean "unowned": not what a team's list shows
        branches = [LLMDefinition.objects.filter(_platform())]
    else:
        branches = [
            LLMDefinition.objects.filter(team=team),
            LLMDefinition.objects.filter(_platform()),
        ]
    # PostgreSQL text can't hold NUL, so a search for one would be a 500, not "no match".
    query = query.replace("\x00", "").strip()[:SEARCH_MAX_LENGTH]
    matches = Q()
    if query:
        matches = (
            Q(name__icontains=query) | Q(model__icontains=query) | Q(description__icontains=query)
        )
    branches = [branch.filter(matches) for branch in branches]
    key, descending, fields = _ordering(sort)
    number = _page_number(page)
    start = (number - 1) * PAGE_SIZE
    rows = _rows(branches, fields, start, start + PAGE_SIZE + 1)
    if not rows and number > 1:
        # A page past the end (an old bookmark, a hand-typed number) shows the last page;
        # only this rare case pays for a count.
        total = sum(branch.count() for branch in branches)
        number = max(1, math.ceil(total / PAGE_SIZE))
        start = (number - 1) * PAGE_SIZE
        rows = _rows(branches, fields, start, start + PAGE_SIZE + 1)
    return LLMListing(
        page=LLMPage(rows[:PAGE_SIZE], number=number, has_next=len(rows) > PAGE_SIZE),
        query=query,
        sort=key,
        descending=descending,
        scope=scope,
    )


def llm_history(*, llm: LLMDefinition, user: User, limit: int = 50) -> QuerySet[AuditEvent] | None:
    """The LLM's audit events that `user` may read, or None when they may read none.

    Reading the audit log is for a team's admins and auditors, and a built-in LLM's history
    mixes every team's events: each person sees only those of teams whose log they may read.
    """
    readable = teams_for(user, Action.AUDIT_VIEW)
    if not (user.is_authenticated and user.is_superuser) and not readable.exists():
        return None
    events = AuditEvent.objects.filter(target_type="llm", target_id=str(llm.pk))
    if not user.is_superuser:
        events = events.filter(team_id__in=readable.values("pk"))
    return events.order_by("-id")[:limit]


def llm_last_sync() -> AuditEvent | None:
    """The latest sync that finished, whoever ran it (from the UI or manage.py)."""
    return (
        AuditEvent.objects.filter(action=Action.LLM_SYNC, outcome="success").order_by("-id").first()
    )
