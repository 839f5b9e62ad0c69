"""Sessions that are read together with the person they belong to and their teams.

Every page needs the session, the signed-in user and the teams they work in. Django reads
them in three queries (and compiles each through the ORM); here one SQL statement joins them
on `teams.Session.user`, which the store writes whenever it saves a session. That is most of
what any signed-in request costs beyond a bare one (bench/README.md, "signed-in view").

`user_for_request` then gives what `django.contrib.auth.get_user` would: the joined user when
Django's own checks would accept them (same backend rules, same session hash), and in every
other case it simply asks Django, so no rule of Django's is written again here.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends import db
from django.core.exceptions import ValidationError
from django.db import connections, models, router
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from .models import Membership, Session, Team
from .selectors import TeamChoice


@dataclass(frozen=True)
class SignedIn:
    """The person a session belongs to and the teams they can work in: what
    `selectors.team_choices(user=user)` answers, read in the session's own query."""

    user: AbstractBaseUser
    choices: list[TeamChoice]


class SessionStore(db.SessionStore):
    """Django's database session store, on `teams.Session`; `signed_in` holds the person
    read along with the session, or None."""

    signed_in: SignedIn | None = None

    @classmethod
    def get_model_class(cls) -> type[Session]:
        return Session

    def create_model_instance(self, data: dict[str, Any]) -> Session:
        session = cast(Session, super().create_model_instance(data))
        try:
            session.user_id = auth.get_user_model()._meta.pk.to_python(data.get(auth.SESSION_KEY))
        except ValidationError:
            session.user_id = None
        return session

    def load(self) -> dict[str, Any]:
        self.signed_in = None
        using = router.db_for_read(Session)
        connection = connections[using]
        query = _query(using)
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(query.sql, [self.session_key, now])
            rows = cursor.fetchall()
        if not rows:
            self._session_key = None
            return {}
        session_data = rows[0][0]
        user = query.users.build(rows[0], using)
        if user is not None:
            teams = [(query.teams.build(row, using), row[-1]) for row in rows]
            choices = [TeamChoice(team, role) for team, role in teams if team is not None]
            self.signed_in = SignedIn(user, choices)
        return self.decode(session_data)


def user_for_request(request: HttpRequest) -> AbstractBaseUser | AnonymousUser:
    """What `django.contrib.auth.get_user(request)` returns, without its query when the
    session was read with that very user and Django's checks pass on them."""
    session = request.session
    try:
        user_id = auth.get_user_model()._meta.pk.to_python(session[auth.SESSION_KEY])
        backend_path = session[auth.BACKEND_SESSION_KEY]
    except (KeyError, ValidationError):
        return auth.get_user(request)
    signed_in = getattr(session, "signed_in", None)
    if (
        signed_in is not None
        and signed_in.user.pk == user_id
        and backend_path in settings.AUTHENTICATION_BACKENDS
    ):
        backend = auth.load_backend(backend_path)
        # ModelBackend.get_user is the row by primary key, if user_can_authenticate.
        reads_the_row = type(backend).get_user is ModelBackend.get_user
        session_hash = session.get(auth.HASH_SESSION_KEY)
        if (
            reads_the_row
            and backend.user_can_authenticate(signed_in.user)  # type: ignore[attr-defined]
            and session_hash
            and constant_time_compare(session_hash, signed_in.user.get_session_auth_hash())
        ):
            return signed_in.user
    # Anything else (a hash from a rotated key, a deactivated user, another backend):
    # Django's own answer, with its own query.
    return auth.get_user(request)


class _Model:
    """Columns of one model in the joined row: where they start, and how the ORM would
    convert them (a SQLite datetime arrives as text)."""

    def __init__(self, model: type[models.Model], alias: str, start: int, using: str) -> None:
        connection = connections[using]
        self.model = model
        self.fields = model._meta.concrete_fields
        self.names = [field.attname for field in self.fields]
        self.start = start
        self.columns = [f"{alias}.{connection.ops.quote_name(f.column)}" for f in self.fields]
        self.converters = []
        for field in self.fields:
            col = field.get_col(alias)
            found = connection.ops.get_db_converters(col) + col.get_db_converters(connection)
            self.converters.append((found, col))

    def build(self, row: tuple[Any, ...], using: str) -> Any:
        values = list(row[self.start : self.start + len(self.fields)])
        if values[0] is None:  # the primary key: no such row joined
            return None
        connection = connections[using]
        for index, (converters, col) in enumerate(self.converters):
            for convert in converters:
                values[index] = convert(values[index], col, connection)
        return self.model.from_db(using, self.names, values)


@dataclass(frozen=True)
class _Query:
    sql: str
    users: _Model
    teams: _Model


@functools.cache
def _query(using: str) -> _Query:
    """The session, its user and their teams by name; an org admin works in every team,
    without a role (as in selectors.team_choices)."""
    quote = connections[using].ops.quote_name
    User = auth.get_user_model()
    users = _Model(User, "u", 1, using)
    teams = _Model(Team, "t", 1 + len(users.fields), using)
    user_pk, team_pk = quote(User._meta.pk.column), quote(Team._meta.pk.column)
    # Names from the models' _meta, values as parameters.
    sql = f"""
        SELECT s.session_data, {", ".join(users.columns)}, {", ".join(teams.columns)}, m.role
        FROM {quote(Session._meta.db_table)} s
        LEFT JOIN {quote(User._meta.db_table)} u ON u.{user_pk} = s.user_id
        LEFT JOIN {quote(Membership._meta.db_table)} m
            ON m.user_id = u.{user_pk} AND NOT u.is_superuser
        LEFT JOIN {quote(Team._meta.db_table)} t
            ON u.is_active AND (t.{team_pk} = m.team_id OR u.is_superuser)
        WHERE s.session_key = %s AND s.expire_date > %s
        ORDER BY t.name
    """  # noqa: S608
    return _Query(sql, users, teams)
