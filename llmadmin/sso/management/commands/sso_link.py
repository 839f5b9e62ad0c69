"""Link a local account to a person at the identity provider: `manage.py sso_link dave 00u1ab`.

A sign-in whose email matches a local account is refused rather than merged; an org admin
who knows both are the same person links them here.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from llmadmin.audit.recorder import Origin
from llmadmin.core.errors import ApplicationError
from llmadmin.sso.client import Config
from llmadmin.sso.services import link_account


class Command(BaseCommand):
    help = "Link the account USERNAME to SUBJECT (the provider's `sub`) at the configured issuer."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("subject")

    def handle(self, *args: Any, username: str, subject: str, **options: Any) -> None:
        config = Config.current()
        if config is None:
            raise CommandError("No identity provider is set up (LLMADMIN_OIDC_ISSUER is empty).")
        try:
            link_account(
                origin=Origin.system("manage.py"), config=config, username=username, subject=subject
            )
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"{username} now signs in with {config.name} as {subject}.")
