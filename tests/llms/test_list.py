"""/llms/: search, sort, pages, badges, empty states, and a query count that does not grow."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from llmadmin.llms.models import LLMDefinition, Ownership
from tests.llms.lifecycle_support import seeded
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
    return [llm.name for llm in response.context["listing"].page.object_list]


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
    # The sort goes out of band to the search form only with results alone: a whole page
    # has the form's own field, and two would share an id.
    assert 'id="llm-sort"' in html and 'hx-swap-oob="true"' in html
    assert restore.content.decode().count('id="llm-sort"') == 1


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
    assert "Page 2 (LLMs 51\N{EN DASH}100 of 120)" in html
    assert 'href="?q=&amp;sort=-name&amp;filter=team&amp;page=3"' in html
    assert 'href="?q=&amp;sort=-name&amp;filter=team&amp;page=1"' in html
    assert names(editor_client.get("/llms/?page=999"))[-1] == "llm-00119"  # the last page
    assert len(names(editor_client.get("/llms/?page=abc"))) == 50


def test_the_last_page_has_no_next_link(editor_client, team) -> None:
    make(team, 100)  # exactly two pages
    html = editor_client.get("/llms/?page=2").content.decode()
    assert "Page 2 (LLMs 51\N{EN DASH}100 of 100)" in html
    assert 'rel="next"' not in html and 'rel="prev"' in html
    html = editor_client.get("/llms/").content.decode()
    assert 'rel="next"' in html and 'rel="prev"' not in html


def test_pages_merge_the_teams_and_the_builtin_llms_in_order(editor_client, team) -> None:
    make(team, 60)
    for name in ("llm-00000a", "llm-00055a", "zz-builtin"):
        add(None, name, ownership=Ownership.PLATFORM)
    add(TeamFactory(), "llm-00001a")  # another team's: never listed
    first = names(editor_client.get("/llms/"))
    second = names(editor_client.get("/llms/?page=2"))
    assert first[:3] == ["llm-00000", "llm-00000a", "llm-00001"]
    assert first + second == sorted(
        [f"llm-{i:05d}" for i in range(60)] + ["llm-00000a", "llm-00055a", "zz-builtin"]
    )
    assert len(first) == 50 and second[-1] == "zz-builtin"


def test_row_links_are_the_reversed_urls(editor_client, team) -> None:
    llm = add(team, "gpt-prod")
    html = editor_client.get("/llms/").content.decode()
    assert f'href="{reverse("llms:detail", args=[llm.pk])}"' in html
    assert f'formaction="{reverse("llms:toggle", args=[llm.pk])}"' in html
    # One CSRF token for the page's one toggle form, not one per row.
    assert html.count('name="csrfmiddlewaretoken"') == 2  # the toggle form and the log-out


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
    page = response.context["listing"].page
    assert len(page.object_list) == 50 and page.has_next


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


def test_the_detail_and_edit_pages_read_who_is_asking_once(
    editor_client, team, emulator, django_assert_num_queries
) -> None:
    llm = seeded(emulator, team)
    # The session, the person, their memberships and the LLM with its team: the buttons'
    # permissions and whether they may read its history ask nothing more.
    with django_assert_num_queries(4):
        assert editor_client.get(f"/llms/{llm.pk}/").status_code == 200
    with django_assert_num_queries(4):
        assert editor_client.get(f"/llms/{llm.pk}/edit/").status_code == 200
