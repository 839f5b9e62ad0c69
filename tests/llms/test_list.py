"""/llms/: search, sort, pages, badges, empty states, and a query count that does not grow."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from llmadmin.llms.models import LLMDefinition, Ownership
from tests.teams.factories import TeamFactory, UserFactory


def make(team, n: int, **fields) -> None:
    LLMDefinition.objects.bulk_create(
        LLMDefinition(
            team=team, vectara_id=f"llm_{team.pk if team else 0}_{i}", name=f"llm-{i:05d}",
            type="openai-compatible", model=f"model-{i % 7}", **fields,
        )
        for i in range(n)
    )  # fmt: skip


def names(response) -> list[str]:
    return [llm.name for llm in response.context["llms"]]


def add(team, name, **fields) -> LLMDefinition:
    defaults = {"type": "openai-compatible", "vectara_id": f"id-{name}"}
    return LLMDefinition.objects.create(team=team, name=name, **{**defaults, **fields})


def test_search_matches_name_model_and_description(editor_client, team) -> None:
    add(team, "claude-prod", model="claude-sonnet", type="anthropic")
    add(team, "gpt-prod", model="gpt-4o", description="for the support bot")
    add(TeamFactory(), "gpt-other-team")
    assert names(editor_client.get("/llms/?q=GPT")) == ["gpt-prod"]
    assert names(editor_client.get("/llms/?q=sonnet")) == ["claude-prod"]
    assert names(editor_client.get("/llms/?q=support")) == ["gpt-prod"]


def test_an_htmx_search_answers_only_the_results(editor_client, team) -> None:
    add(team, "gpt-prod")
    response = editor_client.get("/llms/?q=gpt", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "<html" not in html and "gpt-prod" in html and 'role="search"' not in html
    assert "HX-Request" in response["Vary"]
    # A history restore asks for the whole page.
    restore = editor_client.get(
        "/llms/?q=gpt", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    )
    assert "<html" in restore.content.decode()


def test_a_search_without_match_says_so_differently_from_no_llms(editor_client, team) -> None:
    html = editor_client.get("/llms/").content.decode()
    assert "The team Platform has no LLMs yet." in html and 'href="/llms/new/"' in html
    add(team, "gpt-prod")
    html = editor_client.get("/llms/?q=zzz").content.decode()
    assert "No LLM matches “zzz”." in html and "has no LLMs yet" not in html


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["a", "b", "c"]),
        ("-name", ["c", "b", "a"]),
        ("type", ["b", "a", "c"]),
        ("model", ["c", "a", "b"]),
        ("status", ["a", "b", "c"]),  # enabled, disabled, missing upstream
        ("-status", ["c", "b", "a"]),
        ("updated", ["c", "b", "a"]),
        ("bogus", ["a", "b", "c"]),
    ],
)
def test_sorting(editor_client, team, sort, expected) -> None:
    add(team, "a", type="openai-compatible", model="m2")
    add(team, "b", type="anthropic", model="m3", enabled=False)
    add(team, "c", type="vertex-ai", model="m1", upstream_state="missing")
    # updated: c was touched last
    LLMDefinition.objects.get(name="c").save()
    assert names(editor_client.get(f"/llms/?sort={sort}")) == expected


def test_badges_show_enabled_disabled_missing_and_builtin(editor_client, team) -> None:
    add(team, "on")
    add(team, "off", enabled=False)
    add(team, "gone", upstream_state="missing")
    add(None, "mockingbird", ownership=Ownership.PLATFORM)
    html = editor_client.get("/llms/").content.decode()
    for badge in ('badge ok">enabled', 'badge off">disabled', "missing upstream", "built-in"):
        assert badge in html
    # Built-in LLMs are listed for every team, and never get a toggle.
    assert "Disable mockingbird" not in html and "Disable on" in html


def test_pages_of_fifty_keep_search_and_sort(editor_client, team) -> None:
    make(team, 120)
    response = editor_client.get("/llms/?sort=-name&page=2")
    assert len(names(response)) == 50 and names(response)[0] == "llm-00069"
    html = response.content.decode()
    assert "Page 2 of 3 (120 LLMs)" in html
    assert 'href="?q=&amp;sort=-name&amp;filter=team&amp;page=3"' in html
    assert names(editor_client.get("/llms/?page=999"))[-1] == "llm-00119"  # the last page
    assert len(names(editor_client.get("/llms/?page=abc"))) == 50


@pytest.mark.parametrize("sort", ["name", "-updated", "status"])
def test_the_number_of_queries_does_not_grow_with_the_rows(
    editor_client, team, django_assert_num_queries, sort
) -> None:
    make(team, 10)
    editor_client.get("/llms/")  # warm the session
    with CaptureQueriesContext(connection) as small:
        editor_client.get(f"/llms/?sort={sort}&q=llm")
    LLMDefinition.objects.all().delete()
    make(team, 1000)
    with django_assert_num_queries(len(small.captured_queries)):
        response = editor_client.get(f"/llms/?sort={sort}&q=llm")
    assert response.context["listing"].page.paginator.count == 1000


def test_org_admins_filter_unowned_llms(client, team) -> None:
    add(team, "owned")
    add(None, "outside", ownership=Ownership.CUSTOMER)
    add(None, "mockingbird", ownership=Ownership.PLATFORM)
    client.force_login(UserFactory(username="root", is_superuser=True))
    assert names(client.get("/llms/?filter=unowned")) == ["outside"]
    assert "Unowned LLMs" in client.get("/llms/").content.decode()


def test_team_members_can_not_list_unowned_llms(editor_client, team) -> None:
    add(None, "outside", ownership=Ownership.CUSTOMER)
    response = editor_client.get("/llms/?filter=unowned")
    assert names(response) == [] and "Unowned LLMs" not in response.content.decode()
