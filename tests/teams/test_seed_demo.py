from __future__ import annotations

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import call_command

from llmadmin.teams.models import Membership, Team


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_gives_one_user_per_role(monkeypatch, capsys) -> None:
    monkeypatch.setenv("LLMADMIN_DEMO_PASSWORD", "demo-pass-for-tests")
    call_command("seed_demo")
    call_command("seed_demo")

    team = Team.objects.get(slug="demo")
    roles = dict(Membership.objects.filter(team=team).values_list("user__username", "role"))
    assert roles == {"viewer": "viewer", "editor": "editor", "admin": "admin", "auditor": "auditor"}
    assert get_user_model().objects.get(username="root").is_superuser
    assert get_user_model().objects.count() == 5
    for username in ("viewer", "editor", "admin", "auditor", "root"):
        assert authenticate(username=username, password="demo-pass-for-tests") is not None
    assert "demo-pass-for-tests" in capsys.readouterr().out
