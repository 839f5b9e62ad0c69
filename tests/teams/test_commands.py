"""`manage.py grant_role` and `revoke_role`: the same services, with a system actor."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command, load_command_class

from llmadmin.audit.models import AuditEvent
from llmadmin.teams.models import Membership
from tests.teams.factories import UserFactory, member

pytestmark = pytest.mark.django_db


def role_of(username: str) -> str | None:
    return Membership.objects.filter(user__username=username).values_list("role", flat=True).first()


def test_grant_role_adds_then_changes_and_records_system_events(team, capsys) -> None:
    UserFactory(username="bo")
    call_command("grant_role", "bo", "platform", "viewer")
    call_command("grant_role", "bo", "platform", "admin")
    call_command("grant_role", "bo", "platform", "admin")
    assert role_of("bo") == "admin"
    out = capsys.readouterr().out
    assert "bo is now admin of platform." in out and "nothing changed" in out
    events = list(AuditEvent.objects.order_by("id"))
    assert [(e.action, e.outcome, e.actor_username) for e in events] == [
        ("membership.add", "success", "manage.py"),
        ("membership.role_change", "success", "manage.py"),
    ]
    assert events[1].details["old_role"] == "viewer" and events[1].details["new_role"] == "admin"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("ghost", "platform", "viewer"), "There is no user named 'ghost'."),
        (("bo", "nowhere", "viewer"), "There is no team with the slug 'nowhere'."),
        (("bo", "platform", "owner"), "Unknown role 'owner'; use one of viewer, editor, admin"),
    ],
)
def test_grant_role_refuses_unknown_names_in_one_line(team, args, error) -> None:
    UserFactory(username="bo")
    with pytest.raises(CommandError, match=error) as exc:
        call_command("grant_role", *args)
    assert "\n" not in str(exc.value)
    assert role_of("bo") is None


def test_revoke_role_removes_and_records(team) -> None:
    member("admin", team, username="ada")
    member("editor", team, username="bo")
    call_command("revoke_role", "bo", "platform")
    assert role_of("bo") is None
    event = AuditEvent.objects.get()
    assert (event.action, event.actor_username, event.details["old_role"]) == (
        "membership.remove",
        "manage.py",
        "editor",
    )


def test_revoke_role_keeps_the_last_admin(team) -> None:
    member("admin", team, username="ada")
    with pytest.raises(CommandError, match="ada is the last admin of Platform"):
        call_command("revoke_role", "ada", "platform")
    assert role_of("ada") == "admin"
    assert AuditEvent.objects.get().outcome == "failure"


def test_revoke_role_of_a_non_member_fails(team) -> None:
    UserFactory(username="bo")
    with pytest.raises(CommandError, match="bo is not a member of platform"):
        call_command("revoke_role", "bo", "platform")


def test_the_commands_exit_non_zero_with_the_sentence_on_stderr(team, capsys) -> None:
    command = load_command_class("llmadmin.teams", "revoke_role")
    with pytest.raises(SystemExit) as exit_:
        command.run_from_argv(["manage.py", "revoke_role", "ghost", "nowhere"])
    assert exit_.value.code != 0
    assert "There is no team with the slug 'nowhere'." in capsys.readouterr().err
