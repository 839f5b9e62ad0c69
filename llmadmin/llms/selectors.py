from __future__ import annotations

from django.db.models import QuerySet

from llmadmin.audit.models import AuditEvent
from llmadmin.teams.models import Team
from llmadmin.teams.permissions import Action, User, teams_for

from .models import LLMDefinition


def llm_visible(*, user: User) -> QuerySet[LLMDefinition]:
    """Every LLM `user` may see: their teams' LLMs; for an org admin, unowned ones too."""
    if user.is_authenticated and user.is_superuser:
        return LLMDefinition.objects.all()
    return LLMDefinition.objects.filter(team__in=teams_for(user, Action.LLM_VIEW))


def llm_list(*, team: Team) -> QuerySet[LLMDefinition]:
    return LLMDefinition.objects.filter(team=team).order_by("name")


def llm_history(*, llm: LLMDefinition, limit: int = 50) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(target_type="llm", target_id=str(llm.pk)).order_by("-id")[
        :limit
    ]
