"""Actions on teams and memberships. Each service checks the permission itself, runs in a
transaction and writes exactly one audit event per call, whatever happens, so the members
page and `manage.py grant_role` behave the same.

Refusals for lack of rights (or for a forged request: another team's member, a role that
does not exist) are recorded as `access.denied` with the attempted action in the details,
like the ones the view decorator records, so one filter finds every refusal.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.text import slugify

from llmadmin.audit.recorder import Attempt, Origin, Target
from llmadmin.core.errors import ActionDenied, ApplicationError

from .models import Membership, Role, Source, Team
from .policy import Action, Actor, User, access_of, policy

__all__ = [
    "ActionDenied",
    "MembershipNotFound",
    "membership_add",
    "membership_change_role",
    "membership_remove",
    "team_create",
]


def _member_target(membership: Membership) -> Target:
    return Target("membership", str(membership.pk), f"{membership.user.get_username()}")


def _check(actor: Actor, attempt: Attempt) -> None:
    if not policy.user_has_permission(actor, Action.MEMBERS_MANAGE, attempt.team):
        raise attempt.deny(policy.refusal(Action.MEMBERS_MANAGE, attempt.team))


def _check_role(attempt: Attempt, role: str) -> None:
    if role not in Role.values:
        message = f"{role!r} is not a role. Choose one of {', '.join(Role.values)}."
        raise attempt.deny(message, role=role)


def _lock_team(team: Team) -> None:
    # Every membership change of a team waits for the previous one to commit, so two admins
    # demoting each other at the same moment can't leave the team without an admin.
    Team.objects.select_for_update().filter(pk=team.pk).first()


def _keeps_an_admin(membership: Membership, *, verb: str) -> None:
    if membership.role != Role.ADMIN:
        return
    others = (
        Membership.objects.filter(team=membership.team, role=Role.ADMIN)
        .exclude(pk=membership.pk)
        .exists()
    )
    if not others:
        raise ApplicationError(
            f"{membership.user.get_username()} is the last admin of {membership.team.name}, "
            f"so they can't be {verb}: a team must keep one admin. "
            "Make another member an admin first."
        )


def membership_add(
    *, actor: Actor, origin: Origin, team: Team, username: str, role: str
) -> Membership:
    """Add the existing user `username` to `team` with `role`."""
    attempt = Attempt(
        origin,
        "membership.add",
        team=team,
        target=Target("user", "", username[:150]),
        details={"username": username[:150], "old_role": None, "new_role": role},
    )
    _check(actor, attempt)
    _check_role(attempt, role)
    try:
        # Failures are raised inside the transaction, so it rolls back, and recorded after it.
        with transaction.atomic():
            _lock_team(team)
            user = get_user_model().objects.filter(username=username).first()
            if user is None or not user.is_active:
                raise ApplicationError(_no_active_account(actor, username, user))
            existing = Membership.objects.filter(team=team, user=user).first()
            if existing is not None:
                raise ApplicationError(
                    f"{username} is already a member of {team.name} as {existing.role}. "
                    "Change their role in the list instead."
                )
            try:
                with transaction.atomic():
                    membership = Membership.objects.create(team=team, user=user, role=role)
            except IntegrityError:
                raise ApplicationError(
                    f"{username} was added to {team.name} a moment ago."
                ) from None
            attempt.target = _member_target(membership)
            attempt.success(f"Added {username} as {role}.")
    except ApplicationError as exc:
        attempt.failure(exc.message)
        raise
    return membership


def _no_active_account(actor: Actor, username: str, user: User | None) -> str:
    # A team admin must not learn which names are accounts, deactivated or not, by trying
    # them: both get one sentence. Org admins manage the accounts, so they are told which.
    if user is not None and access_of(actor).is_org_admin:
        return f"{username}'s account is deactivated. Reactivate it before adding it to a team."
    return (
        f"No active account is named {username!r}. Check the spelling, or ask an org admin "
        "to create or reactivate the account."
    )


class MembershipNotFound(ApplicationError):
    """A membership id that is not this team's: gone, or another team's. Both are answered
    alike, so an id tells nothing about other teams."""


def _not_found(team: Team) -> MembershipNotFound:
    return MembershipNotFound(
        f"That person is not a member of {team.name}. Reload the members page to see who is."
    )


def _membership_in_team(attempt: Attempt, team: Team, membership_id: int) -> Membership:
    membership = Membership.objects.select_related("user", "team").filter(pk=membership_id).first()
    if membership is None:
        # Removed a moment ago by someone else: not forged, just stale.
        error = _not_found(team)
        attempt.failure(error.message)
        raise error
    if membership.team_id != team.pk:
        # A forged id. Filed under no team, with the ids only: this team's auditors must not
        # read another team's names, and org admins can look the id up.
        error = _not_found(team)
        Attempt(attempt.origin, attempt.action, target=attempt.target).deny(
            error.message, asked_in_team=team.pk
        )
        raise error
    attempt.target = _member_target(membership)
    if membership.source == Source.PROVIDER:
        # It would be undone at their next sign-in: the provider's groups decide it.
        from_provider = ApplicationError(
            f"{membership.user.get_username()}'s role in {team.name} comes from the provider "
            f"group {membership.provider_group}, so it is changed at the identity provider, "
            "not here."
        )
        attempt.failure(from_provider.message)
        raise from_provider
    return membership


def membership_change_role(
    *, actor: Actor, origin: Origin, team: Team, membership_id: int, role: str
) -> Membership:
    """Give the member `membership_id` of `team` the role `role`; the last admin stays one."""
    attempt = Attempt(
        origin,
        "membership.role_change",
        team=team,
        target=Target("membership", str(membership_id), ""),
    )
    _check(actor, attempt)
    membership = _membership_in_team(attempt, team, membership_id)
    _check_role(attempt, role)
    username = membership.user.get_username()
    attempt.details.update(username=username, old_role=membership.role, new_role=role)
    try:
        with transaction.atomic():
            _lock_team(team)
            current = Membership.objects.select_related("user", "team").get(pk=membership.pk)
            attempt.details["old_role"] = current.role
            if role != Role.ADMIN:
                _keeps_an_admin(current, verb="demoted")
            current.role = role
            current.save(update_fields=["role"])
            attempt.success(f"{username} is now {role} of {team.name}.")
    except ApplicationError as exc:
        attempt.failure(exc.message)
        raise
    return current


def membership_remove(
    *, actor: Actor, origin: Origin, team: Team, membership_id: int
) -> Membership:
    """Remove the member `membership_id` from `team`; the last admin can't be removed."""
    attempt = Attempt(
        origin,
        "membership.remove",
        team=team,
        target=Target("membership", str(membership_id), ""),
    )
    _check(actor, attempt)
    membership = _membership_in_team(attempt, team, membership_id)
    username = membership.user.get_username()
    attempt.details.update(username=username, old_role=membership.role, new_role=None)
    try:
        with transaction.atomic():
            _lock_team(team)
            current = (
                Membership.objects.select_related("user", "team").filter(pk=membership.pk).first()
            )
            if current is None:
                raise _not_found(team)
            attempt.details["old_role"] = current.role
            _keeps_an_admin(current, verb="removed")
            current.delete()
            attempt.success(f"Removed {username} from {team.name}.")
    except ApplicationError as exc:
        attempt.failure(exc.message)
        raise
    return current


def team_create(*, actor: Actor, origin: Origin, name: str, slug: str = "") -> Team:
    """Create a team (org admins only). `slug` defaults to one made from `name`."""
    name = name.strip()
    slug = slug.strip() or slugify(name)[:50]
    attempt = Attempt(
        origin,
        "team.create",
        target=Target("team", "", name[:255]),
        details={"name": name, "slug": slug},
    )
    if not policy.user_has_permission(actor, Action.TEAM_CREATE, None):
        raise attempt.deny(
            f"{policy.needs(Action.TEAM_CREATE)} Ask an org admin to create the team."
        )
    try:
        with transaction.atomic():
            if not name or not slug:
                raise ApplicationError("A team needs a name made of letters or digits.")
            if Team.objects.filter(Q(name__iexact=name) | Q(slug=slug)).exists():
                raise ApplicationError(
                    f"A team named {name!r} or with the slug {slug!r} already exists."
                )
            try:
                with transaction.atomic():
                    team = Team.objects.create(name=name, slug=slug)
            except IntegrityError:
                raise ApplicationError(f"A team named {name!r} was created a moment ago.") from None
            attempt.target = Target("team", str(team.pk), team.name)
            attempt.success(f"Created the team {team.name}.")
    except ApplicationError as exc:
        attempt.failure(exc.message)
        raise
    return team
