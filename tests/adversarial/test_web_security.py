"""Web security across the whole urlconf: CSRF on every POST, no open redirect from the
log-in and log-out `next`, a new session at log-in, framing and sniffing headers on every page,
and upstream strings rendered as text wherever they show."""

from __future__ import annotations

import re
from html import unescape
from io import StringIO
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from llmadmin.audit.models import AuditEvent
from llmadmin.llms.models import LLMDefinition
from llmadmin.teams.models import Membership, Team
from tests.llms.lifecycle_support import seeded, upstream_record
from tests.teams.factories import PASSWORD, UserFactory, member


def routes(patterns: list[Any] | None = None, namespace: str = "") -> dict[str, set[str]]:
    """Every named route of the project's urlconf ("llms:edit") and its parameters."""
    found: dict[str, set[str]] = {}
    for entry in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}{entry.namespace}:" if entry.namespace else namespace
            found |= routes(entry.url_patterns, inner)
        elif isinstance(entry, URLPattern) and entry.name:
            found[namespace + entry.name] = set(entry.pattern.regex.groupindex)
    return found


def url_names() -> list[str]:
    return sorted(routes())


@pytest.fixture
def world(team, emulator) -> dict[str, Any]:
    """One of everything a URL can name: an LLM, a member, an audit event."""
    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    admin = member("admin", team, username="ada")
    viewer = member("viewer", team, username="vic")
    llm = seeded(emulator, team)
    client = Client()
    client.force_login(admin)
    client.get("/audit/export.csv")  # writes audit.export
    return {
        "root": root,
        "admin": admin,
        "llm": llm,
        "membership": Membership.objects.get(user=viewer),
        "event": AuditEvent.objects.first(),
        "team": team,
    }


def concrete(name: str, world: dict[str, Any]) -> str:
    """The URL of route `name`, with real objects for its parameters."""
    params = routes()[name]
    kwargs: dict[str, Any] = {}
    if "slug" in params:
        kwargs["slug"] = world["team"].slug
    if "fmt" in params:
        kwargs["fmt"] = "csv"
    if "llm_id" in params:
        kwargs["llm_id"] = world["llm"].vectara_id
    if "pk" in params:
        if name.startswith("teams:"):
            kwargs["pk"] = world["membership"].pk
        elif name.startswith("audit:"):
            kwargs["pk"] = world["event"].pk
        else:
            kwargs["pk"] = world["llm"].pk
    return reverse(name, kwargs=kwargs)


def state(emulator) -> tuple[Any, ...]:
    """What a state-changing request could change."""
    return (
        AuditEvent.objects.count(),
        sorted(LLMDefinition.objects.values_list("pk", "enabled", "model", "team_id")),
        sorted(Membership.objects.values_list("pk", "role")),
        Team.objects.count(),
        Session.objects.count(),
        len(emulator.requests),
    )


# --- CSRF ---------------------------------------------------------------------------------


@pytest.mark.parametrize("as_who", ["admin", "root", "anonymous"])
def test_every_url_refuses_a_post_without_the_csrf_token_and_changes_nothing(
    world, emulator, as_who
) -> None:
    client = Client(enforce_csrf_checks=True)
    if as_who != "anonymous":
        client.force_login(world[as_who])
    client.get("/llms/")  # a CSRF cookie, as a browser would have: only the token is missing
    names = url_names()
    assert len(names) >= 25 and "llms:create" in names and "logout" in names
    emulator.requests.clear()
    before = state(emulator)
    accepted = []
    form = {
        "name": "x", "type": "openai-compatible", "model": "m", "uri": "https://8.8.8.8/v1",
        "auth_type": "bearer", "token": "sk-x", "enabled": "0", "role": "admin", "team": "1",
        "username": "ada", "password": PASSWORD,
    }  # fmt: skip
    for name in names:
        if name.startswith("api:"):
            continue  # /v2/ reads no cookie, so needs no token: tests/api/test_refusals.py
        url = concrete(name, world)
        for htmx in ({}, {"HTTP_HX_REQUEST": "true"}):
            response = client.post(url, form, **htmx)
            if response.status_code != 403 or b"CSRF" not in response.content:
                accepted.append((name, url, response.status_code))
    assert accepted == [], "these answered a POST that carried no CSRF token"
    assert state(emulator) == before


def test_the_same_posts_with_the_token_do_reach_the_views(world, emulator) -> None:
    """The control for the test above: the 403s came from the missing token, nothing else."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(world["admin"])
    client.get("/llms/")
    token = client.cookies[django_settings.CSRF_COOKIE_NAME].value
    headers = {"HTTP_X_CSRFTOKEN": token, "HTTP_HX_REQUEST": "true"}
    llm = world["llm"]
    check = client.post("/llms/new/check-uri/", {"uri": "https://127.0.0.1/"}, **headers)
    assert check.status_code == 200 and b"loopback" in check.content
    toggle = client.post(f"/llms/{llm.pk}/enabled/", {"enabled": "0", "confirm": "1"}, **headers)
    assert toggle.status_code == 200
    llm.refresh_from_db()
    assert llm.enabled is False
    out = client.post("/accounts/logout/", {"csrfmiddlewaretoken": token})
    assert out.status_code == 302 and "_auth_user_id" not in client.session


# --- open redirects -------------------------------------------------------------------------

OFF_SITE = [
    "//evil.example",
    "//evil.example/llms/",
    "https://evil.example",
    "http://evil.example/llms/",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "///evil.example",
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "https:evil.example",
    "\thttps://evil.example",
    "//evil.example%2f%2e%2e",
    "https://testserver@evil.example/",
    "https://evil.example\\@testserver/",
    "//\u3002evil.example",
    " //evil.example",
]


def is_local(location: str) -> bool:
    return location.startswith("/") and not location.startswith(("//", "/\\"))


@pytest.mark.parametrize("target", OFF_SITE)
def test_log_in_never_redirects_off_site(client, editor, target: str) -> None:
    response = client.post(
        "/accounts/login/?" + f"next={target}",
        {"username": "erin", "password": PASSWORD, "next": target},
    )
    assert response.status_code == 302
    assert is_local(response["Location"]), response["Location"]
    # Already logged in, the log-in page sends people on at once: same rule.
    again = client.get("/accounts/login/", {"next": target})
    assert again.status_code == 302 and is_local(again["Location"]), again["Location"]
    out = client.post("/accounts/logout/", {"next": target})
    assert out.status_code == 302 and is_local(out["Location"]), out["Location"]


def test_log_in_does_follow_a_local_next(client, editor) -> None:
    response = client.post(
        "/accounts/login/", {"username": "erin", "password": PASSWORD, "next": "/audit/?q=1"}
    )
    assert response["Location"] == "/audit/?q=1"


# --- session fixation ------------------------------------------------------------------------


def test_logging_in_replaces_the_session_an_attacker_may_have_planted(client, editor) -> None:
    planted = client.session
    planted["planted"] = True
    planted.save()
    client.cookies[django_settings.SESSION_COOKIE_NAME] = planted.session_key
    response = client.post("/accounts/login/", {"username": "erin", "password": PASSWORD})
    assert response.status_code == 302
    now = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    assert now and now != planted.session_key
    assert not Session.objects.filter(session_key=planted.session_key).exists()
    # The planted key is worth nothing: a browser holding it is not logged in.
    stranger = Client()
    stranger.cookies[django_settings.SESSION_COOKIE_NAME] = planted.session_key
    assert stranger.get("/llms/").status_code == 302


def test_logging_out_ends_the_session_on_the_server(client, editor) -> None:
    client.post("/accounts/login/", {"username": "erin", "password": PASSWORD})
    key = client.cookies[django_settings.SESSION_COOKIE_NAME].value
    client.post("/accounts/logout/")
    assert not Session.objects.filter(session_key=key).exists()


# --- framing and sniffing headers on every page ----------------------------------------------


def is_html(response) -> bool:
    return response.get("Content-Type", "").startswith("text/html")


def test_every_page_forbids_framing_and_mime_sniffing(world) -> None:
    pages = []
    for who in ("admin", "root", None):
        client = Client()
        if who:
            client.force_login(world[who])
        for name in url_names():
            pages.append((who, name, client.get(concrete(name, world))))
        pages.append((who, "404", client.get("/no/such/page/")))
        pages.append((who, "static", client.get("/static/css/app.css")))
    bad = [
        (who, name, r.status_code)
        for who, name, r in pages
        if r.get("X-Frame-Options") != "DENY"
        or r.get("X-Content-Type-Options") != "nosniff"
        or (is_html(r) and "frame-ancestors 'none'" not in r.get("Content-Security-Policy", ""))
    ]
    assert len(pages) >= 80 and bad == []


# --- upstream strings are text --------------------------------------------------------------

HOSTILE_NAME = "<script>alert(1)</script>"
HOSTILE_DESCRIPTION = '"><img src=x onerror=alert(2)>'
HOSTILE_MODEL = "<svg/onload=alert(3)>"
HOSTILE_URI = "javascript:alert(4)//https://api.openai.com/v1"


def markup_leaks(html: str) -> list[str]:
    found = []
    for raw in (HOSTILE_NAME, HOSTILE_DESCRIPTION, HOSTILE_MODEL, "<img src=x", "<svg/onload"):
        if raw in html:
            found.append(raw)
    # The description's quote must not end an attribute: "> then <img is the breakout.
    if re.search(r"\"\s*>\s*<img", html):
        found.append("attribute breakout")
    if re.search(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", html, re.I):
        found.append("javascript: link")
    return found


@pytest.mark.django_db(transaction=True)  # the real worker runs a sync
def test_an_llm_with_markup_in_every_field_is_shown_as_text(world, emulator) -> None:
    emulator.store.put(
        upstream_record(
            HOSTILE_NAME, description=HOSTILE_DESCRIPTION, model=HOSTILE_MODEL, uri=HOSTILE_URI
        )
    )
    emulator.store.put(upstream_record("via-command", description=HOSTILE_DESCRIPTION))
    root = Client()
    root.force_login(world["root"])
    synced = root.post("/llms/sync/", {})
    assert synced.status_code == 302
    call_command("run_jobs", once=True, stdout=StringIO())
    llm = LLMDefinition.objects.get(name=HOSTILE_NAME)
    assert llm.description == HOSTILE_DESCRIPTION  # stored as given: escaping is the page's job

    admin = Client()
    admin.force_login(world["admin"])
    root.post(f"/llms/{llm.pk}/assign/", {"team": world["team"].pk})
    pages = {
        "list": root.get("/llms/", {"filter": "all"}),
        "list (team)": admin.get("/llms/"),
        "search": admin.get("/llms/", {"q": "script"}, HTTP_HX_REQUEST="true"),
        "detail": root.get(f"/llms/{llm.pk}/"),
        "edit": admin.get(f"/llms/{llm.pk}/edit/"),
        "delete": admin.get(f"/llms/{llm.pk}/delete/"),
        "audit": root.get("/audit/"),
        "audit search": root.get("/audit/", {"q": "alert"}),
    }
    pages |= {f"event {e.pk}": root.get(f"/audit/{e.pk}/") for e in AuditEvent.objects.all()}
    shown = []
    for label, response in pages.items():
        assert response.status_code == 200, label
        html = response.content.decode()
        assert not markup_leaks(html), (label, markup_leaks(html))
        shown.append(unescape(html))
    # ...and they are there, as text the person can read.
    assert HOSTILE_NAME in shown[0] and HOSTILE_NAME in shown[3]
    assert HOSTILE_DESCRIPTION in shown[3] and HOSTILE_MODEL in shown[3]
    assert any(HOSTILE_NAME in page for page in shown[6:])


def test_a_username_with_markup_is_text_on_the_members_and_audit_pages(world) -> None:
    hostile = get_user_model().objects.create_user("<b>x</b>", password=PASSWORD)
    client = Client()
    client.force_login(world["admin"])
    added = client.post(
        f"/teams/{world['team'].slug}/members/", {"username": hostile.username, "role": "viewer"}
    )
    assert added.status_code in (200, 302)
    for url in (f"/teams/{world['team'].slug}/members/", "/audit/"):
        html = client.get(url).content.decode()
        assert "<b>x</b>" not in html
