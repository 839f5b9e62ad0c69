from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import HttpRequest

from .models import Membership, Team
from .permissions import ROLES_READ, Action, User, can

SESSION_KEY = "current_team_id"
_REQUEST_CACHE = "_llmadmin_team_choices"


@dataclass(frozen=True)
class TeamChoice:
    """A team the person works in and their role there (None for an org admin who isn't a
    member: their rights don't come from a role)."""

    team: Team
    role: str | None


def team_choices(*, user: User) -> list[TeamChoice]:
    """The teams `user` can work in, by name, in one query: every team for an org admin."""
    if not user.is_authenticated or not user.is_active:
        return []
    if user.is_superuser:
        return [TeamChoice(team, None) for team in Team.objects.order_by("name")]
    memberships = Membership.objects.filter(user=user).select_related("team").order_by("team__name")
    return [TeamChoice(m.team, m.role) for m in memberships]


def team_choices_for_request(request: HttpRequest) -> list[TeamChoice]:
    # The decorator, the views and the context processor all ask during one request; one
    # query answers them all.
    cached = getattr(request, _REQUEST_CACHE, None)
    if cached is None:
        # Usually read already, with the session (sessions.SessionStore.load).
        user = request.user  # first: reading it loads the session
        signed_in = getattr(request.session, "signed_in", None)
        if signed_in is not None and signed_in.user.pk == user.pk:
            cached = signed_in.choices
        else:
            cached = team_choices(user=user)
        setattr(request, _REQUEST_CACHE, cached)
        # The request's user object lives as long as the request: the services' own
        # permission checks on it answer from these roles instead of asking again.
        if request.user.is_authenticated and not request.user.is_superuser:
            setattr(request.user, ROLES_READ, {c.team.pk: c.role for c in cached})
    return cached


def team_current_choice(request: HttpRequest) -> TeamChoice | None:
    """The team chosen in this session, else the person's first, with their role there."""
    choices = team_choices_for_request(request)
    chosen = request.session.get(SESSION_KEY)
    for choice in choices:
        if choice.team.pk == chosen:
            return choice
    return choices[0] if choices else None


def team_current(request: HttpRequest) -> Team | None:
    """The team the person is working in: the one chosen in this session, else their first."""
    choice = team_current_choice(request)
    return choice.team if choice else None


def can_for_request(request: HttpRequest, action: Action, team: Team | None) -> bool:
    """`can(request.user, action, team)`, answered from the person's memberships already read
    for this request (see team_choices_for_request): the same rule, no query of its own."""
    team_choices_for_request(request)
    return can(request.user, action, team)


def team_members(*, team: Team) -> QuerySet[Membership]:
    return Membership.objects.filter(team=team).select_related("user").order_by("user__username")
