"""What a script is refused, through the official SDK and plain HTTP: each answer in the
contract's error shape, each refusal in the audit log, and nothing sent to Vectara."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest
from django.http import QueryDict
from django.utils import timezone
from vectara.core.api_error import ApiError
from vectara.errors import BadRequestError, ForbiddenError, NotFoundError
from vectara.types import CreateLlmRequest_OpenaiCompatible, RemoteAuth_Bearer

from llmadmin.api.models import APIKey
from llmadmin.audit.models import AuditEvent
from llmadmin.llms.forms import LLMCreateForm
from llmadmin.llms.models import LLMDefinition
from llmadmin.teams.models import Membership
from tests.api.conftest import URI, check_answer
from tests.teams.factories import TeamFactory, member

pytestmark = pytest.mark.django_db(transaction=True)

TOKEN = "sk-refusal-token-0123456789"


def request(name: str = "scripted", uri: str = URI) -> object:
    return CreateLlmRequest_OpenaiCompatible(
        name=name, model="gpt-4o", uri=uri, auth=RemoteAuth_Bearer(token=TOKEN)
    )


@pytest.fixture
def platform():
    return TeamFactory(name="Platform", slug="platform")


def posts_upstream(emulator) -> int:
    return sum(1 for r in emulator.requests if r.method != "GET")


def test_a_viewer_key_is_refused_a_create_with_the_contract_error(
    sdk, make_key, platform, emulator
):
    client = sdk(make_key(member("viewer", platform, username="vic"), platform, "viewer"))
    with pytest.raises(ForbiddenError) as refused:
        client.llms.create(request=request())
    assert "editor or admin role in the team Platform" in refused.value.body.messages[0]
    assert posts_upstream(emulator) == 0
    event = AuditEvent.objects.get(action="access.denied")
    assert (event.actor_username, event.details["action"], event.details["via"]) == (
        "vic",
        "llm.create",
        "api",
    )


def test_a_key_with_a_lower_role_than_its_owner_gets_only_that_role(
    sdk, make_key, platform, emulator
):
    client = sdk(make_key(member("admin", platform, username="ada"), platform, "viewer"))
    with pytest.raises(ForbiddenError):
        client.llms.create(request=request())
    assert posts_upstream(emulator) == 0


def test_another_teams_llm_is_not_found(sdk, make_key, platform, emulator):
    admin = sdk(make_key(member("admin", platform, username="ada"), platform, "admin"))
    created = admin.llms.create(request=request("platform-only"))
    other = TeamFactory(name="Other", slug="other")
    outsider = sdk(make_key(member("admin", other, username="oz"), other, "admin"))
    for call in (
        lambda: outsider.llms.get(created.id),
        lambda: outsider.llms.get("platform-only"),
        lambda: outsider.llms.delete(created.id),
    ):
        with pytest.raises(NotFoundError) as missing:
            call()
        assert dict(missing.value.body)["id"] in (created.id, "platform-only")
    assert [llm.name for llm in outsider.llms.list()] == []
    assert emulator.store.get(created.id) is not None


def test_an_editor_may_not_delete(sdk, make_key, platform, emulator):
    editor = sdk(make_key(member("editor", platform, username="erin"), platform, "editor"))
    created = editor.llms.create(request=request())
    with pytest.raises(ForbiddenError) as refused:
        editor.llms.delete(created.id)
    assert "admin role" in refused.value.body.messages[0]
    assert emulator.store.get(created.id) is not None


def test_a_body_the_form_refuses_gets_its_sentence_at_the_field(sdk, make_key, platform, emulator):
    client = sdk(make_key(member("editor", platform, username="erin"), platform, "editor"))
    with pytest.raises(BadRequestError) as refused:
        client.llms.create(request=request(uri="https://169.254.169.254/latest/meta-data"))
    errors = dict(refused.value.body)["field_errors"]
    form = LLMCreateForm(QueryDict("uri=https://169.254.169.254/latest/meta-data"))
    assert errors == {"uri": form.errors["uri"][0]}  # the form's own sentence
    assert posts_upstream(emulator) == 0
    assert not LLMDefinition.objects.exists()


def test_bodies_that_break_the_contract_are_400_with_field_errors(
    live_server, make_key, platform, emulator, dns_records
):
    raw = make_key(member("editor", platform, username="erin"), platform, "editor")
    cases = [
        ({"type": "openai-compatible", "name": 7, "model": "m", "uri": URI}, "name"),
        (
            {
                "type": "openai-compatible",
                "name": "n",
                "model": "m",
                "uri": URI,
                "auth": {"type": "bearer", "token": TOKEN},
                "headers": {"Authorization": "x"},
            },
            "headers.Authorization",
        ),
        (
            {
                "type": "openai-compatible",
                "name": "n",
                "model": "m",
                "uri": URI,
                "auth": {"type": "carrier-pigeon"},
            },
            "auth.type",
        ),
        (
            {
                "type": "openai-compatible",
                "name": "n",
                "model": "m",
                "uri": URI,
                "auth": {"type": "bearer", "token": TOKEN},
                "idle_timeout_seconds": 0,
            },
            "idle_timeout_seconds",
        ),
        (
            {
                "type": "openai-compatible",
                "name": "n",
                "model": "m",
                "uri": URI,
                "auth": {"type": "bearer", "token": TOKEN},
                "surprise": True,
            },
            "surprise",
        ),
    ]
    for body, path in cases:
        answer = httpx.post(f"{live_server.url}/v2/llms", json=body, headers={"x-api-key": raw})
        assert answer.status_code == 400, body
        errors = check_answer("POST", "/v2/llms", 400, answer.text)["field_errors"]
        assert path in errors, (body, errors)
    garbage = httpx.post(
        f"{live_server.url}/v2/llms",
        content=b"{not json",
        headers={"x-api-key": raw, "Content-Type": "application/json"},
    )
    assert garbage.status_code == 400
    check_answer("POST", "/v2/llms", 400, garbage.text)
    assert posts_upstream(emulator) == 0


def test_paging_refuses_a_bad_limit_and_a_foreign_page_key(live_server, make_key, platform):
    raw = make_key(member("viewer", platform, username="vic"), platform, "viewer")
    for query in ("limit=0", "limit=101", "filter=(", "page_key=nonsense"):
        answer = httpx.get(f"{live_server.url}/v2/llms?{query}", headers={"x-api-key": raw})
        assert answer.status_code == 400, query
        check_answer("GET", "/v2/llms", 400, answer.text)


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing"),
        ({"x-api-key": "zqt_not-ours"}, "malformed"),
        ({"Authorization": "Bearer lla_0123abcd_" + "A" * 43}, "unknown"),
    ],
)
def test_no_usable_key_is_401_and_one_event(live_server, headers, reason, settings, db):
    settings.LLMADMIN_AUDIT_COALESCE_SECONDS = 60
    for _ in range(3):
        answer = httpx.get(f"{live_server.url}/v2/llms", headers=headers)
        assert answer.status_code == 401
        check_answer("GET", "/v2/llms", 401, answer.text)
    events = AuditEvent.objects.filter(action="apikey.use")
    assert [e.details["reason"] for e in events] == [reason]


def test_revoked_expired_and_orphaned_keys_are_refused_at_once(sdk, make_key, platform):
    ada = member("admin", platform, username="ada")
    revoked, expired, orphaned = (make_key(ada, platform, "admin") for _ in range(3))
    APIKey.objects.filter(prefix=revoked.split("_")[1]).update(revoked_at=timezone.now())
    APIKey.objects.filter(prefix=expired.split("_")[1]).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    sdk(orphaned).llms.list()  # works while ada is an admin ...
    Membership.objects.filter(user=ada).update(role="editor")  # ... and not a moment after
    for raw, status in ((revoked, 401), (expired, 401), (orphaned, 403)):
        with pytest.raises(ApiError) as refused:
            list(sdk(raw).llms.list())
        assert refused.value.status_code == status
    reasons = set(
        AuditEvent.objects.filter(action="apikey.use").values_list("details__reason", flat=True)
    )
    assert reasons == {"revoked", "expired", "role lost"}


def test_a_key_is_rate_limited_with_retry_after(live_server, make_key, platform, settings):
    settings.LLMADMIN_API_RATE_PER_MINUTE = 2
    raw = make_key(member("viewer", platform, username="vic"), platform, "viewer")
    answers = [
        httpx.get(f"{live_server.url}/v2/llms", headers={"x-api-key": raw}) for _ in range(3)
    ]
    assert [a.status_code for a in answers] == [200, 200, 429]
    assert 1 <= int(answers[2].headers["Retry-After"]) <= 60
    check_answer("GET", "/v2/llms", 429, answers[2].text)
    other = make_key(member("viewer", platform, username="val"), platform, "viewer")
    assert httpx.get(f"{live_server.url}/v2/llms", headers={"x-api-key": other}).status_code == 200


def test_no_session_and_no_csrf(live_server, make_key, platform, client, emulator, dns_records):
    """A signed-in browser's cookie opens nothing under /v2/, and a key needs no CSRF token."""
    viewer = member("viewer", platform, username="vic")
    client.force_login(viewer)
    cookie = client.cookies["sessionid"].value
    answer = httpx.get(f"{live_server.url}/v2/llms", cookies={"sessionid": cookie})
    assert answer.status_code == 401
    raw = make_key(member("editor", platform, username="erin"), platform, "editor")
    body = {
        "type": "openai-compatible",
        "name": "no-csrf",
        "model": "m",
        "uri": URI,
        "auth": {"type": "bearer", "token": TOKEN},
    }
    created = httpx.post(f"{live_server.url}/v2/llms", json=body, headers={"x-api-key": raw})
    assert created.status_code == 201
    assert "set-cookie" not in created.headers
    assert created.headers["Content-Type"] == "application/json"
    unknown = httpx.get(f"{live_server.url}/v2/nothing-here", headers={"x-api-key": raw})
    assert (unknown.status_code, unknown.headers["Content-Type"]) == (404, "application/json")


def test_the_openapi_document_is_served(live_server, db):
    answer = httpx.get(f"{live_server.url}/v2/openapi.json")
    document = answer.json()
    assert answer.status_code == 200
    assert document["servers"] == [{"url": live_server.url}]
    assert document["components"]["securitySchemes"]["ApiKeyAuth"]["name"] == "x-api-key"
    assert set(document["paths"]) == {"/v2/llms", "/v2/llms/{llm_id}"}
