"""The LLM endpoint URI policy: what an admin may register with Vectara, and what they are told."""

from __future__ import annotations

import socket
import time

import pytest
from hypothesis import given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from llmadmin.llms import uri_policy
from llmadmin.llms.uri_policy import (
    UnresolvableHost,
    UriCheck,
    UriRejected,
    check_uri,
    hint_for_type,
    provider_hint,
    system_resolver,
)
from tests.adversarial.corpus import HOSTILE, LEGITIMATE, RECORDS, resolve


def nothing_resolves(host: str) -> list[str]:
    raise UnresolvableHost(host)


def check(uri: str, **kwargs: object) -> UriCheck:
    kwargs.setdefault("resolver", resolve)
    kwargs.setdefault("allow_http", False)
    kwargs.setdefault("allowed_hosts", [])
    return check_uri(uri, **kwargs)


def refusal(uri: str, **kwargs: object) -> str:
    with pytest.raises(UriRejected) as caught:
        check(uri, **kwargs)
    message = caught.value.message
    assert str(caught.value) == message
    assert message[0].isupper() and message.endswith("."), message
    return message


def test_the_hostile_corpus_is_large_enough() -> None:
    assert len(HOSTILE) >= 80


@pytest.mark.parametrize(("uri", "words"), HOSTILE)
def test_hostile_uri_is_refused_with_a_sentence_naming_the_problem(uri: str, words: str) -> None:
    message = refusal(uri)
    assert words.lower() in message.lower(), message


def test_address_refusals_explain_the_reason_and_the_way_out() -> None:
    message = refusal("https://127.0.0.1/")
    assert "server-side request forgery" in message
    assert "Use the model server's public address." in message
    assert "LLMADMIN_URI_ALLOWED_HOSTS" in message


def test_metadata_refusal_does_not_suggest_the_allow_list() -> None:
    assert "LLMADMIN_URI_ALLOWED_HOSTS" not in refusal("https://169.254.169.254/")


@pytest.mark.parametrize(("uri", "host"), LEGITIMATE)
def test_legitimate_uri_is_accepted(uri: str, host: str) -> None:
    result = check(uri)
    assert result.host == host
    assert result.addresses == tuple(RECORDS.get(host, [host]))
    assert result.warnings == ()
    assert result.uri.startswith(f"https://{host}") or result.uri.startswith(f"https://[{host}]")


def test_unresolvable_name_is_accepted_with_a_warning() -> None:
    result = check("https://api.example.net/v1/chat/completions")
    assert result.addresses == ()
    assert result.warnings == (
        "The name api.example.net does not resolve from this dashboard's network; Vectara will"
        " resolve it from its own. Check the spelling.",
    )


def test_a_resolver_returning_nothing_counts_as_unresolved() -> None:
    result = check("https://api.example.net/v1", resolver=lambda host: [])
    assert result.addresses == ()
    assert "does not resolve" in result.warnings[0]


def test_the_resolver_gets_the_ascii_host_without_trailing_dot() -> None:
    asked: list[str] = []

    def recording(host: str) -> list[str]:
        asked.append(host)
        return ["1.1.1.1"]

    check("https://LLM.Bücher.example.com./v1", resolver=recording)
    check("https://8.8.8.8/v1", resolver=recording)
    assert asked == ["llm.xn--bcher-kva.example.com"]


def test_addresses_are_deduplicated_in_resolver_order() -> None:
    records = ["8.8.8.8", "1.1.1.1", "8.8.8.8"]
    assert check("https://llm.example.com/", resolver=lambda h: records).addresses == (
        "8.8.8.8",
        "1.1.1.1",
    )


def test_http_is_refused_unless_allowed() -> None:
    assert "LLMADMIN_URI_ALLOW_HTTP" in refusal("http://llm.example.com/v1")
    result = check("http://llm.example.com/v1", allow_http=True)
    assert (result.uri, result.port) == ("http://llm.example.com/v1", 80)
    assert result.warnings == (
        "This URI uses plain http, so the API key and prompts travel unencrypted.",
    )


def test_allowing_http_does_not_admit_internal_addresses() -> None:
    assert "loopback" in refusal("http://127.0.0.1:11434/v1", allow_http=True)


def test_settings_are_the_defaults(settings) -> None:
    settings.LLMADMIN_URI_ALLOW_HTTP = True
    settings.LLMADMIN_URI_ALLOWED_HOSTS = ["gpu-box.example.net"]
    settings.LLMADMIN_DNS_RESOLVER = "tests.llms.test_uri_policy.resolve"
    result = check_uri("http://gpu-box.example.net:8000/v1")
    assert result.addresses == ("192.168.1.20",)
    settings.LLMADMIN_URI_ALLOW_HTTP = False
    settings.LLMADMIN_URI_ALLOWED_HOSTS = []
    with pytest.raises(UriRejected, match="Plain http"):
        check_uri("http://gpu-box.example.net:8000/v1")
    with pytest.raises(UriRejected, match=r"resolves to 192\.168\.1\.20"):
        check_uri("https://gpu-box.example.net:8000/v1")


def test_allow_list_admits_a_private_name_case_insensitively() -> None:
    result = check("https://ollama.internal:11434/v1", allowed_hosts=["Ollama.Internal."])
    assert (result.host, result.port, result.addresses) == ("ollama.internal", 11434, ("10.0.0.5",))


def test_allow_list_admits_private_literals_and_dotless_names() -> None:
    assert check("https://10.0.0.5:8000/v1", allowed_hosts=["10.0.0.5"]).addresses == ("10.0.0.5",)
    assert check("https://[fd00::5]/v1", allowed_hosts=["[fd00::5]"]).host == "fd00::5"
    assert check("https://ollama:11434/v1", allowed_hosts=["ollama"]).host == "ollama"


def test_allow_list_admits_only_the_listed_host() -> None:
    assert "10.0.0.6" in refusal("https://10.0.0.6/v1", allowed_hosts=["10.0.0.5"])
    assert "192.168.1.20" in refusal("https://gpu-box.example.net/", allowed_hosts=["ollama"])


def test_allow_list_still_requires_allow_http_for_http() -> None:
    assert "Plain http" in refusal("http://10.0.0.5/v1", allowed_hosts=["10.0.0.5"])
    assert check("http://10.0.0.5/v1", allowed_hosts=["10.0.0.5"], allow_http=True).port == 80


def test_allow_list_never_admits_cloud_metadata() -> None:
    assert "metadata" in refusal("https://169.254.169.254/", allowed_hosts=["169.254.169.254"])
    assert "metadata" in refusal(
        "https://metadata.google.internal/", allowed_hosts=["metadata.google.internal"]
    )


@pytest.mark.parametrize(
    ("uri", "expected", "host", "port"),
    [
        (
            "HTTPS://API.OpenAI.COM./v1/Chat/Completions?Api-Version=X",
            "https://api.openai.com/v1/Chat/Completions?Api-Version=X",
            "api.openai.com",
            443,
        ),
        (
            "https://Bücher.example.com:8443/v1?q=Ü",
            "https://xn--bcher-kva.example.com:8443/v1?q=Ü",
            "xn--bcher-kva.example.com",
            8443,
        ),
        (
            "https://\uff4c\uff4c\uff4d\uff0eexample\u3002com/v1",
            "https://llm.example.com/v1",
            "llm.example.com",
            443,
        ),
        (
            "https://[2606:4700:0:0:0:0:0:1]:8443/v1",
            "https://[2606:4700::1]:8443/v1",
            "2606:4700::1",
            8443,
        ),
        ("https://134744072/v1", "https://8.8.8.8/v1", "8.8.8.8", 443),
        (
            "https://llm.example.com:0443/v1",
            "https://llm.example.com:443/v1",
            "llm.example.com",
            443,
        ),
    ],
)
def test_uri_is_normalised_for_upstream(uri: str, expected: str, host: str, port: int) -> None:
    result = check(uri, resolver=lambda h: ["1.1.1.1"])
    assert (result.uri, result.host, result.port) == (expected, host, port)


def test_internationalised_and_numeric_hosts_carry_a_warning() -> None:
    idn = check("https://münchen-llm.de/v1").warnings
    assert idn == (
        "The host münchen-llm.de is an internationalised name and is sent as"
        " xn--mnchen-llm-9db.de; make sure it is the host you meant.",
    )
    numeric = check("https://134744072/v1").warnings
    assert numeric == ("The host 134744072 was read as the IPv4 address 8.8.8.8, as sent.",)


def test_ip_literals_are_not_looked_up() -> None:
    def exploding(host: str) -> list[str]:
        raise AssertionError(host)

    assert check("https://8.8.8.8/v1", resolver=exploding).addresses == ("8.8.8.8",)


# --- provider hints ------------------------------------------------------------------------


def test_azure_hint_is_header_api_key() -> None:
    hint = check(LEGITIMATE[2][0]).hint
    assert hint is not None
    assert (hint.provider, hint.auth_type, hint.header) == ("Azure OpenAI", "header", "api-key")
    assert hint.message == (
        "Azure OpenAI expects the key in the header api-key; choose 'Custom header' with header"
        " name api-key."
    )


def test_azure_hint_explains_the_path_when_api_version_is_missing() -> None:
    hint = provider_hint(
        "my-resource.openai.azure.com", "/openai/deployments/gpt-4o/chat/completions"
    )
    assert hint is not None
    assert "/openai/deployments/<deployment>/chat/completions?api-version=" in hint.message


def test_anthropic_hint_is_header_x_api_key_and_mentions_the_version_header() -> None:
    hint = check("https://api.anthropic.com/v1/messages").hint
    assert hint is not None
    assert (hint.provider, hint.auth_type, hint.header) == ("Anthropic", "header", "x-api-key")
    assert "anthropic-version" in hint.message
    assert "The path is usually" not in hint.message


def test_openai_hint_is_bearer() -> None:
    hint = check("https://api.openai.com/v1/chat/completions").hint
    assert hint is not None
    assert (hint.provider, hint.auth_type, hint.header) == ("OpenAI", "bearer", None)
    assert hint.message == "OpenAI takes the key as a bearer token; choose 'Bearer token'."


def test_hint_adds_the_usual_path_when_the_path_looks_wrong() -> None:
    hint = provider_hint("api.openai.com", "/v1/completion")
    assert hint is not None
    assert hint.message.endswith(
        " The path is usually /v1/chat/completions, or /v1/responses for the openai-responses type."
    )


@pytest.mark.parametrize(
    ("host", "path", "provider", "auth_type", "header"),
    [
        ("us-central1-aiplatform.googleapis.com", "/v1/x", "Vertex AI", None, None),
        ("aiplatform.googleapis.com", "/v1/x", "Vertex AI", None, None),
        (
            "generativelanguage.googleapis.com",
            "/v1beta/openai/chat/completions",
            "Google AI Studio",
            "bearer",
            None,
        ),
        (
            "generativelanguage.googleapis.com",
            "/v1beta/models/gemini-2.0-flash:generateContent",
            "Google AI Studio",
            "header",
            "x-goog-api-key",
        ),
        ("OpenRouter.AI.", "/api/v1/chat/completions", "OpenRouter", "bearer", None),
        ("api.groq.com", "/openai/v1/chat/completions", "Groq", "bearer", None),
        ("api.mistral.ai", "/v1/chat/completions", "Mistral", "bearer", None),
        ("api.together.xyz", "/v1/chat/completions", "Together AI", "bearer", None),
        ("api.fireworks.ai", "/inference/v1/chat/completions", "Fireworks AI", "bearer", None),
        ("api.deepseek.com", "/chat/completions", "DeepSeek", "bearer", None),
        ("API.ANTHROPIC.COM", "/v1/messages", "Anthropic", "header", "x-api-key"),
    ],
)
def test_provider_hints(
    host: str, path: str, provider: str, auth_type: str | None, header: str | None
) -> None:
    hint = provider_hint(host, path)
    assert hint is not None
    assert (hint.provider, hint.auth_type, hint.header) == (provider, auth_type, header)
    assert hint.message.startswith(provider) and hint.message.endswith(".")


@pytest.mark.parametrize(
    "host",
    ["llm.example.com", "api.openai.com.evil.example", "openai.azure.com", "evilapi.openai.com"],
)
def test_unknown_and_lookalike_hosts_get_no_hint(host: str) -> None:
    assert provider_hint(host, "/v1/chat/completions") is None


# --- the system resolver -------------------------------------------------------------------


def test_system_resolver_returns_unique_addresses(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake(host: str, port: object, **kwargs: object) -> list[tuple]:
        tcp = socket.AF_INET, socket.SOCK_STREAM, 6, ""
        return [(*tcp, ("1.1.1.1", 0)), (*tcp, ("1.1.1.1", 0)), (*tcp, ("2606:4700::1", 0, 0, 0))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    assert system_resolver("llm.example.com") == ["1.1.1.1", "2606:4700::1"]


def test_system_resolver_turns_lookup_failure_into_unresolvable(monkeypatch) -> None:
    def failing(*args: object, **kwargs: object) -> list[tuple]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", failing)
    with pytest.raises(UnresolvableHost):
        system_resolver("api.example.net")


def test_system_resolver_gives_up_after_the_time_out(monkeypatch) -> None:
    def slow(*args: object, **kwargs: object) -> list[tuple]:
        time.sleep(0.5)
        return []

    monkeypatch.setattr(socket, "getaddrinfo", slow)
    monkeypatch.setattr(uri_policy, "DNS_TIMEOUT_SECONDS", 0.05)
    started = time.monotonic()
    with pytest.raises(UnresolvableHost, match="timed out"):
        system_resolver("slow.example.com")
    assert time.monotonic() - started < 0.4


# --- robustness ----------------------------------------------------------------------------

PIECES = st.sampled_from(
    ["https://", "http://", "[", "]", ":", "@", "%25", "#", "/", "?", ".", "0x", "0", "127",
     "::ffff:", "1", "\uff11", "\uff0e", "\u3002", "xn--", "-", "a", "localhost", "\\", " ",
     "\u24db", "8443", "api.openai.com", "ü", "\u200d", "fe80::"]
)  # fmt: skip


@hypothesis_settings(max_examples=400, deadline=None)
@given(
    st.one_of(st.text(), st.lists(PIECES).map("".join), st.text().map("https://".__add__)),
    st.booleans(),
)
def test_any_text_is_either_checked_or_refused(text: str, allow_http: bool) -> None:
    try:
        result = check_uri(text, resolver=nothing_resolves, allow_http=allow_http, allowed_hosts=[])
    except UriRejected as exc:
        assert exc.message and str(exc) == exc.message
    else:
        assert result.uri.startswith(("https://", "http://" if allow_http else "https://"))
        assert result.host and 1 <= result.port <= 65535
        assert result.addresses in ((), (result.host,))


@pytest.mark.parametrize(
    "uri",
    [
        "https://generativelanguage.googleapis.com/v1beta?key=AIzaSyA-secret",
        "https://llm.example.com/v1/chat/completions?api_key=sk-123",
        "https://llm.example.com/v1/chat/completions?a=1&Token=abc",
        "https://llm.example.com/v1?sig=abcdef&se=2030",
    ],
)
def test_a_credential_in_the_query_string_is_refused_and_never_echoed(uri: str) -> None:
    with pytest.raises(UriRejected) as caught:
        check_uri(uri, resolver=lambda host: ["8.8.8.8"])
    assert "authentication fields" in caught.value.message
    assert uri.rsplit("=", 1)[1] not in caught.value.message


def test_a_hint_never_offers_what_the_chosen_type_lacks() -> None:
    openai = provider_hint("api.openai.com", "/v1/chat/completions")
    studio = provider_hint("generativelanguage.googleapis.com", "/v1beta/models/g:generateContent")
    assert openai is not None and studio is not None
    assert hint_for_type(openai, "openai-compatible") == openai
    assert hint_for_type(openai, "vertex-ai").message == (
        "OpenAI wants its key in a way this type can't send; "
        "choose the type 'OpenAI-compatible (chat completions)'."
    )
    vertex_studio = hint_for_type(studio, "vertex-ai")
    assert vertex_studio.auth_type == "api_key" and "choose 'API key'" in vertex_studio.message
    assert "Custom header" not in vertex_studio.message
