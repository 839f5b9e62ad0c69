"""The one permission policy, in the shape of Wagtail's permission policies: may this person
do an action (in a team, or to an object), which objects may they see, in which teams may
they do it. Views, templates, services and commands all ask `policy`; none keeps a role
table of its own.

A question is asked about an `Access`: a person and their memberships, read in one query on
first use and held for as long as the Access lives. A request's is `request.access`
(teams.middleware); a service given only a user makes its own.
"""

from __future__ import annotations

from enum import StrEnum
from functools import cached_property
from typing import TYPE_CHECKING, Literal

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.db.models import Q, QuerySet

from .models import Membership, Role, Team

if TYPE_CHECKING:
    from llmadmin.llms.models import LLMDefinition


class Action(StrEnum):
    LLM_VIEW = "llm.view"
    LLM_CREATE = "llm.create"
    LLM_TEST = "llm.test"
    LLM_EDIT = "llm.edit"
    LLM_TOGGLE = "llm.toggle"
    LLM_DELETE = "llm.delete"
    # Sync only copies what Vectara holds into the dashboard, so the people who maintain a
    # team's LLMs may run it.
    LLM_SYNC = "llm.sync"
    # In no role: only org admins hand unowned LLMs to a team.
    LLM_ASSIGN = "llm.assign"
    MEMBERS_MANAGE = "members.manage"
    AUDIT_VIEW = "audit.view"
    AUDIT_EXPORT = "audit.export"
    # In no role: only org admins create teams.
    TEAM_CREATE = "team.create"
    # In no role: only org admins read how provider groups map to roles.
    SSO_MAPPING_VIEW = "sso.mapping_view"


_EDIT = {
    Action.LLM_VIEW,
    Action.LLM_CREATE,
    Action.LLM_TEST,
    Action.LLM_EDIT,
    Action.LLM_TOGGLE,
    Action.LLM_SYNC,
}
_AUDIT = {Action.LLM_VIEW, Action.AUDIT_VIEW, Action.AUDIT_EXPORT}

ROLE_ACTIONS: dict[str, frozenset[Action]] = {
    Role.VIEWER: frozenset({Action.LLM_VIEW}),
    Role.EDITOR: frozenset(_EDIT),
    Role.ADMIN: frozenset(_EDIT | _AUDIT | {Action.LLM_DELETE, Action.MEMBERS_MANAGE}),
    Role.AUDITOR: frozenset(_AUDIT),
}
# What may be done to an LLM built into Vectara, by anyone: it belongs to no team.
BUILTIN_ACTIONS = frozenset({Action.LLM_VIEW})


class SystemActor:
    """The actor of scripted set-up (`manage.py grant_role`): whoever can run manage.py
    already owns the database, so it acts with an org admin's rights."""

    pk = None
    # Literal, so that once `is_superuser` is ruled out the type checker knows this isn't one.
    is_authenticated: Literal[True] = True
    is_active: Literal[True] = True
    is_superuser: Literal[True] = True

    def get_username(self) -> str:
        return "manage.py"


SYSTEM = SystemActor()

User = AbstractBaseUser | AnonymousUser | SystemActor


class Access:
    """A person and the teams they work in, with their role in each."""

    def __init__(self, user: User, *, chosen_team_id: object = None) -> None:
        self.user = user
        self._chosen_team_id = chosen_team_id

    @property
    def signed_in(self) -> bool:
        return bool(self.user.is_authenticated and self.user.is_active)

    @property
    def is_org_admin(self) -> bool:  # an org admin is Django's superuser
        return self.signed_in and bool(getattr(self.user, "is_superuser", False))

    @cached_property
    def roles(self) -> dict[int, str]:
        """Team id → role, for every team the person is a member of."""
        return {m.team.pk: m.role for m in self._memberships}

    @cached_property
    def _memberships(self) -> list[Membership]:
        if not self.signed_in or self.user.pk is None:  # the system actor has no memberships
            return []
        memberships = Membership.objects.filter(user_id=self.user.pk).select_related("team")
        return list(memberships.order_by("team__name"))

    @cached_property
    def teams(self) -> list[Team]:
        """The teams the person can work in, by name: every team for an org admin."""
        if self.is_org_admin:
            return list(Team.objects.order_by("name"))
        return [m.team for m in self._memberships]

    @cached_property
    def team(self) -> Team | None:
        """The team chosen in this session, else the person's first."""
        chosen = next((t for t in self.teams if t.pk == self._chosen_team_id), None)
        return chosen or (self.teams[0] if self.teams else None)

    def role_in(self, team: Team | None) -> str | None:
        return self.roles.get(team.pk) if team is not None else None


# Who does an action: a request's Access (views pass `request.access`, so the memberships
# are read once per request), or a user (commands and scripts).
Actor = Access | User


def access_of(who: Actor) -> Access:
    return who if isinstance(who, Access) else Access(who)


def user_of(who: Actor) -> User:
    return who.user if isinstance(who, Access) else who


class PermissionPolicy:
    def user_has_permission(self, who: Actor, action: Action, team: Team | None = None) -> bool:
        """May the person do `action` in `team`? Unowned things (team None) are for org
        admins only."""
        access = access_of(who)
        if not access.signed_in:
            return False
        if access.is_org_admin:
            return True
        return action in ROLE_ACTIONS.get(access.role_in(team) or "", frozenset())

    def user_has_permission_for_instance(
        self, who: Actor, action: Action, llm: LLMDefinition
    ) -> bool:
        """May the person do `action` to this LLM? No one changes one built into Vectara."""
        if llm.ownership == "platform":
            return action in BUILTIN_ACTIONS and access_of(who).signed_in
        return self.user_has_permission(who, action, llm.team)

    def teams_user_has_permission_for(self, who: Actor, action: Action) -> list[Team]:
        access = access_of(who)
        if not access.signed_in:
            return []
        return [t for t in access.teams if self.user_has_permission(access, action, t)]

    def instances_user_has_permission_for(
        self, who: Actor, action: Action
    ) -> QuerySet[LLMDefinition]:
        """The LLMs the person may do `action` to: for viewing, their teams' LLMs and the
        ones built into Vectara (the same for every team); for an org admin, unowned too."""
        from llmadmin.llms.models import LLMDefinition

        access = access_of(who)
        if access.is_org_admin:
            return LLMDefinition.objects.all()
        teams = [t.pk for t in self.teams_user_has_permission_for(access, action)]
        visible = Q(team__in=teams)
        if action in BUILTIN_ACTIONS and access.signed_in:
            visible |= Q(ownership="platform", team__isnull=True)
        return LLMDefinition.objects.filter(visible)

    def may_delegate(self, who: Actor, team: Team, role: str) -> bool:
        """May the person give `role` in `team` to something acting for them (a personal API
        key)? Only a role whose every action they have there themselves."""
        access = access_of(who)
        if not access.signed_in or role not in ROLE_ACTIONS:
            return False
        if access.is_org_admin:
            return True
        own = ROLE_ACTIONS.get(access.role_in(team) or "", frozenset())
        return bool(own) and ROLE_ACTIONS[role] <= own

    def roles_delegable(self, who: Actor, team: Team) -> list[str]:
        return [role for role in ROLE_ACTIONS if self.may_delegate(who, team, role)]

    def permissions_in(self, who: Actor, team: Team | None) -> dict[str, bool]:
        """Every action by name, and whether the person may do it in `team`: for templates
        (`perms.AUDIT_VIEW`)."""
        return {action.name: self.user_has_permission(who, action, team) for action in Action}

    # --- what a refusal says ---------------------------------------------------------------

    def roles_allowed(self, action: Action) -> list[str]:
        return [role for role, actions in ROLE_ACTIONS.items() if action in actions]

    def needs(self, action: Action, team: Team | None = None) -> str:
        """Who may do `action`, as a sentence for a refusal."""
        roles = self.roles_allowed(action)
        if not roles:
            return "Only an org admin can do this."
        where = f"the team {team.name}" if team else "a team"
        return f"This needs the {' or '.join(roles)} role in {where}; you don't have it."

    def refusal(self, action: Action, team: Team | None) -> str:
        """The whole refusal shown to a person: what is missing and what to do."""
        return f"{self.needs(action, team)} Ask a team admin for access."


policy = PermissionPolicy()
