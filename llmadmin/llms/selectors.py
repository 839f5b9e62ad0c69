from __future__ import annotations

from dataclasses import dataclass

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet

from llmadmin.audit.models import AuditEvent
from llmadmin.teams.models import Team
from llmadmin.teams.policy import Access, Action, policy

from .models import LLMDefinition, Ownership, SyncRun

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


@dataclass(frozen=True)
class LLMListing:
    page: Page[LLMDefinition]
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
        llms = LLMDefinition.objects.filter(team__isnull=True, ownership=Ownership.CUSTOMER)
    elif team is None:  # Q(team=None) would mean "unowned": not what a team's list shows
        llms = LLMDefinition.objects.filter(_platform())
    else:
        llms = LLMDefinition.objects.filter(Q(team=team) | _platform())
    # PostgreSQL text can't hold NUL, so a search for one would be a 500, not "no match".
    query = query.replace("\x00", "").strip()[:SEARCH_MAX_LENGTH]
    if query:
        llms = llms.filter(
            Q(name__icontains=query) | Q(model__icontains=query) | Q(description__icontains=query)
        )
    key, descending, fields = _ordering(sort)
    # A team's LLMs number in the thousands at most, so counting them for the pager is cheap.
    paginator = Paginator(llms.order_by(*fields), PAGE_SIZE)
    return LLMListing(
        page=paginator.get_page(page),
        query=query,
        sort=key,
        descending=descending,
        scope=scope,
    )


def llm_history(
    *, llm: LLMDefinition, access: Access, limit: int = 50
) -> QuerySet[AuditEvent] | None:
    """The LLM's audit events that the person may read, or None when they may read none.

    Reading the audit log is for a team's admins and auditors, and a built-in LLM's history
    mixes every team's events: each person sees only those of teams whose log they may read.
    """
    events = AuditEvent.objects.filter(target_type="llm", target_id=str(llm.pk))
    if access.is_org_admin:
        return events.order_by("-id")[:limit]
    readable = [t.pk for t in policy.teams_user_has_permission_for(access, Action.AUDIT_VIEW)]
    if not readable:
        return None
    return events.filter(team_id__in=readable).order_by("-id")[:limit]


def sync_run(pk: int | None = None) -> SyncRun | None:
    """The sync with this id, else the active one, else the newest."""
    runs = SyncRun.objects.select_related("started_by")
    if pk is not None:
        return runs.filter(pk=pk).first()
    return runs.filter(active=True).first() or runs.order_by("-created_at").first()


def llm_last_sync() -> AuditEvent | None:
    """The latest sync that finished, whoever ran it (from the UI or manage.py)."""
    return (
        AuditEvent.objects.filter(action=Action.LLM_SYNC, outcome="success").order_by("-id").first()
    )
