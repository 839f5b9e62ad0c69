"""The API keys page: make a key (shown once), list, revoke; a team admin sees and revokes
the team's keys; each step an audit event, and the key itself stored nowhere."""

from __future__ import annotations

import re

import pytest

from llmadmin.api.models import APIKey
from llmadmin.audit.models import AuditEvent
from tests.teams.factories import TeamFactory, member

pytestmark = pytest.mark.django_db

URL = "/account/api-keys/"


@pytest.fixture
def platform():
    return TeamFactory(name="Platform", slug="platform")


def create(client, team, role="editor", name="ci", days="90"):
    return client.post(URL, {"name": name, "team": team.pk, "role": role, "days": days})


def test_a_new_key_is_shown_once_and_only_its_hash_is_kept(client, platform):
    client.force_login(member("editor", platform, username="erin"))
    page = create(client, platform).content.decode()
    raw = re.search(r"lla_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", page).group(0)
    key = APIKey.objects.get()
    assert (key.name, key.role, key.team, key.owner.username) == ("ci", "editor", platform, "erin")
    assert round((key.expires_at - key.created_at).total_seconds() / 86400) == 90
    assert raw not in str(APIKey.objects.values().get())
    again = client.get(URL).content.decode()
    assert raw not in again and f"lla_{key.prefix}…" in again and "never" in again
    event = AuditEvent.objects.get(action="apikey.create")
    assert event.details["api_key"] == key.prefix and raw not in str(event.details)


def test_a_key_may_not_outrank_its_owner_nor_outlive_a_year(client, platform):
    client.force_login(member("editor", platform, username="erin"))
    refused = create(client, platform, role="admin")
    assert refused.status_code == 400
    assert "A key may have your own role in Platform or a lower one" in refused.content.decode()
    assert create(client, platform, days="366").status_code == 400
    assert create(client, platform, role="auditor").status_code == 400  # not below an editor
    assert not APIKey.objects.exists()


def test_a_key_is_only_for_a_team_of_ones_own(client, platform):
    client.force_login(member("admin", platform, username="ada"))
    other = TeamFactory(name="Other", slug="other")
    assert create(client, other, role="viewer").status_code == 400
    assert not APIKey.objects.exists()


def test_owners_revoke_their_keys_and_team_admins_the_teams(client, platform):
    erin = member("editor", platform, username="erin")
    client.force_login(erin)
    create(client, platform, name="mine")
    mine = APIKey.objects.get()
    client.post(f"{URL}{mine.pk}/revoke/")
    mine.refresh_from_db()
    assert mine.state == "revoked"

    create(client, platform, name="second")
    second = APIKey.objects.get(name="second")
    client.force_login(member("viewer", platform, username="vic"))
    assert "second" not in client.get(URL).content.decode()
    assert client.post(f"{URL}{second.pk}/revoke/").status_code == 404

    client.force_login(member("admin", platform, username="ada"))
    assert "second" in client.get(URL).content.decode()
    client.post(f"{URL}{second.pk}/revoke/")
    second.refresh_from_db()
    assert second.state == "revoked"
    revokes = AuditEvent.objects.filter(action="apikey.revoke").order_by("id")
    assert [e.actor_username for e in revokes] == ["erin", "ada"]
