from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.http.response import HttpResponseBase

from llmadmin.audit.recorder import Attempt, Origin, Target
from llmadmin.core.http import AppRequest

from .models import Team
from .policy import Action, policy

# HttpResponseBase: a view may stream (the audit export).
View = Callable[..., HttpResponseBase]


def deny(
    request: HttpRequest,
    *,
    action: Action | str,
    team: Team | None,
    message: str,
    target: Target | None = None,
    details: dict[str, Any] | None = None,
) -> PermissionDenied:
    """Record one `access.denied` event and give the 403 to raise; the 403 page shows
    `message`, so it must say what is missing and what to do."""
    attempt = Attempt(Origin.from_request(request), action, team=team, target=target)
    attempt.deny(message, path=request.path[:500], **(details or {}))
    return PermissionDenied(message)


def team_action_required(
    action: Action, *, slug_kwarg: str | None = None, in_any_team: bool = False
) -> Callable[[View], View]:
    """Let the view run only for people whose role in the team allows `action`.

    The team is the person's current one, or with `slug_kwarg` the one named in the URL;
    a team the person is not in answers 404, so a slug does not tell whether it exists.
    With `in_any_team`, a role allowing `action` in any of their teams is enough: for the
    helpers of a form whose own team is checked when it is saved (the edit form of an LLM
    in another team than the current one).
    The view finds the team on `request.team`. A refusal answers 403 with a sentence naming
    the role needed, and is recorded as an `access.denied` audit event.
    """

    def decorator(view: View) -> View:
        @login_required
        @wraps(view)
        def wrapper(request: AppRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            access = request.access
            if slug_kwarg:
                slug = kwargs[slug_kwarg]
                team = next((t for t in access.teams if t.slug == slug), None)
                if team is None:
                    raise Http404("No such team, or you are not in it.")
            else:
                team = access.team
            if in_any_team and not policy.user_has_permission(access, action, team):
                allowed = policy.teams_user_has_permission_for(access, action)
                team = allowed[0] if allowed else team
            if not policy.user_has_permission(access, action, team):
                raise deny(request, action=action, team=team, message=policy.refusal(action, team))
            request.team = team
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
