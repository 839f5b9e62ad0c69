"""The URI corpus (tests/adversarial/corpus.py) against every entry point that takes a URI:
the inline check, the create form, test connection, the edit form, the OAuth token endpoint
and the token_uri inside a service account key. Hostile ones are refused with a sentence and
nothing is sent anywhere; legitimate ones go through.

Each test walks the whole corpus and reports every URI that misbehaved, not just the first.
"""

from __future__ import annotations

import json
import re
from html import unescape

import pytest

from llmadmin.llms import outbound
from llmadmin.llms.models import LLMDefinition
from tests.adversarial.corpus import (
    ENTRY_POINT_HOSTILE,
    HOSTILE,
    LEGITIMATE,
    RECORDS,
    STRIPPED_BY_FORMS,
    TOKEN_ENDPOINTS,
    refusal_of,
)
from tests.llms.cases import SA_KEY
from tests.llms.lifecycle_support import seeded
from tests.support import contract

TOKEN = "sk-uri-corpus-0123456789abcdef"
# What Django's own field checks say before the URI policy is asked (the field's max_length
# and the project's single_line validator): a refusal too, only worded by the form.
FIELD_LEVEL = ("Ensure this value has at most", "Remove the invisible control character")


@pytest.fixture
def dns(dns_records):
    dns_records.update(RECORDS)
    return dns_records


@pytest.fixture
def connections(monkeypatch):
    """Every outbound connection test connection makes (a tripwire that still connects)."""
    made: list[outbound.Target] = []
    real = outbound.post

    def spy(target, **kwargs):
        made.append(target)
        return real(target, **kwargs)

    monkeypatch.setattr(outbound, "post", spy)
    return made


def errors_of(html: str, field: str) -> list[str]:
    """The errors Django rendered beside one field, as the person reads them."""
    found = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html, re.S)
    if not found:
        return []
    return [unescape(m) for m in re.findall(r"<li>(.*?)</li>", found.group(1), re.S)]


def text_of(response) -> str:
    return " ".join(unescape(response.content.decode()).split())


def refused_as_expected(uri: str, shown: list[str] | str) -> bool:
    """The policy's own sentence is shown, or the form refused it earlier in its own words."""
    expected = refusal_of(uri)
    assert expected is not None, uri
    text = " ".join(shown) if isinstance(shown, list) else shown
    expected = " ".join(expected.split())
    return expected in " ".join(text.split()) or any(words in text for words in FIELD_LEVEL)


def create_fields(uri: str, name: str = "corpus", **extra: str) -> dict[str, str]:
    return {
        "type": "openai-compatible",
        "name": name,
        "model": "gpt-4o",
        "uri": uri,
        "auth_type": "bearer",
        "token": TOKEN,
        **extra,
    }


# --- the corpus itself --------------------------------------------------------------------


def test_the_corpus_is_large_and_covers_every_range() -> None:
    assert len(ENTRY_POINT_HOSTILE) >= 80 and len(LEGITIMATE) >= 20
    # Only whitespace around a URI (and a blank one) is made harmless by the forms' stripping.
    assert sorted(STRIPPED_BY_FORMS) == sorted(
        [
            "",
            " https://api.openai.com/v1",
            "https://api.openai.com/v1\n",
            "https://api.openai.com/\t",
        ]
    )
    words = " ".join(w for _, w in HOSTILE).lower()
    for kind in (
        "loopback", "private", "carrier-grade nat", "link-local", "multicast", "reserved",
        "metadata", "unspecified", "user information", "scheme", "resolves to", "carries the ipv4",
        "unique-local", "documentation", "253 characters",
    ):  # fmt: skip
        assert kind in words, kind


# --- the inline check ---------------------------------------------------------------------


def test_the_inline_check_refuses_every_hostile_uri_with_its_sentence(
    editor_client, emulator, dns
) -> None:
    wrong = []
    for uri, _ in ENTRY_POINT_HOSTILE:
        response = editor_client.post("/llms/new/check-uri/", {"uri": uri}, HTTP_HX_REQUEST="true")
        html = response.content.decode()
        shown = [unescape(m) for m in re.findall(r'<p class="feedback error">(.*?)</p>', html)]
        if response.status_code != 200 or not shown or not refused_as_expected(uri, shown):
            wrong.append((uri, response.status_code, shown))
    assert wrong == []
    assert emulator.requests == []


def test_the_inline_check_accepts_every_legitimate_uri(editor_client, dns) -> None:
    wrong = []
    for uri, host in LEGITIMATE:
        response = editor_client.post("/llms/new/check-uri/", {"uri": uri}, HTTP_HX_REQUEST="true")
        text = text_of(response)
        if "feedback error" in response.content.decode() or f"{host} is a public" not in text:
            wrong.append((uri, text[:300]))
    assert wrong == []


# --- the create form ----------------------------------------------------------------------


def test_the_create_form_refuses_every_hostile_uri_and_calls_nobody(
    editor_client, emulator, dns
) -> None:
    wrong = []
    for uri, _ in ENTRY_POINT_HOSTILE:
        response = editor_client.post("/llms/new/", create_fields(uri))
        shown = errors_of(response.content.decode(), "uri")
        if response.status_code != 200 or not refused_as_expected(uri, shown):
            wrong.append((uri, response.status_code, shown))
    assert wrong == []
    assert emulator.requests == [], "a hostile URI reached Vectara"
    assert not LLMDefinition.objects.exists()


def test_the_create_form_registers_every_legitimate_uri(editor_client, emulator, dns) -> None:
    wrong = []
    for i, (uri, host) in enumerate(LEGITIMATE):
        emulator.requests.clear()
        response = editor_client.post("/llms/new/", create_fields(uri, name=f"legit-{i}"))
        posts = [r for r in emulator.requests if r.method == "POST"]
        if response.status_code != 302 or len(posts) != 1:
            wrong.append((uri, response.status_code, errors_of(response.content.decode(), "uri")))
            continue
        contract.validate("CreateLLMRequest", posts[0].json)
        if host not in posts[0].json["uri"]:
            wrong.append((uri, posts[0].json["uri"]))
    assert wrong == []
    assert LLMDefinition.objects.count() == len(LEGITIMATE)


# --- test connection ----------------------------------------------------------------------


def test_test_connection_refuses_every_hostile_uri_and_connects_nowhere(
    editor_client, emulator, dns, connections
) -> None:
    wrong = []
    for uri, _ in ENTRY_POINT_HOSTILE:
        response = editor_client.post(
            "/llms/test-connection/", create_fields(uri), HTTP_HX_REQUEST="true"
        )
        text = text_of(response)
        if response.status_code != 200 or not refused_as_expected(uri, text):
            wrong.append((uri, response.status_code, text[:300]))
    assert wrong == []
    assert connections == [], "test connection connected to a hostile address"
    assert emulator.requests == []


# --- the edit form ------------------------------------------------------------------------


def edit_fields(llm: LLMDefinition, uri: str, **extra: str) -> dict[str, str]:
    return {
        "type": llm.type,
        "description": llm.description,
        "model": llm.model,
        "uri": uri,
        "auth_type": llm.auth_type,
        "version": str(llm.version),
        "token": TOKEN,
        **extra,
    }


def test_the_edit_form_refuses_every_hostile_uri_and_sends_no_patch(
    editor_client, emulator, dns, team
) -> None:
    llm = seeded(emulator, team)
    emulator.requests.clear()
    wrong = []
    for uri, _ in ENTRY_POINT_HOSTILE:
        response = editor_client.post(f"/llms/{llm.pk}/edit/", edit_fields(llm, uri))
        shown = errors_of(response.content.decode(), "uri")
        if response.status_code != 200 or not refused_as_expected(uri, shown):
            wrong.append((uri, response.status_code, shown))
    assert wrong == []
    assert emulator.requests == [], "a hostile URI reached Vectara"
    llm.refresh_from_db()
    assert llm.uri == "https://api.openai.com/v1/chat/completions"


def test_the_edit_form_saves_every_legitimate_uri(editor_client, emulator, dns, team) -> None:
    llm = seeded(emulator, team)
    wrong = []
    for uri, host in LEGITIMATE:
        llm.refresh_from_db()
        emulator.requests.clear()
        response = editor_client.post(f"/llms/{llm.pk}/edit/", edit_fields(llm, uri))
        patches = [r for r in emulator.requests if r.method == "PATCH"]
        unchanged = "Nothing changed" in text_of(editor_client.get(f"/llms/{llm.pk}/"))
        if response.status_code != 302 or (len(patches) != 1 and not unchanged):
            wrong.append((uri, response.status_code, errors_of(response.content.decode(), "uri")))
            continue
        if patches:
            contract.validate("UpdateLLMRequest", patches[0].json)
            llm.refresh_from_db()
            if host not in llm.uri:
                wrong.append((uri, llm.uri))
    assert wrong == []


# --- the OAuth token endpoint and a service account's token_uri ---------------------------


def oauth_fields(token_endpoint: str) -> dict[str, str]:
    fields = create_fields("https://api.openai.com/v1/chat/completions")
    del fields["token"]
    return fields | {
        "auth_type": "oauth_client_credentials",
        "client_id": "llmadmin",
        "client_secret": TOKEN,
        "token_endpoint": token_endpoint,
    }


def test_the_token_endpoint_refuses_every_hostile_uri(editor_client, emulator, dns) -> None:
    wrong = []
    for uri, _ in ENTRY_POINT_HOSTILE:
        response = editor_client.post("/llms/new/", oauth_fields(uri))
        shown = errors_of(response.content.decode(), "token_endpoint")
        if response.status_code != 200 or not refused_as_expected(uri, shown):
            wrong.append((uri, response.status_code, shown))
    assert wrong == []
    assert emulator.requests == []


def test_the_token_endpoint_accepts_real_identity_providers(editor_client, emulator, dns) -> None:
    for i, uri in enumerate(TOKEN_ENDPOINTS):
        response = editor_client.post("/llms/new/", oauth_fields(uri) | {"name": f"oauth-{i}"})
        assert response.status_code == 302, errors_of(response.content.decode(), "token_endpoint")
    sent = [r.json["auth"]["token_endpoint"] for r in emulator.requests if r.method == "POST"]
    assert sent == TOKEN_ENDPOINTS


def vertex_fields(token_uri: str) -> dict[str, str]:
    key = json.loads(SA_KEY) | {"token_uri": token_uri}
    return {
        "type": "vertex-ai",
        "name": "vertex-corpus",
        "model": "gemini-2.0-flash",
        "uri": "https://us-central1-aiplatform.googleapis.com/v1/projects/p/locations/us-central1",
        "auth_type": "service_account",
        "key_json": json.dumps(key),
    }


def test_a_service_account_token_uri_is_checked_like_the_endpoint(
    editor_client, emulator, dns
) -> None:
    """Vectara fetches tokens from the key's token_uri, so a key file is a way to name a URI."""
    wrong = []
    for uri, _ in ENTRY_POINT_HOSTILE:
        if not uri.lower().startswith("https://"):
            continue  # refused as "malformed" by the key check, which never echoes the key
        response = editor_client.post("/llms/new/", vertex_fields(uri))
        shown = errors_of(response.content.decode(), "key_json")
        if response.status_code != 200 or not shown:
            wrong.append((uri, response.status_code, shown))
    assert wrong == []
    assert emulator.requests == [], "a hostile token_uri reached Vectara"
    ok = editor_client.post("/llms/new/", vertex_fields("https://oauth2.googleapis.com/token"))
    assert ok.status_code == 302
