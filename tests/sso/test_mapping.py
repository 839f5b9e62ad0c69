from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from llmadmin.sso import mapping
from tests.sso.conftest import RULES


def test_the_strongest_role_wins_and_unmapped_groups_give_nothing():
    grants, admin = mapping.resolve(RULES, ["security", "platform-eng", "unrelated"])
    assert {slug: (g.role, g.group) for slug, g in grants.items()} == {
        "platform": ("editor", "platform-eng")
    }
    assert admin is None
    grants, admin = mapping.resolve(RULES, ["platform-leads", "platform-eng", "llm-admins"])
    assert grants["platform"].role == "admin"
    assert admin == "llm-admins"
    assert mapping.resolve(RULES, []) == ({}, None)


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ('{"group": "x"}', "must be a JSON list"),
        ('[{"team": "platform", "role": "viewer"}]', 'needs a "group"'),
        ('[{"group": "x", "team": "platform"}]', "needs either"),
        ('[{"group": "x", "org_admin": true, "colour": "red"}]', "unknown keys: colour"),
    ],
)
def test_a_bad_rule_is_named(text, said):
    with pytest.raises(ImproperlyConfigured, match=said):
        mapping.parse(text, source="LLMADMIN_OIDC_GROUP_ROLES")
