"""Create the demo team and one user per role. Safe to run again: nothing is duplicated."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import transaction

from llmadmin.teams.models import Membership, Role, Team

DEMO_ROLES = {
    "viewer": Role.VIEWER,
    "editor": Role.EDITOR,
    "admin": Role.ADMIN,
    "auditor": Role.AUDITOR,
}


def demo_password() -> str:
    """LLMADMIN_DEMO_PASSWORD, else one generated once and kept in var/ (git-ignored), so
    running `make run` again does not change the password under a logged-in user."""
    if password := os.environ.get("LLMADMIN_DEMO_PASSWORD"):
        return password
    path = Path(settings.BASE_DIR) / "var" / "demo-password"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(12)
    path.write_text(password + "\n")
    path.chmod(0o600)
    return password


class Command(BaseCommand):
    help = "Create the demo team with users viewer, editor, admin, auditor and superuser root."

    def handle(self, *args: Any, **options: Any) -> None:
        password = demo_password()
        User = get_user_model()
        with transaction.atomic():
            team, _ = Team.objects.get_or_create(slug="demo", defaults={"name": "Demo"})
            for username, role in DEMO_ROLES.items():
                user = self._user(User, username, password)
                Membership.objects.update_or_create(user=user, team=team, defaults={"role": role})
            root = self._user(User, "root", password)
            root.is_superuser = root.is_staff = True
            root.save(update_fields=["is_superuser", "is_staff"])
        self.stdout.write(
            f"Demo team '{team.slug}': users viewer, editor, admin, auditor and superuser root, "
            f"password: {password}"
        )

    @staticmethod
    def _user(User: Any, username: str, password: str) -> Any:
        user, _ = User.objects.get_or_create(username=username)
        if not user.check_password(password):
            user.set_password(password)
            user.save(update_fields=["password"])
        return user
