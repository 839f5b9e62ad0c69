"""Which provider group gives which role in which team, and which makes an org admin.

Read once at start-up from LLMADMIN_OIDC_GROUP_ROLES (JSON) or the file named by
LLMADMIN_OIDC_GROUP_ROLES_FILE: a list of rules such as

    [{"group": "llm-admins", "org_admin": true},
     {"group": "platform-eng", "team": "platform", "role": "editor"}]

Plain Python, no models: settings.py parses it so a bad mapping stops the start-up in one line.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

# When several of a person's groups name the same team, the strongest role wins. An admin can
# do all an auditor can; an editor changes LLMs, which an auditor can't.
ROLE_STRENGTH = ("admin", "editor", "auditor", "viewer")


@dataclass(frozen=True)
class Rule:
    group: str
    team: str = ""  # a team's slug
    role: str = ""
    org_admin: bool = False


@dataclass(frozen=True)
class Grant:
    """What a person's groups give: a role in a team, and the group that gave it."""

    team: str
    role: str
    group: str


def parse(text: str, *, source: str) -> tuple[Rule, ...]:
    """The rules in `text`, or ImproperlyConfigured naming `source` and what is wrong."""
    if not text.strip():
        return ()
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ImproperlyConfigured(f"{source} is not valid JSON ({exc}).") from None
    if not isinstance(data, list):
        raise ImproperlyConfigured(f"{source} must be a JSON list of rules.")
    return tuple(_rule(item, n, source) for n, item in enumerate(data, start=1))


def _rule(item: object, n: int, source: str) -> Rule:
    where = f"{source}, rule {n}"
    if not isinstance(item, dict) or not isinstance(item.get("group"), str) or not item["group"]:
        raise ImproperlyConfigured(f'{where} needs a "group" naming a provider group.')
    unknown = set(item) - {"group", "team", "role", "org_admin"}
    if unknown:
        raise ImproperlyConfigured(f"{where} has unknown keys: {', '.join(sorted(unknown))}.")
    if item.get("org_admin") is True and not ({"team", "role"} & set(item)):
        return Rule(group=item["group"], org_admin=True)
    team, role = item.get("team"), item.get("role")
    if not isinstance(team, str) or not team or role not in ROLE_STRENGTH:
        raise ImproperlyConfigured(
            f'{where} needs either "org_admin": true, or a "team" slug and a "role" '
            f"({', '.join(ROLE_STRENGTH)})."
        )
    return Rule(group=item["group"], team=team, role=role)


def load(env_value: str, file_path: str) -> tuple[Rule, ...]:
    if env_value and file_path:
        raise ImproperlyConfigured(
            "Set LLMADMIN_OIDC_GROUP_ROLES or LLMADMIN_OIDC_GROUP_ROLES_FILE, not both."
        )
    if file_path:
        try:
            text = Path(file_path).read_text(encoding="utf-8")
        except OSError as exc:
            raise ImproperlyConfigured(
                f"LLMADMIN_OIDC_GROUP_ROLES_FILE can't be read ({exc.strerror})."
            ) from None
        return parse(text, source="LLMADMIN_OIDC_GROUP_ROLES_FILE")
    return parse(env_value, source="LLMADMIN_OIDC_GROUP_ROLES")


def resolve(rules: tuple[Rule, ...], groups: list[str]) -> tuple[dict[str, Grant], str | None]:
    """Team slug → the grant the person's groups give there, and the group that makes them an
    org admin (None if none does)."""
    member_of = set(groups)
    grants: dict[str, Grant] = {}
    org_admin_group = None
    for rule in rules:
        if rule.group not in member_of:
            continue
        if rule.org_admin:
            org_admin_group = org_admin_group or rule.group
            continue
        held = grants.get(rule.team)
        if held is None or ROLE_STRENGTH.index(rule.role) < ROLE_STRENGTH.index(held.role):
            grants[rule.team] = Grant(team=rule.team, role=rule.role, group=rule.group)
    return grants, org_admin_group
