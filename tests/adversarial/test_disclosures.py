"""Small disclosures: what a typed username, an added member's name or a membership id tells
someone who should not learn it, and what the audit log keeps of them."""

from __future__ import annotations

import re

import pytest
from axes.models import AccessAttempt

from llmadmin.audit.models import AuditEvent
from llmadmin.teams.models import Membership
from tests.teams.factories import TeamFactory, UserFactory, member

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"
MEMBERS = "/teams/platform/members/"
TYPED_PASSWORD = "Correct-Horse-Battery-9"  # typed into the username box by mistake


def same_page(body: bytes) -> str:
    # Per-response tokens (CSP nonce, CSRF) aside, the page as the person sees it.
    return re.sub(r"[A-Za-z0-9+/_-]{22,}", "<token>", body.decode())


# --- (a) a failed log-in for no account keeps no trace of what was typed ------------------


def test_a_password_typed_as_username_is_stored_nowhere(client, db) -> None:
    response = client.post(LOGIN, {"username": TYPED_PASSWORD, "password": "x"})
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="auth.login_failed")
    stored = " ".join(
        [event.message, event.target_label, event.target_id, str(event.details), event.user_agent]
    )
    assert TYPED_PASSWORD.casefold() not in stored.casefold()
    assert event.target_label.startswith("(no such account ")
    assert event.details["username"] == event.target_label
    attempts = list(AccessAttempt.objects.values_list("username", "post_data", "get_data"))
    assert attempts and TYPED_PASSWORD.casefold() not in str(attempts).casefold()


def test_the_fingerprint_tells_repeats_apart_without_the_text(client, db) -> None:
    for typed in (TYPED_PASSWORD, TYPED_PASSWORD, "someone-else"):
        client.post(LOGIN, {"username": typed, "password": "x"})
    labels = [e.target_label for e in AuditEvent.objects.order_by("id")]
    assert labels[0] == labels[1] != labels[2]


def test_a_failed_log_in_to_a_real_account_names_it(client, team) -> None:
    member("editor", team, username="erin")
    client.post(LOGIN, {"username": "ERIN ", "password": "wrong"})
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert (event.target_label, event.details["username"]) == ("erin", "erin")
    assert event.message == "A log-in as erin failed (bad_credentials)."


# --- (b) the members page --------------------------------------------------------------------


@pytest.fixture
def admin_client(client, team):
    client.force_login(member("admin", team, username="ada"))
    return client


def add(client, username: str):
    return client.post(MEMBERS, {"username": username, "role": "viewer"})


def test_a_missing_and_a_deactivated_account_answer_alike(admin_client) -> None:
    UserFactory(username="sleepy", is_active=False)
    missing, inactive = add(admin_client, "ghost"), add(admin_client, "sleepy")
    assert missing.status_code == inactive.status_code == 200
    assert same_page(missing.content).replace("ghost", "NAME") == same_page(
        inactive.content
    ).replace("sleepy", "NAME")
    assert "No active account is named &#x27;ghost&#x27;" in missing.content.decode()
    assert not Membership.objects.filter(user__username="sleepy").exists()
    events = AuditEvent.objects.filter(action="membership.add").order_by("id")
    assert [e.message.replace("ghost", "NAME").replace("sleepy", "NAME") for e in events] == [
        "No active account is named 'NAME'. Check the spelling, or ask an org admin to create "
        "or reactivate the account."
    ] * 2


def test_an_org_admin_is_told_the_account_is_deactivated(client, team) -> None:
    UserFactory(username="sleepy", is_active=False)
    client.force_login(UserFactory(username="root", is_superuser=True))
    response = add(client, "sleepy")
    assert "sleepy&#x27;s account is deactivated" in response.content.decode()


@pytest.fixture
def foreign(team):
    secret = TeamFactory(name="Skunkworks", slug="skunkworks")
    return Membership.objects.get(user=member("viewer", secret, username="cy"))


def urls(pk: int) -> list[tuple[str, dict[str, str]]]:
    return [(f"{MEMBERS}{pk}/role/", {"role": "admin"}), (f"{MEMBERS}{pk}/remove/", {})]


@pytest.mark.parametrize("htmx", [False, True])
def test_another_teams_membership_id_answers_like_a_missing_one(
    admin_client, foreign, htmx
) -> None:
    missing_pk = foreign.pk + 1000
    headers = {"HX-Request": "true"} if htmx else {}
    for (theirs, data), (missing, _) in zip(urls(foreign.pk), urls(missing_pk), strict=True):
        a = admin_client.post(theirs, data, headers=headers)
        b = admin_client.post(missing, data, headers=headers)
        assert a.status_code == b.status_code == (200 if htmx else 404)
        assert same_page(a.content) == same_page(b.content)
        assert a.get("HX-Redirect") == b.get("HX-Redirect")
    foreign.refresh_from_db()
    assert foreign.role == "viewer"


def test_a_forged_membership_id_leaves_no_other_teams_name_in_this_teams_log(
    admin_client, foreign, team
) -> None:
    for url, data in urls(foreign.pk):
        admin_client.post(url, data)
    refusals = list(AuditEvent.objects.filter(action="access.denied"))
    assert len(refusals) == 2
    assert all(e.team_id is None and e.team_slug == "" for e in refusals)
    for event in AuditEvent.objects.all():
        text = " ".join([event.message, event.target_label, event.team_slug, str(event.details)])
        assert "skunkworks" not in text.casefold()
    assert not AuditEvent.objects.filter(team_id=team.pk, action="access.denied").exists()
