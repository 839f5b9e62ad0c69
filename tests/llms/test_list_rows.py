"""/llms/ takes its rendered rows from the cache: whatever changes an LLM, through whichever
service, shows on the next list, and nobody gets rows or buttons that aren't theirs."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.test.utils import override_script_prefix
from django.utils import timezone
from django.utils.html import escape

from llmadmin.audit.recorder import Origin
from llmadmin.llms.models import LLMDefinition, Ownership
from llmadmin.llms.services import (
    llm_assign,
    llm_create,
    llm_delete,
    llm_set_enabled,
    llm_sync,
    llm_update,
)
from llmadmin.llms.spec import LLMChanges, LLMSpec
from tests.llms.lifecycle_support import seeded, upstream_record
from tests.teams.factories import TeamFactory, UserFactory, member

ORIGIN = Origin.system("test")


def row(client, name: str, path: str = "/llms/") -> str:
    """The row the list at `path` shows for the LLM called `name`; "" when there is none."""
    html = client.get(path).content.decode()
    rows = re.findall(r'<tr id="llm-\d+">.*?</tr>', html, flags=re.S)
    return next((r for r in rows if f">{escape(name)}</a>" in r), "")


def test_a_toggle_shows_on_the_list(editor_client, editor, team, emulator) -> None:
    llm = seeded(emulator, team)
    assert 'badge ok">enabled' in row(editor_client, "gpt-team")

    llm_set_enabled(actor=editor, origin=ORIGIN, llm=llm, enabled=False)

    shown = row(editor_client, "gpt-team")
    assert 'badge off">disabled' in shown and "Enable gpt-team" in shown


@pytest.mark.usefixtures("dns_records")
def test_a_created_then_edited_llm_shows_on_the_list(editor_client, editor, team, emulator):
    assert row(editor_client, "gpt-new") == ""
    spec = LLMSpec(
        type="openai-compatible",
        name="gpt-new",
        model="gpt-4o",
        uri="https://api.openai.com/v1/chat/completions",
        auth={"type": "bearer", "token": "sk-list-rows-0123456789"},
    )
    llm = llm_create(actor=editor, origin=ORIGIN, team=team, spec=spec)
    assert "<code>gpt-4o</code>" in row(editor_client, "gpt-new")

    changes = LLMChanges(type="openai-compatible", fields={"model": "gpt-4.1"})
    llm_update(actor=editor, origin=ORIGIN, llm=llm, changes=changes, version=llm.version)

    assert "<code>gpt-4.1</code>" in row(editor_client, "gpt-new")


def test_a_sync_shows_changed_and_vanished_llms_on_the_list(editor_client, editor, team, emulator):
    changed = seeded(emulator, team, "gpt-changed")
    seeded(emulator, team, "gpt-vanished")
    llm_sync(actor=editor, origin=ORIGIN, team=team)  # the built-in LLMs join the list now
    before = (row(editor_client, "gpt-changed"), row(editor_client, "gpt-vanished"))
    assert "<code>gpt-4o</code>" in before[0] and "missing upstream" not in before[1]

    emulator.store.clear()
    emulator.store.put(
        {**upstream_record("gpt-changed", model="gpt-4.1"), "id": changed.vectara_id}
    )
    llm_sync(actor=editor, origin=ORIGIN, team=team)

    assert "<code>gpt-4.1</code>" in row(editor_client, "gpt-changed")
    # Marking an LLM missing does not bump its version: the list must show it all the same.
    assert "missing upstream" in row(editor_client, "gpt-vanished")


def test_a_look_up_that_finds_the_llm_gone_shows_on_the_list(editor_client, team, emulator):
    llm = seeded(emulator, team)
    assert "missing upstream" not in row(editor_client, "gpt-team")

    emulator.store.clear()
    editor_client.get(f"/llms/{llm.pk}/")

    assert "missing upstream" in row(editor_client, "gpt-team")


def test_an_assigned_llm_moves_from_the_unowned_list_to_the_teams(client, team) -> None:
    outside = LLMDefinition.objects.create(
        vectara_id="llm_outside", name="outside", type="openai-compatible"
    )
    root = UserFactory(username="root", is_superuser=True)
    client.force_login(root)
    assert "unowned" in row(client, "outside", "/llms/?filter=unowned")
    assert row(client, "outside") == ""

    llm_assign(actor=root, origin=ORIGIN, llm=outside, team=team)

    assert row(client, "outside", "/llms/?filter=unowned") == ""
    shown = row(client, "outside")
    assert shown and "unowned" not in shown and "Disable outside" in shown


def test_a_deleted_llm_leaves_the_list(editor_client, team, emulator) -> None:
    llm = seeded(emulator, team)
    assert row(editor_client, "gpt-team")

    llm_delete(actor=member("admin", team), origin=ORIGIN, llm=llm)

    assert row(editor_client, "gpt-team") == ""


def test_a_viewer_never_gets_the_buttons_an_editor_was_shown(editor_client, team) -> None:
    LLMDefinition.objects.create(team=team, vectara_id="llm_1", name="gpt-team", type="anthropic")
    client = Client()
    client.force_login(member("viewer", team))
    for _ in range(2):  # each in turn, after the other's rows were rendered
        assert "Disable gpt-team" in row(editor_client, "gpt-team")
        shown = row(client, "gpt-team")
        assert shown and "<button" not in shown


def test_each_team_sees_only_its_own_rows(editor_client, team) -> None:
    other = TeamFactory(name="Other", slug="other")
    for owner, name in ((team, "ours"), (other, "theirs")):
        LLMDefinition.objects.create(team=owner, vectara_id=f"id-{name}", name=name, type="x")
    LLMDefinition.objects.create(
        vectara_id="id-builtin", name="builtin", type="x", ownership=Ownership.PLATFORM
    )
    client = Client()
    client.force_login(member("editor", other))
    for _ in range(2):  # rendered, then from the cache
        assert row(editor_client, "ours") and row(editor_client, "theirs") == ""
        assert row(client, "theirs") and row(client, "ours") == ""
        assert row(editor_client, "builtin") and row(client, "builtin")


def test_a_name_from_upstream_is_escaped_every_time(editor_client, team) -> None:
    name = '<img src=x onerror="alert(1)">'
    LLMDefinition.objects.create(team=team, vectara_id="llm_1", name=name, type="x")
    for _ in range(2):  # rendered, then from the cache
        html = editor_client.get("/llms/").content.decode()
        assert "<img src=x" not in html and escape(name) in html


def test_no_template_comment_reaches_the_page(editor_client, team) -> None:
    LLMDefinition.objects.create(team=team, vectara_id="llm_1", name="gpt-team", type="x")
    html = editor_client.get("/llms/").content.decode()
    assert "{#" not in html and "{%" not in html


def test_a_remembered_row_follows_the_script_prefix_and_the_time_zone(
    editor_client, team, emulator
) -> None:
    llm = seeded(emulator, team)
    first = row(editor_client, "gpt-team")
    assert f'href="/llms/{llm.pk}/"' in first and "+05:30" not in first
    with override_script_prefix("/dash/"):  # the test client sets no prefix of its own
        assert f'href="/dash/llms/{llm.pk}/"' in row(editor_client, "gpt-team")
    with timezone.override("Asia/Kolkata"):
        assert "+05:30" in row(editor_client, "gpt-team")
