"""Actions on teams and memberships. Each service checks the permission itself, runs in a
transaction and writes exactly one audit event per call, whatever happens, so the members
page and `manage.py grant_role` behave the same.

Refusals for lack of rights (or for a forged request: another team's member, a role that
does not exist) are recorded as `access.denied` with the attempted action in the details,
like the ones the view decorator records, so one filter finds every refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.text import slugify

from llmadmin.audit.models import Outcome
from llmadmin.audit.recorder import Origin, Target, record
from llmadmin.core.errors import ActionDenied, ApplicationError

from .models import Membership, Role, Team
from .permissions import Action, User, can, needs_sentence


class _Refused(ApplicationError):
    """Raised inside the transaction so it rolls back; recorded as a failure outside it."""


def _member_target(membership: Membership) -> Target:
    return Target("membership", str(membership.pk), f"{membership.user.get_username()}")


def _attempt(
    *,
    origin: Origin,
    action: str,
    team: Team | None,
    target: Target,
    details: dict[str, Any],
    work: Callable[[], tuple[Any, Target, str]],
) -> Any:
    """Run `work` in a transaction and record one event: success inside the transaction (so
    it commits with the change), failure outside it (so the rollback keeps it)."""
    try:
        with transaction.atomic():
            result, target, message = work()
            record(
                origin=origin,
                action=action,
                outcome=Outcome.SUCCESS,
                team=team,
                target=target,
                message=message,
                details=details,
            )
    except ApplicationError as exc:
        record(
            origin=origin,
            action=action,
            outcome=Outcome.FAILURE,
            team=team,
            target=target,
            message=exc.message,
            details=details,
        )
        raise
    return result


def _deny(
    *, origin: Origin, action: str, team: Team | None, target: Target, message: str, **details: Any
) -> ActionDenied:
    record(
        origin=origin,
        action="access.denied",
        outcome=Outcome.DENIED,
        team=team,
        target=target,
        message=message,
        details={"action": action, **details},
    )
    return ActionDenied(message)


def _check(*, actor: User, origin: Origin, action: str, team: Team, target: Target) -> None:
    if not can(actor, Action.MEMBERS_MANAGE, team):
        message = f"{needs_sentence(Action.MEMBERS_MANAGE, team)} Ask a team admin for access."
        raise _deny(origin=origin, action=action, team=team, target=target, message=message)


def _check_role(*, origin: Origin, action: str, team: Team, target: Target, role: str) -> None:
    if role not in Role.values:
        message = f"{role!r} is not a role. Choose one of {', '.join(Role.values)}."
        raise _deny(
            origin=origin, action=action, team=team, target=target, message=message, role=role
        )


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
        raise _Refused(
            f"{membership.user.get_username()} is the last admin of {membership.team.name}, "
            f"so they can't be {verb}: a team must keep one admin. "
            "Make another member an admin first."
        )


def membership_add(
    *, actor: User, origin: Origin, team: Team, username: str, role: str
) -> Membership:
    """Add the existing user `username` to `team` with `role`."""
    action = "membership.add"
    target = Target("user", "", username[:150])
    details = {"username": username[:150], "old_role": None, "new_role": role}
    _check(actor=actor, origin=origin, action=action, team=team, target=target)
    _check_role(origin=origin, action=action, team=team, target=target, role=role)

    def work() -> tuple[Membership, Target, str]:
        _lock_team(team)
        user = get_user_model().objects.filter(username=username).first()
        if user is None:
            raise _Refused(
                f"There is no user named {username!r}. Check the spelling, or ask an org admin "
                "to create the account first."
            )
        existing = Membership.objects.filter(team=team, user=user).first()
        if existing is not None:
            raise _Refused(
                f"{username} is already a member of {team.name} as {existing.role}. "
                "Change their role in the list instead."
            )
        try:
            with transaction.atomic():
                membership = Membership.objects.create(team=team, user=user, role=role)
        except IntegrityError:
            raise _Refused(f"{username} was added to {team.name} a moment ago.") from None
        return membership, _member_target(membership), f"Added {username} as {role}."

    return _attempt(
        origin=origin, action=action, team=team, target=target, details=details, work=work
    )


def _membership_in_team(
    *, origin: Origin, action: str, team: Team, membership_id: int, target: Target
) -> Membership:
    membership = Membership.objects.select_related("user", "team").filter(pk=membership_id).first()
    if membership is None:
        # Removed a moment ago by someone else: not forged, just stale.
        message = "That person is no longer a member of this team. Reload the page."
        record(
            origin=origin,
            action=action,
            outcome=Outcome.FAILURE,
            team=team,
            target=target,
            message=message,
        )
        raise ApplicationError(message)
    if membership.team_id != team.pk:
        raise _deny(
            origin=origin,
            action=action,
            team=team,
            target=target,
            message=f"That person is not a member of {team.name}. Nothing was changed.",
            membership_team=membership.team.slug,
        )
    return membership


def membership_change_role(
    *, actor: User, origin: Origin, team: Team, membership_id: int, role: str
) -> Membership:
    """Give the member `membership_id` of `team` the role `role`; the last admin stays one."""
    action = "membership.role_change"
    target = Target("membership", str(membership_id), "")
    _check(actor=actor, origin=origin, action=action, team=team, target=target)
    membership = _membership_in_team(
        origin=origin, action=action, team=team, membership_id=membership_id, target=target
    )
    target = _member_target(membership)
    _check_role(origin=origin, action=action, team=team, target=target, role=role)
    details = {"username": membership.user.get_username(), "old_role": membership.role}

    def work() -> tuple[Membership, Target, str]:
        _lock_team(team)
        current = Membership.objects.select_related("user", "team").get(pk=membership.pk)
        details.update(old_role=current.role, new_role=role)
        if role != Role.ADMIN:
            _keeps_an_admin(current, verb="demoted")
        current.role = role
        current.save(update_fields=["role"])
        return current, target, f"{details['username']} is now {role} of {team.name}."

    details["new_role"] = role
    return _attempt(
        origin=origin, action=action, team=team, target=target, details=details, work=work
    )


def membership_remove(*, actor: User, origin: Origin, team: Team, membership_id: int) -> Membership:
    """Remove the member `membership_id` from `team`; the last admin can't be removed."""
    action = "membership.remove"
    target = Target("membership", str(membership_id), "")
    _check(actor=actor, origin=origin, action=action, team=team, target=target)
    membership = _membership_in_team(
        origin=origin, action=action, team=team, membership_id=membership_id, target=target
    )
    target = _member_target(membership)
    details = {
        "username": membership.user.get_username(),
        "old_role": membership.role,
        "new_role": None,
    }

    def work() -> tuple[Membership, Target, str]:
        _lock_team(team)
        current = Membership.objects.select_related("user", "team").filter(pk=membership.pk).first()
        if current is None:
            raise _Refused("That person is no longer a member of this team. Reload the page.")
        details["old_role"] = current.role
        _keeps_an_admin(current, verb="removed")
        current.delete()
        return current, target, f"Removed {details['username']} from {team.name}."

    return _attempt(
        origin=origin, action=action, team=team, target=target, details=details, work=work
    )


def team_create(*, actor: User, origin: Origin, name: str, slug: str = "") -> Team:
    """Create a team (org admins only). `slug` defaults to one made from `name`."""
    action = "team.create"
    name = name.strip()
    slug = slug.strip() or slugify(name)[:50]
    target = Target("team", "", name[:255])
    details = {"name": name, "slug": slug}
    if not can(actor, Action.TEAM_CREATE, None):
        raise _deny(
            origin=origin,
            action=action,
            team=None,
            target=target,
            message=f"{needs_sentence(Action.TEAM_CREATE)} Ask an org admin to create the team.",
        )

    def work() -> tuple[Team, Target, str]:
        if not name or not slug:
            raise _Refused("A team needs a name made of letters or digits.")
        if Team.objects.filter(Q(name__iexact=name) | Q(slug=slug)).exists():
            raise _Refused(f"A team named {name!r} or with the slug {slug!r} already exists.")
        try:
            with transaction.atomic():
                team = Team.objects.create(name=name, slug=slug)
        except IntegrityError:
            raise _Refused(f"A team named {name!r} was created a moment ago.") from None
        return team, Target("team", str(team.pk), team.name), f"Created the team {team.name}."

    return _attempt(
        origin=origin, action=action, team=None, target=target, details=details, work=work
    )
