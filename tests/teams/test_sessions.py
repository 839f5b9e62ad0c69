"""Sign-in sessions read with their user and teams in one query (teams/sessions.py): the
same person and the same teams Django and `team_choices` would give, for less."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from llmadmin.teams.models import Membership, Session
from llmadmin.teams.selectors import team_choices
from llmadmin.teams.sessions import SessionStore
from tests.teams.factories import PASSWORD, TeamFactory, UserFactory, member

pytestmark = pytest.mark.django_db

SIGN_IN_TABLES = ("teams_session", "auth_user", "teams_membership", "teams_team")


def signed_in_client(user) -> Client:
    client = Client()
    answer = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
    assert answer.status_code == 302
    return client


def session_of(client: Client) -> Session:
    return Session.objects.get(session_key=client.cookies[settings.SESSION_COOKIE_NAME].value)


def test_a_page_reads_the_session_the_user_and_their_teams_in_one_query(team) -> None:
    client = signed_in_client(member("editor", team))
    client.get("/llms/")  # the first page after signing in also writes the session
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/llms/").status_code == 200
    sign_in = [q["sql"] for q in queries if any(t in q["sql"] for t in SIGN_IN_TABLES)]
    assert len(sign_in) == 1, sign_in


@pytest.mark.parametrize("who", ["member of two teams", "org admin", "in no team"])
def test_the_teams_read_with_the_session_are_the_persons_teams(team, who) -> None:
    if who == "org admin":
        user = UserFactory(is_superuser=True)
        Membership.objects.create(user=user, team=team, role="viewer")
    else:
        user = UserFactory()
    if who == "member of two teams":
        Membership.objects.create(user=user, team=team, role="viewer")
        Membership.objects.create(user=user, team=TeamFactory(name="Applied"), role="admin")
    TeamFactory(name="Zeta")
    store = SessionStore(session_key=session_of(signed_in_client(user)).session_key)
    store.load()

    assert store.signed_in is not None and store.signed_in.user == user
    assert store.signed_in.choices == team_choices(user=user)
    expected = {"member of two teams": 2, "org admin": 2, "in no team": 0}[who]
    assert len(store.signed_in.choices) == expected


def test_the_user_read_with_the_session_has_the_same_values_as_the_orm_gives(team) -> None:
    user = member("viewer", team)
    store = SessionStore(session_key=session_of(signed_in_client(user)).session_key)
    store.load()
    read = store.signed_in.user  # type: ignore[union-attr]
    fresh = get_user_model().objects.get(pk=user.pk)
    for field in fresh._meta.concrete_fields:
        assert getattr(read, field.attname) == getattr(fresh, field.attname), field.name
    assert timezone.is_aware(read.date_joined) and timezone.is_aware(read.last_login)


def test_the_session_row_names_its_user_and_goes_with_the_account(team) -> None:
    user = member("editor", team)
    client = signed_in_client(user)
    assert session_of(client).user_id == user.pk
    user.delete()
    assert not Session.objects.exists()
    assert client.get("/llms/").status_code == 302


def test_a_session_without_a_user_names_nobody(client) -> None:
    client.get("/accounts/login/")  # the CSRF cookie only: no session is written
    store = SessionStore()
    store["current_team_id"] = 1
    store.save()
    assert Session.objects.get(session_key=store.session_key).user_id is None
    loaded = SessionStore(session_key=store.session_key)
    assert loaded["current_team_id"] == 1 and loaded.signed_in is None


def test_changing_the_password_elsewhere_signs_the_session_out(team) -> None:
    user = member("editor", team)
    client = signed_in_client(user)
    user.set_password("another long passphrase")
    user.save()
    answer = client.get("/llms/")
    assert answer.status_code == 302 and answer["Location"].startswith("/accounts/login/")
    assert not Session.objects.filter(user=user).exists()  # flushed, as Django does


def test_a_deactivated_person_is_signed_out(team) -> None:
    user = member("editor", team)
    client = signed_in_client(user)
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    assert client.get("/llms/").status_code == 302


def test_an_expired_session_is_signed_out(team) -> None:
    client = signed_in_client(member("editor", team))
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    assert client.get("/llms/").status_code == 302


def test_a_session_from_before_a_key_rotation_still_works_and_is_re_signed(team) -> None:
    client = signed_in_client(member("editor", team))
    before = session_of(client).session_key
    old_key = settings.SECRET_KEY
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(settings, "SECRET_KEY", "a-new-secret-key-" + "x" * 40)
        patch.setattr(settings, "SECRET_KEY_FALLBACKS", [old_key])
        assert client.get("/llms/").status_code == 200
        # Django's own path: a new session key, the hash made with the new secret.
        assert session_of(client).session_key != before
        assert client.get("/llms/").status_code == 200


def test_a_session_whose_user_column_disagrees_with_its_data_gets_djangos_answer(team) -> None:
    user, other = member("editor", team), member("viewer", TeamFactory(name="Elsewhere"))
    client = signed_in_client(user)
    Session.objects.update(user=other)  # a row edited by hand: the signed data decides
    assert client.get("/llms/").status_code == 200
    page = client.get("/llms/").text
    assert f'class="who">{user.username}<' in page
    # Nor the teams and roles read for the row's user.
    assert "Elsewhere" not in page and team.name in page


def test_a_cookie_naming_no_session_is_given_a_new_key_when_saved() -> None:
    # As Django's own store: saving under an unknown key would be an update of nothing.
    store = SessionStore(session_key="no-such-session-0123456789")
    assert store.load() == {} and store.signed_in is None
    store["seen"] = True
    store.save()
    assert store.session_key != "no-such-session-0123456789"
    assert Session.objects.filter(session_key=store.session_key).exists()


def test_a_deactivated_person_is_read_in_no_team(team) -> None:
    user = member("admin", team)
    store = SessionStore(session_key=session_of(signed_in_client(user)).session_key)
    user.is_active = False
    user.save()
    store.load()
    assert store.signed_in is not None
    assert store.signed_in.choices == team_choices(user=user) == []


@pytest.mark.django_db(transaction=True)  # committed, as a request's save is
def test_a_session_naming_a_deleted_user_is_saved_and_signs_nobody_in(team, monkeypatch) -> None:
    # A key cycled (password change, key rotation) while the account is being deleted:
    # the save must finish, not be retried forever as if the key had collided.
    user = member("editor", team)
    store = SessionStore(session_key=session_of(signed_in_client(user)).session_key)
    user_id = store[SESSION_KEY]  # read before the account goes
    user.delete()
    new_key = store._get_new_session_key
    tries = iter(range(5))

    def counted() -> str:
        assert next(tries, None) is not None, "the save is being retried as a key collision"
        return new_key()

    monkeypatch.setattr(store, "_get_new_session_key", counted)
    store.cycle_key()
    assert str(Session.objects.get(session_key=store.session_key).user_id) == user_id
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = store.session_key
    assert client.get("/llms/").status_code == 302


def test_an_async_save_writes_the_user_column_too(team) -> None:
    user = member("editor", team)
    store = SessionStore(session_key=session_of(signed_in_client(user)).session_key)
    data = dict(store.items())
    # A thread of its own: the browser tests may leave an event loop in this one.
    with ThreadPoolExecutor(1) as pool:
        row = pool.submit(asyncio.run, store.acreate_model_instance(data)).result()
    assert row.user_id == user.pk


def test_clearsessions_drops_expired_sessions_only(team) -> None:
    from django.core.management import call_command

    live = signed_in_client(member("editor", team))
    expired = signed_in_client(member("viewer", team))
    Session.objects.filter(pk=session_of(expired).pk).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    call_command("clearsessions")
    assert list(Session.objects.values_list("pk", flat=True)) == [session_of(live).pk]


class RowlessBackend(ModelBackend):
    """A backend that reads users otherwise than by the row: Django asks it, not the join."""

    def get_user(self, user_id):  # type: ignore[no-untyped-def]
        return None


def test_a_session_whose_backend_was_removed_signs_nobody_in(team, settings) -> None:
    client = signed_in_client(member("editor", team))
    settings.AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.AllowAllUsersModelBackend"]
    assert client.get("/llms/").status_code == 302


def test_a_backend_that_does_not_read_the_row_decides_itself(team, settings) -> None:
    backend = f"{__name__}.RowlessBackend"
    settings.AUTHENTICATION_BACKENDS = [backend]
    client = Client()
    client.force_login(member("editor", team), backend=backend)
    assert client.get("/llms/").status_code == 302
