from __future__ import annotations

from django.db.models import QuerySet

from .models import Membership, Team


def team_members(*, team: Team) -> QuerySet[Membership]:
    return Membership.objects.filter(team=team).select_related("user").order_by("user__username")
