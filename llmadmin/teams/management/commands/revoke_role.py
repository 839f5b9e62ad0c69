"""Remove a user from a team: `manage.py revoke_role erin demo`."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from llmadmin.audit.recorder import Origin
from llmadmin.core.errors import ApplicationError
from llmadmin.teams import services
from llmadmin.teams.models import Membership
from llmadmin.teams.policy import SYSTEM

from .grant_role import team_and_user


class Command(BaseCommand):
    help = "Remove USERNAME from the team TEAM_SLUG (the team's last admin can't be removed)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("team_slug")

    def handle(self, *args: Any, username: str, team_slug: str, **options: Any) -> None:
        team, user = team_and_user(team_slug, username)
        membership = Membership.objects.filter(team=team, user=user).first()
        if membership is None:
            raise CommandError(f"{username} is not a member of {team.slug}; nothing to revoke.")
        try:
            services.membership_remove(
                actor=SYSTEM,
                origin=Origin.system("manage.py"),
                team=team,
                membership_id=membership.pk,
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"{username} is no longer a member of {team.slug}.")
