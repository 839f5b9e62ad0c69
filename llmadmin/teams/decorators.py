from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from llmadmin.audit.models import Outcome
from llmadmin.audit.recorder import Origin, record

from .permissions import Action, can, roles_allowed
from .selectors import team_current

View = Callable[..., HttpResponse]


def team_action_required(action: Action) -> Callable[[View], View]:
    """Let the view run only for people whose role in their current team allows `action`.

    The view finds that team on `request.team`. A refusal answers 403 with a sentence naming
    the role needed, and is recorded as an `access.denied` audit event.
    """

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            team = team_current(request)
            if not can(request.user, action, team):
                roles = " or ".join(roles_allowed(action))
                message = (
                    f"This page needs the {roles} role in a team; you don't have it. "
                    "Ask a team admin for access."
                )
                record(
                    origin=Origin.from_request(request),
                    action="access.denied",
                    outcome=Outcome.DENIED,
                    team=team,
                    message=message,
                    details={"action": str(action), "path": request.path[:500]},
                )
                raise PermissionDenied(message)
            request.team = team  # type: ignore[attr-defined]
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
