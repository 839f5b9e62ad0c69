"""Give a user a role in a team, adding them if needed: `manage.py grant_role erin demo editor`."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser

from llmadmin.audit.recorder import Origin
from llmadmin.core.errors import ApplicationError
from llmadmin.teams import services
from llmadmin.teams.models import Membership, Role, Team
from llmadmin.teams.policy import SYSTEM


def team_and_user(slug: str, username: str) -> tuple[Team, Any]:
    """Both, or a one-line error naming what is missing."""
    team = Team.objects.filter(slug=slug).first()
    if team is None:
        raise CommandError(f"There is no team with the slug {slug!r}.")
    user = get_user_model().objects.filter(username=username).first()
    if user is None:
        raise CommandError(f"There is no user named {username!r}.")
    return team, user


class Command(BaseCommand):
    help = "Give USERNAME the ROLE in the team TEAM_SLUG (viewer, editor, admin or auditor)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("team_slug")
        parser.add_argument("role")

    def handle(self, *args: Any, username: str, team_slug: str, role: str, **options: Any) -> None:
        if role not in Role.values:
            raise CommandError(f"Unknown role {role!r}; use one of {', '.join(Role.values)}.")
        team, user = team_and_user(team_slug, username)
        origin = Origin.system("manage.py")
        existing = Membership.objects.filter(team=team, user=user).first()
        try:
            if existing is None:
                services.membership_add(
                    actor=SYSTEM, origin=origin, team=team, username=username, role=role
                )
            elif existing.role != role:
                services.membership_change_role(
                    actor=SYSTEM, origin=origin, team=team, membership_id=existing.pk, role=role
                )
            else:
                self.stdout.write(f"{username} is already {role} of {team.slug}; nothing changed.")
                return
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"{username} is now {role} of {team.slug}.")
