from __future__ import annotations

import factory
from django.contrib.auth import get_user_model

from llmadmin.teams.models import Membership, Role, Team

PASSWORD = "correct horse battery staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password(PASSWORD)


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team
        django_get_or_create = ("slug",)

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    team = factory.SubFactory(TeamFactory)
    role = Role.EDITOR


def member(role: str, team: Team | None = None, username: str | None = None):
    """A user with `role` in `team` (a new team if none)."""
    user = UserFactory(username=username) if username else UserFactory()
    MembershipFactory(user=user, team=team or TeamFactory(), role=role)
    return user
