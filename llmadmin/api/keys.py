"""Personal API keys: making, revoking and checking them, each with its audit event.

A key reads `lla_<prefix>_<secret>`. The prefix (8 random hex characters) finds the row and
names the key in the audit log; the whole key is compared by its SHA-256 in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, replace
from datetime import timedelta
from functools import cached_property

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from llmadmin.audit.models import Outcome
from llmadmin.audit.recorder import Attempt, Origin, Target, refuse
from llmadmin.teams.models import Team
from llmadmin.teams.policy import Access, Action, Actor, access_of, policy, user_of

from .models import APIKey

DEFAULT_DAYS = 90
MAX_DAYS = 365
_FORMAT = re.compile(r"lla_([0-9a-f]{8})_[A-Za-z0-9_-]{43}")
# last_used_at is written at most this often per key: not one UPDATE per call.
_LAST_USED_PRECISION = timedelta(minutes=1)


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def _target(key: APIKey) -> Target:
    return Target("apikey", str(key.pk or ""), f"{key.name} ({key.prefix}…)")


class KeyAccess(Access):
    """What a request made with a key may do: the key's role in the key's team, and only
    while its owner still holds at least that role there. Never an org admin's reach."""

    def __init__(self, key: APIKey) -> None:
        super().__init__(key.owner, chosen_team_id=key.team_id)
        self.key = key

    @property
    def is_org_admin(self) -> bool:
        return False

    @cached_property
    def roles(self) -> dict[int, str]:
        owner_still_may = policy.may_delegate(Access(self.user), self.key.team, self.key.role)
        return {self.key.team_id: self.key.role} if owner_still_may else {}

    @cached_property
    def teams(self) -> list[Team]:
        return [self.key.team]


@sensitive_variables("raw")
def key_create(
    *, actor: Actor, origin: Origin, name: str, team: Team, role: str, days: int = DEFAULT_DAYS
) -> tuple[APIKey, str]:
    """A new key and the only copy of its secret, to show once. Its role may be no higher
    than the person's own in the team."""
    prefix = secrets.token_hex(4)
    raw = f"lla_{prefix}_{secrets.token_urlsafe(32)}"
    expires_at = timezone.now() + timedelta(days=days)
    owner = user_of(actor)
    assert isinstance(owner, User)  # a person makes a key, never the system actor
    key = APIKey(
        name=name,
        owner=owner,
        team=team,
        role=role,
        prefix=prefix,
        key_hash=_digest(raw),
        expires_at=expires_at,
    )
    attempt = Attempt(
        origin,
        "apikey.create",
        team=team,
        target=_target(key),
        details={"role": role, "expires_at": expires_at, "api_key": prefix},
    )
    if not policy.may_delegate(actor, team, role):
        raise attempt.deny(
            f"You can't give a key the {role} role in {team.name}: a key may have your own "
            "role there or a lower one."
        )
    if not 1 <= days <= MAX_DAYS:
        raise attempt.deny(f"A key must expire within 1 to {MAX_DAYS} days.")
    with transaction.atomic():
        key.save()
        attempt.target = _target(key)
        attempt.success(f"Created the API key {key.name} ({prefix}…) with the {role} role.")
    return key, raw


def key_revoke(*, actor: Actor, origin: Origin, key: APIKey) -> None:
    attempt = Attempt(
        origin, "apikey.revoke", team=key.team, target=_target(key), details={"api_key": key.prefix}
    )
    if not may_revoke(actor, key):
        raise attempt.deny(policy.refusal(Action.MEMBERS_MANAGE, key.team))
    with transaction.atomic():
        revoked = APIKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(
            revoked_at=timezone.now()
        )
        if revoked:  # a second click finds it revoked already: nothing happened
            attempt.success(f"Revoked the API key {key.name} ({key.prefix}…).")
    key.refresh_from_db()


def may_revoke(actor: Actor, key: APIKey) -> bool:
    """Its owner, and whoever manages the members of its team."""
    return user_of(actor).pk == key.owner_id or policy.user_has_permission(
        actor, Action.MEMBERS_MANAGE, key.team
    )


def keys_visible(actor: Actor) -> QuerySet[APIKey]:
    """The person's own keys, and every key of the teams whose members they manage."""
    access = access_of(actor)
    managed = [t.pk for t in policy.teams_user_has_permission_for(access, Action.MEMBERS_MANAGE)]
    return (
        APIKey.objects.filter(Q(owner_id=access.user.pk) | Q(team_id__in=managed))
        .select_related("owner", "team")
        .order_by("-created_at", "-id")
    )


# --- checking a key on each call -------------------------------------------------------------


class KeyRefused(Exception):
    """`status` 401 (no usable key) or 403 (the owner no longer holds the key's role)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


MISSING = "Send your llmadmin API key in the x-api-key header (or as a bearer token)."
INVALID = "This API key is not valid: check that it was copied whole, or create a new one."
EXPIRED = "This API key expired on {date}. Create a new one on your API keys page."
REVOKED = "This API key was revoked. Create a new one on your API keys page."
ROLE_LOST = (
    "The owner of this API key no longer holds the {role} role in the team {team}, so the key "
    "can't be used. Ask a team admin for the role, or create a key with your current role."
)


@dataclass(frozen=True)
class Authenticated:
    key: APIKey
    access: KeyAccess
    origin: Origin


@sensitive_variables("raw")
def authenticate(raw: str | None, origin: Origin) -> Authenticated:
    """The key a request names and what it may do, or KeyRefused. Every refusal is an
    `apikey.use` event (repeats coalesced); the first use of a key is one too."""
    if not raw:
        raise _refused(origin, 401, MISSING, "missing")
    match = _FORMAT.fullmatch(raw)
    if match is None:
        raise _refused(origin, 401, INVALID, "malformed")
    prefix = match.group(1)
    key = APIKey.objects.select_related("owner", "team").filter(prefix=prefix).first()
    if key is None or not hmac.compare_digest(key.key_hash, _digest(raw)):
        raise _refused(origin, 401, INVALID, "unknown", prefix=prefix)
    owner = key.owner
    origin = replace(
        origin,
        actor_id=owner.pk,
        actor_username=owner.get_username(),
        via="api",
        key_prefix=prefix,
    )
    if key.revoked_at is not None:
        raise _refused(origin, 401, REVOKED, "revoked", key=key)
    if key.expires_at <= timezone.now():
        raise _refused(
            origin, 401, EXPIRED.format(date=f"{key.expires_at:%Y-%m-%d}"), "expired", key=key
        )
    if not owner.is_active:
        raise _refused(origin, 401, INVALID, "owner inactive", key=key)
    access = KeyAccess(key)
    if key.team_id not in access.roles:
        message = ROLE_LOST.format(role=key.role, team=key.team.name)
        raise _refused(origin, 403, message, "role lost", key=key)
    _mark_used(key, origin)
    return Authenticated(key=key, access=access, origin=origin)


def _mark_used(key: APIKey, origin: Origin) -> None:
    now = timezone.now()
    keys = APIKey.objects.filter(pk=key.pk)
    with transaction.atomic():
        # Only one request can turn NULL into a time: that one writes the first-use event.
        if keys.filter(last_used_at__isnull=True).update(last_used_at=now):
            Attempt(origin, "apikey.first_use", team=key.team, target=_target(key)).success(
                f"The API key {key.name} ({key.prefix}…) was used for the first time."
            )
            return
    keys.filter(last_used_at__lt=now - _LAST_USED_PRECISION).update(last_used_at=now)


def _refused(
    origin: Origin,
    status: int,
    message: str,
    reason: str,
    *,
    prefix: str = "",
    key: APIKey | None = None,
) -> KeyRefused:
    refuse(
        origin=origin,
        action="apikey.use",
        outcome=Outcome.DENIED,
        team=key.team if key else None,
        target=_target(key) if key else None,
        message=message,
        details={"reason": reason, "api_key": key.prefix if key else prefix},
        same_as=(reason, key.prefix if key else prefix),
    )
    return KeyRefused(status, message)
