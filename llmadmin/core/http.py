"""The request our views see: Django's, plus what our middleware and decorators add."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from llmadmin.teams.models import Team
    from llmadmin.teams.policy import Access


class AppRequest(HttpRequest):
    """For annotations only: no request is ever an instance of it.

    `htmx` comes from django-htmx's middleware, `request_id` from `RequestIdMiddleware`,
    `access` from `AccessMiddleware` and `team` from `team_action_required` (views without
    that decorator have no `team`).
    """

    access: Access
    htmx: HtmxDetails
    team: Team | None
    request_id: str


def wants_fragment(request: AppRequest) -> bool:
    """Whether htmx asked for part of a page: not when it restores history it no longer has
    in its cache, which needs the whole page."""
    htmx = request.htmx
    return bool(htmx) and not htmx.history_restore_request
