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

from dataclasses import dataclass
from typing import Any, cast

from django.conf import settings
from django.contrib import auth
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.sessions.backends import db
from django.contrib.sessions.base_session import AbstractBaseSession
from django.core.exceptions import ValidationError
from django.db import connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
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
        return _with_user(super().create_model_instance(data), data)

    async def acreate_model_instance(self, data: dict[str, Any]) -> Session:
        return _with_user(await super().acreate_model_instance(data), data)

    def load(self) -> dict[str, Any]:
        self.signed_in = None
        using = router.db_for_read(Session)
        connection = connections[using]
        now = connection.ops.adapt_datetimefield_value(timezone.now())
        with connection.cursor() as cursor:
            cursor.execute(_SQL, [self.session_key, now])
            rows = cursor.fetchall()
        if not rows:
            self._session_key = None
            return {}
        user = _USER.build(rows[0], connection)
        if user is not None:
            teams = [(_TEAM.build(row, connection), row[-1]) for row in rows]
            choices = [TeamChoice(team, role) for team, role in teams if team is not None]
            self.signed_in = SignedIn(user, choices)
        return self.decode(rows[0][0])


def _user_id(value: object) -> Any:
    """The user's primary key as the session data holds it (a string), or None."""
    try:
        return User._meta.pk.to_python(value)
    except ValidationError:
        return None


def _with_user(session: AbstractBaseSession, data: dict[str, Any]) -> Session:
    # Written on every save, so the column follows log-in, log-out and a cycled key.
    session = cast(Session, session)
    session.user_id = _user_id(data.get(auth.SESSION_KEY))
    return session


def user_for_request(request: HttpRequest) -> AbstractBaseUser | AnonymousUser:
    """What `django.contrib.auth.get_user(request)` returns, without its query when the
    session was read with that very user and Django's checks pass on them."""
    session = request.session
    user_id = _user_id(session.get(auth.SESSION_KEY))
    backend_path = session.get(auth.BACKEND_SESSION_KEY, "")
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


class _Columns:
    """One model's columns in the joined row: where they start, and the ORM's conversions
    of them (a SQLite datetime arrives as text)."""

    def __init__(self, model: type[models.Model], alias: str, start: int) -> None:
        self.model = model
        self.fields = model._meta.concrete_fields
        self.names = [field.attname for field in self.fields]
        self.cols = [field.get_col(alias) for field in self.fields]
        self.sql = ", ".join(f'{alias}."{field.column}"' for field in self.fields)
        self.start = start
        # Per database alias, the columns that have conversions at all (none on PostgreSQL):
        # the converters themselves are asked of each request's own connection.
        self.converted: dict[str, list[int]] = {}

    def _converters(self, col: Any, connection: BaseDatabaseWrapper) -> list[Any]:
        return connection.ops.get_db_converters(col) + col.get_db_converters(connection)

    def build(self, row: tuple[Any, ...], connection: BaseDatabaseWrapper) -> Any:
        values = list(row[self.start : self.start + len(self.fields)])
        if values[0] is None:  # the primary key: no such row joined
            return None
        converted = self.converted.get(connection.alias)
        if converted is None:
            converted = [i for i, col in enumerate(self.cols) if self._converters(col, connection)]
            self.converted[connection.alias] = converted
        for index in converted:
            col = self.cols[index]
            for convert in self._converters(col, connection):
                values[index] = convert(values[index], col, connection)
        return self.model.from_db(connection.alias, self.names, values)


_USER = _Columns(User, "u", 1)
_TEAM = _Columns(Team, "t", 1 + len(_USER.fields))

# The session, its user and their teams by name. An org admin works in every team, without
# a role (as in selectors.team_choices); an inactive person in none. The tables and columns
# are this app's and django.contrib.auth's own; values go as parameters.
_SQL = f"""
    SELECT s.session_data, {_USER.sql}, {_TEAM.sql}, m.role
    FROM "{Session._meta.db_table}" s
    LEFT JOIN "{User._meta.db_table}" u ON u.id = s.user_id
    LEFT JOIN "{Membership._meta.db_table}" m ON m.user_id = u.id AND NOT u.is_superuser
    LEFT JOIN "{Team._meta.db_table}" t ON u.is_active AND (t.id = m.team_id OR u.is_superuser)
    WHERE s.session_key = %s AND s.expire_date > %s
    ORDER BY t.name
"""  # noqa: S608
