"""Issue 14, class 9: load balancers and uptime checkers probe with HEAD. Every URL that
answers GET answers HEAD the same way, without a body; the list of URLs comes from the
URLconf itself, so a view added later is covered without editing this file."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from llmadmin.audit.models import AuditEvent, Outcome
from llmadmin.audit.recorder import Origin, record
from llmadmin.llms.models import LLMDefinition
from tests.support.gunicorn import environment, gunicorn, manage
from tests.teams.factories import UserFactory, member


def _views(
    patterns: list[URLPattern | URLResolver], prefix: str = ""
) -> Iterator[tuple[str, set[str]]]:
    """Every named URL, with the names of the parameters it takes."""
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from _views(pattern.url_patterns, namespace)
        elif pattern.name:
            yield prefix + pattern.name, set(pattern.pattern.regex.groupindex)


@pytest.mark.django_db
def test_every_page_that_answers_get_answers_head_alike(client, team, emulator) -> None:
    root = UserFactory(username="root-head", is_superuser=True)
    colleague = member("viewer", team)
    llm = LLMDefinition.objects.create(
        team=team, vectara_id="llm_head", name="gpt-head", type="openai-compatible"
    )
    client.force_login(root)
    record(origin=Origin.system("test"), action="test.head", outcome=Outcome.SUCCESS)

    event = AuditEvent.objects.order_by("id").first()
    values = {
        "slug": team.slug,
        "fmt": "csv",
        "pk": {
            "teams": colleague.memberships.get().pk,
            "audit": event.pk,
            "llms": llm.pk,
            "apikeys": 1,  # its only view is POST-only
        },
        "llm_id": llm.vectara_id,
    }
    checked = []
    for name, params in _views(get_resolver().url_patterns):
        app = name.split(":")[0]
        kwargs = {p: values[p][app] if p == "pk" else values[p] for p in params}
        url = reverse(name, kwargs=kwargs or None)
        got = client.get(url)
        if got.status_code == 405:
            continue  # POST-only: HEAD has nothing to mirror
        head = client.head(url)
        assert head.status_code == got.status_code, (name, url, head.status_code)
        body = b"".join(head.streaming_content) if head.streaming else head.content
        assert body == b"", name
        checked.append(name)
    assert {"healthz", "llms:list", "llms:detail", "audit:events", "login"} <= set(checked)


def test_gunicorn_answers_head_on_healthz_without_a_body(tmp_path) -> None:
    env = environment(DATABASE_URL=f"sqlite:///{tmp_path}/db.sqlite3", WEB_CONCURRENCY="1")
    assert manage("migrate", "--noinput", env=env).returncode == 0
    with gunicorn(env, tmp_path / "gunicorn.log") as server:
        answer = requests.head(f"{server.url}/healthz", timeout=10)
        assert answer.status_code == 200
        assert answer.content == b""
        assert answer.headers["Content-Type"] == "application/json"
