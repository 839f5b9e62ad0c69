"""Signing in with the identity provider once its ID token is verified (views.py), and making
the person's team roles what their groups say now.

Each change of a membership or of org-admin rights is one audit event naming the group that
caused it, under the same actions as changes made by hand (`membership.add`, ...), with
`"source": "provider"` in the details, so one filter finds every change of a person's access.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from llmadmin.audit.models import Outcome
from llmadmin.audit.recorder import Origin, Target, record
from llmadmin.core.errors import ApplicationError
from llmadmin.teams.models import Membership, Source, Team

from . import mapping
from .client import Config
from .models import ProviderIdentity


class SignInRefused(ApplicationError):
    """The provider vouched for someone we won't sign in; `reason` goes to the audit log."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class SignedIn:
    user: User
    created: bool
    # Said to the person when their groups gave them nothing, or were not sent at all.
    notice: str = ""


def _groups(claims: dict[str, Any], config: Config) -> list[str] | None:
    """The person's groups as the provider sent them, or None when the claim is missing."""
    value = claims.get(config.groups_claim)
    if value is None:
        return None
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [str(g) for g in value]
    return None


def _username_for(claims: dict[str, Any]) -> str:
    email = str(claims.get("email") or "").strip()
    return (email or str(claims["sub"]))[:150]


def _origin_as(origin: Origin, user: User) -> Origin:
    # The callback runs before the person is logged in: the events are theirs all the same.
    return Origin(
        actor_id=user.pk,
        actor_username=user.get_username(),
        source_ip=origin.source_ip,
        user_agent=origin.user_agent,
        request_id=origin.request_id,
    )


def _find_or_create(claims: dict[str, Any], config: Config, origin: Origin) -> tuple[Any, bool]:
    User = get_user_model()
    subject = str(claims["sub"])
    identity = (
        ProviderIdentity.objects.select_related("user")
        .filter(issuer=config.issuer, subject=subject)
        .first()
    )
    if identity is not None:
        return identity, False
    username = _username_for(claims)
    email = str(claims.get("email") or "").strip()
    clash = Q(username__iexact=username) | (Q(email__iexact=email) if email else Q(pk__in=[]))
    existing = User.objects.filter(clash).first()
    if existing is not None and ProviderIdentity.objects.filter(user=existing).exists():
        # The provider gave the email to someone new (a reused address): not theirs to inherit.
        raise SignInRefused(
            f"The account {existing.get_username()} with this email belongs to another person "
            f"at {config.name}, so a new one can't take its name. Ask an org admin.",
            reason="email_of_another_subject",
        )
    if existing is not None:
        # Never merged silently: whoever controls that email at the provider would take over
        # the local account and its roles.
        raise SignInRefused(
            f"An account named {existing.get_username()} with this email already exists in "
            f"llmadmin and is not linked to {config.name}, so it was not merged. Ask an org "
            "admin to link the two (manage.py sso_link) or to rename the local account.",
            reason="email_collision",
        )
    try:
        with transaction.atomic():
            user = User.objects.create(username=username, email=email)
            user.set_unusable_password()  # they sign in at the provider, never with a password
            user.save(update_fields=["password"])
            identity = ProviderIdentity.objects.create(
                user=user, issuer=config.issuer, subject=subject
            )
            record(
                origin=_origin_as(origin, user),
                action="sso.account_create",
                outcome=Outcome.SUCCESS,
                target=Target("user", str(user.pk), username),
                message=f"Created the account {username} for its first sign-in with {config.name}.",
                details={"subject": subject, "issuer": config.issuer},
            )
    except IntegrityError:
        raise SignInRefused(
            "You were signing in in another window at the same moment. Try again.",
            reason="concurrent_first_sign_in",
        ) from None
    return identity, True


def sign_in(*, claims: dict[str, Any], config: Config, origin: Origin) -> SignedIn:
    """The account for the verified `claims`, its roles rewritten from its groups now."""
    identity, created = _find_or_create(claims, config, origin)
    user = identity.user
    if not user.is_active:
        raise SignInRefused(
            f"Your llmadmin account {user.get_username()} is deactivated. Ask an org admin.",
            reason="account_deactivated",
        )
    groups = _groups(claims, config)
    as_them = _origin_as(origin, user)
    try:
        with transaction.atomic():
            sync_roles(identity=identity, groups=groups or [], origin=as_them)
            identity.last_sign_in = timezone.now()
            identity.save(update_fields=["last_sign_in"])
    except IntegrityError:
        raise SignInRefused(
            "You were signing in in another window at the same moment. Try again.",
            reason="concurrent_sign_in",
        ) from None
    notice = ""
    if groups is None:
        notice = _no_groups_sentence(claims, config)
        record(
            origin=as_them,
            action="sso.groups_missing",
            outcome=Outcome.FAILURE,
            target=Target("user", str(user.pk), user.get_username()),
            message=notice,
            details={"claim": config.groups_claim},
        )
    elif not user.memberships.exists() and not user.is_superuser:
        notice = f"None of your groups at {config.name} gives a role in llmadmin yet."
    return SignedIn(user=user, created=created, notice=notice)


def _no_groups_sentence(claims: dict[str, Any], config: Config) -> str:
    claim = config.groups_claim
    if claim in (claims.get("_claim_names") or {}):
        # Entra ID's "overage": past a size limit it sends a pointer instead of the groups.
        return (
            f"{config.name} left your groups out of the sign-in because there are too many "
            f"to send, so you have no role in any team from it. Ask your identity provider's "
            "admins to send only the groups assigned to llmadmin."
        )
    return (
        f"{config.name} sent no {claim!r} claim, so you have no role in any team from it. "
        "Ask your identity provider's admins to send your groups."
    )


def sync_roles(*, identity: ProviderIdentity, groups: list[str], origin: Origin) -> None:
    """Replace the person's provider-granted memberships and org-admin rights with what
    `groups` give now. Memberships granted by hand are left as they are, unless a group now
    gives a role in the same team: then the provider's decides."""
    user = identity.user
    grants, admin_group = mapping.resolve(settings.LLMADMIN_OIDC_GROUP_ROLES, groups)
    teams = {t.slug: t for t in Team.objects.filter(slug__in=grants)}
    held = {m.team.slug: m for m in Membership.objects.filter(user=user).select_related("team")}
    for slug, grant in grants.items():
        team = teams.get(slug)
        if team is None:
            continue  # a rule naming a team that doesn't exist (yet): shown on the mapping page
        current = held.get(slug)
        if current is None:
            created = Membership.objects.create(
                user=user,
                team=team,
                role=grant.role,
                source=Source.PROVIDER,
                provider_group=grant.group,
            )
            _membership_event(origin, "membership.add", created, None, grant.group)
        elif (current.role, current.source, current.provider_group) != (
            grant.role,
            Source.PROVIDER,
            grant.group,
        ):
            old_role = current.role
            current.role, current.source, current.provider_group = (
                grant.role,
                Source.PROVIDER,
                grant.group,
            )
            current.save(update_fields=["role", "source", "provider_group"])
            _membership_event(origin, "membership.role_change", current, old_role, grant.group)
    for slug, current in held.items():
        if current.source == Source.PROVIDER and slug not in grants:
            _membership_event(
                origin, "membership.remove", current, current.role, current.provider_group
            )
            current.delete()
    _sync_org_admin(identity, admin_group, origin)


def _membership_event(
    origin: Origin, action: str, membership: Membership, old_role: str | None, group: str
) -> None:
    username = membership.user.get_username()
    team = membership.team
    new_role = None if action == "membership.remove" else membership.role
    if new_role is None:
        message = f"{username} left {team.name}: no longer in the provider group {group}."
    elif old_role is None:
        message = f"{username} joined {team.name} as {new_role} through the provider group {group}."
    else:
        message = f"{username} is now {new_role} of {team.name} through the provider group {group}."
    record(
        origin=origin,
        action=action,
        outcome=Outcome.SUCCESS,
        team=team,
        target=Target("membership", str(membership.pk or ""), username),
        message=message,
        details={
            "username": username,
            "old_role": old_role,
            "new_role": new_role,
            "source": Source.PROVIDER.value,
            "group": group,
        },
    )


def _sync_org_admin(identity: ProviderIdentity, admin_group: str | None, origin: Origin) -> None:
    user = identity.user
    if bool(user.is_superuser) == bool(admin_group) and (
        not admin_group or identity.org_admin_group == admin_group
    ):
        return
    was = user.is_superuser
    group = admin_group or identity.org_admin_group
    user.is_superuser = bool(admin_group)
    user.save(update_fields=["is_superuser"])
    identity.org_admin_group = admin_group or ""
    identity.save(update_fields=["org_admin_group"])
    if was == user.is_superuser:
        return  # only the group that grants it changed
    verb = "is now an org admin through" if admin_group else "is no longer an org admin: not in"
    record(
        origin=origin,
        action="sso.org_admin_grant" if admin_group else "sso.org_admin_revoke",
        outcome=Outcome.SUCCESS,
        target=Target("user", str(user.pk), user.get_username()),
        message=f"{user.get_username()} {verb} the provider group {group}.",
        details={"username": user.get_username(), "source": "provider", "group": group},
    )


def link_account(*, origin: Origin, config: Config, username: str, subject: str) -> User:
    """Link the local account `username` to the provider's `subject`, so that person signs in
    to it from now on, with the provider's roles. Its password stops working: from now on
    leaving the provider must end its access."""
    User = get_user_model()
    user = User.objects.filter(username=username).first()
    if user is None:
        raise ApplicationError(f"There is no account named {username!r}.")
    if ProviderIdentity.objects.filter(user=user).exists():
        raise ApplicationError(f"{username} is already linked to an identity at the provider.")
    if ProviderIdentity.objects.filter(issuer=config.issuer, subject=subject).exists():
        raise ApplicationError(f"The subject {subject!r} is already linked to another account.")
    with transaction.atomic():
        ProviderIdentity.objects.create(user=user, issuer=config.issuer, subject=subject)
        user.set_unusable_password()
        user.save(update_fields=["password"])
        record(
            origin=origin,
            action="sso.link",
            outcome=Outcome.SUCCESS,
            target=Target("user", str(user.pk), username),
            message=f"Linked {username} to the subject {subject} at {config.name}.",
            details={"subject": subject, "issuer": config.issuer},
        )
    return user
