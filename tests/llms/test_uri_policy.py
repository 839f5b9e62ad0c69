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
    provider_hint,
    system_resolver,
)

# What names resolve to in these tests; anything else does not resolve.
RECORDS: dict[str, list[str]] = {
    "api.openai.com": ["104.18.0.1", "2606:4700::1"],
    "my-resource.openai.azure.com": ["20.62.58.2"],
    "my-ai.cognitiveservices.azure.com": ["20.62.58.3"],
    "api.anthropic.com": ["160.79.104.10"],
    "us-central1-aiplatform.googleapis.com": ["142.250.72.10"],
    "europe-west4-aiplatform.googleapis.com": ["142.250.72.11"],
    "aiplatform.googleapis.com": ["142.250.72.12"],
    "generativelanguage.googleapis.com": ["142.250.72.13"],
    "openrouter.ai": ["104.18.2.115"],
    "api.groq.com": ["104.18.40.1"],
    "api.mistral.ai": ["104.18.41.1"],
    "api.together.xyz": ["104.18.42.1"],
    "api.fireworks.ai": ["104.18.43.1"],
    "api.deepseek.com": ["104.18.44.1"],
    "llm.example.com": ["1.1.1.1"],
    "vllm.example.org": ["8.8.4.4"],
    "1.example.com": ["8.8.8.8"],
    "xn--mnchen-llm-9db.de": ["104.18.0.9"],
    # Names that point inside: DNS rebinding and friends.
    "evil.example.com": ["127.0.0.1"],
    "rebind.example.com": ["8.8.8.8", "169.254.169.254"],
    "mixed.example.com": ["1.1.1.1", "10.0.0.7", "8.8.8.8"],
    "v6.example.com": ["2606:4700::1", "fd00::1"],
    "mapped.example.com": ["::ffff:10.0.0.1"],
    "127.0.0.1.nip.io": ["127.0.0.1"],
    "cgnat.example.com": ["100.64.1.1"],
    "zone.example.com": ["fe80::1%eth0"],
    "alibaba.example.com": ["100.100.100.200"],
    "garbage.example.com": ["not-an-ip"],
    "ollama.internal": ["10.0.0.5"],
    "gpu-box.example.net": ["192.168.1.20"],
}


def resolve(host: str) -> list[str]:
    try:
        return list(RECORDS[host])
    except KeyError:
        raise UnresolvableHost(host) from None


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


# (hostile URI, words the refusal must contain).
HOSTILE = [
    # Schemes other than https, and URIs that are not absolute.
    ("ftp://api.openai.com/v1", "scheme ftp:"),
    ("file:///etc/passwd", "scheme file:"),
    ("gopher://127.0.0.1:6379/_INFO", "scheme gopher:"),
    ("dict://127.0.0.1:11211/stats", "scheme dict:"),
    ("javascript:alert(1)", "scheme javascript:"),
    ("data:text/plain,hello", "scheme data:"),
    ("wss://api.openai.com/v1/realtime", "scheme wss:"),
    ("/v1/chat/completions", "absolute"),
    ("//api.openai.com/v1/chat/completions", "absolute"),
    ("api.openai.com/v1/chat/completions", "absolute"),
    ("localhost:11434/api/chat", "no scheme"),
    ("https:api.openai.com/v1", "must have // after https:"),
    ("https:/api.openai.com/v1", "must have // after https:"),
    ("", "Enter the model's endpoint URI"),
    # Plain http while it is not allowed.
    ("http://api.openai.com/v1/chat/completions", "Plain http:// is not allowed"),
    ("HTTP://api.openai.com/v1/chat/completions", "Plain http:// is not allowed"),
    # No host.
    ("https://", "no host"),
    ("https:///v1/chat/completions", "no host"),
    ("https://:443/v1", "no host"),
    ("https://?q=1", "no host"),
    # User-info and @ tricks.
    ("https://user:pass@api.openai.com/v1", "user information"),
    ("https://api.openai.com@169.254.169.254/", "user information"),
    ("https://api.openai.com:443@127.0.0.1/", "user information"),
    ("https://@api.openai.com/", "user information"),
    ("https://sk-abc%40x@api.openai.com/", "user information"),
    # Fragments.
    ("https://api.openai.com/v1/chat/completions#top", "fragment"),
    ("https://169.254.169.254#@api.openai.com/", "fragment"),
    ("https://api.openai.com/#", "fragment"),
    # Lengths.
    ("https://api.openai.com/" + "a" * 2048, "limit of 2048"),
    ("https://" + ("a" * 60 + ".") * 5 + "com/", "253 characters"),
    ("https://" + "a" * 64 + ".example.com/", "63 characters"),
    # Whitespace, control characters, backslashes.
    ("https://api.openai.com/v1/chat completions", "whitespace (U+0020)"),
    (" https://api.openai.com/v1", "whitespace (U+0020)"),
    ("https://api.openai.com\u3000/v1", "whitespace (U+3000)"),
    ("https://api.openai.com/\r\nHost: 127.0.0.1", "control character U+000D"),
    ("https://api.openai.com/v1\n", "control character U+000A"),
    ("https://api.openai.com/\t", "control character U+0009"),
    ("https://api.openai.com\x00.evil.com/", "control character U+0000"),
    ("https://api.openai.com/\u200b", "control character U+200B"),
    ("https://api.openai\u202e.com/", "control character U+202E"),
    ("https://api.openai.com\\@127.0.0.1/", "backslash"),
    ("https:\\\\127.0.0.1\\v1", "backslash"),
    # Ports.
    ("https://api.openai.com:0/v1", "port '0'"),
    ("https://api.openai.com:65536/v1", "port '65536'"),
    ("https://api.openai.com:-1/v1", "port '-1'"),
    ("https://api.openai.com:https/v1", "port 'https'"),
    ("https://api.openai.com:/v1", "port ''"),
    ("https://api.openai.com:4\uff143/v1", "is not a port number"),
    ("https://api.openai.com:443:443/v1", "host part api.openai.com:443:443 is malformed"),
    # Loopback, however it is written.
    ("https://127.0.0.1/v1", "127.0.0.1 is a loopback address"),
    ("https://127.0.0.1:11434/api/chat", "loopback"),
    ("https://127.1/", "writing 127.0.0.1 and is a loopback"),
    ("https://127.000.000.001/", "writing 127.0.0.1 and is a loopback"),
    ("https://2130706433/", "writing 127.0.0.1 and is a loopback"),
    ("https://0177.0.0.1/", "writing 127.0.0.1 and is a loopback"),
    ("https://0x7f.1/", "writing 127.0.0.1 and is a loopback"),
    ("https://0x7F000001/", "writing 127.0.0.1 and is a loopback"),
    ("https://017700000001/", "writing 127.0.0.1 and is a loopback"),
    ("https://0x7f.0.0.0x1/", "writing 127.0.0.1 and is a loopback"),
    ("https://127.0.0.1./", "127.0.0.1 and is a loopback"),
    ("https://[::1]/", "::1 is a loopback address"),
    ("https://[0:0:0:0:0:0:0:1]:8080/", "loopback"),
    (
        "https://\uff11\uff12\uff17\uff0e\uff10\uff0e\uff10\uff0e\uff11/",
        "127.0.0.1 and is a loopback",
    ),
    ("https://127\u30020\u30020\u30021/", "127.0.0.1 and is a loopback"),
    ("https://localhost/v1", "localhost means this machine"),
    ("https://LOCALHOST:8080/v1", "localhost means this machine"),
    ("https://localhost./v1", "localhost means this machine"),
    (
        "https://\u24db\u24de\u24d2\u24d0\u24db\u24d7\u24de\u24e2\u24e3/",
        "localhost means this machine",
    ),
    ("https://api.localhost/v1", "api.localhost means this machine"),
    ("https://localhost.localdomain/", "localhost.localdomain means this machine"),
    # The unspecified address.
    ("https://0.0.0.0/", "unspecified address"),
    ("https://0/", "writing 0.0.0.0 and is the unspecified"),
    ("https://[::]/", "unspecified address"),
    # Private and shared address space.
    ("https://10.0.0.1/v1", "10.0.0.1 is a private (RFC 1918) address"),
    ("https://10.1/", "writing 10.0.0.1 and is a private"),
    ("https://167772161/", "writing 10.0.0.1 and is a private"),
    ("https://172.16.0.1/", "private (RFC 1918)"),
    ("https://172.31.255.255/", "private (RFC 1918)"),
    ("https://192.168.1.10:8443/v1", "private (RFC 1918)"),
    ("https://0xc0.0xa8.0x1.0xa/", "writing 192.168.1.10 and is a private"),
    ("https://0300.0250.01.012/", "writing 192.168.1.10 and is a private"),
    ("https://100.64.0.1/", "carrier-grade NAT"),
    ("https://100.127.255.254/", "carrier-grade NAT"),
    # Link-local and cloud metadata.
    ("https://169.254.169.254/latest/meta-data/", "cloud metadata service address"),
    ("https://169.254.169.254./latest/meta-data/", "cloud metadata service address"),
    ("https://2852039166/", "writing 169.254.169.254 and is a cloud metadata"),
    ("https://0xa9fea9fe/", "writing 169.254.169.254 and is a cloud metadata"),
    ("https://0251.0376.0251.0376/", "writing 169.254.169.254 and is a cloud metadata"),
    ("https://169.254.1.1/", "link-local address"),
    ("https://[fe80::1]/", "link-local address"),
    ("https://[fe80::1%25eth0]/", "zone id (%25eth0)"),
    ("https://[fd00:ec2::254]/", "cloud metadata service address"),
    ("https://100.100.100.200/latest/meta-data/", "cloud metadata service address"),
    ("https://168.63.129.16/machine", "cloud metadata service address"),
    ("https://169.254.170.2/v2/credentials", "cloud metadata service address"),
    ("https://metadata.google.internal/computeMetadata/v1/", "metadata service name"),
    ("https://METADATA.GOOGLE.INTERNAL./computeMetadata/v1/", "metadata service name"),
    ("https://metadata/computeMetadata/v1/", "metadata service name"),
    ("https://instance-data/latest/", "metadata service name"),
    ("https://ollama.internal/v1", "local network name (.internal)"),
    ("https://printer.local/", "local network name (.local)"),
    ("https://router.home.arpa/", "local network name (.home.arpa)"),
    # IPv4 hidden inside IPv6.
    ("https://[::ffff:127.0.0.1]/", "carries the IPv4 address 127.0.0.1, which is a loopback"),
    ("https://[::ffff:7f00:1]/", "carries the IPv4 address 127.0.0.1, which is a loopback"),
    ("https://[::ffff:169.254.169.254]/", "169.254.169.254, which is a cloud metadata"),
    ("https://[::ffff:a9fe:a9fe]/", "169.254.169.254, which is a cloud metadata"),
    ("https://[::127.0.0.1]/", "carries the IPv4 address 127.0.0.1"),
    ("https://[::ffff:0:7f00:1]/", "carries the IPv4 address 127.0.0.1"),
    ("https://[2002:7f00:1::]/", "carries the IPv4 address 127.0.0.1"),
    ("https://[2002:a9fe:a9fe::1]/", "169.254.169.254, which is a cloud metadata"),
    ("https://[64:ff9b::7f00:1]/", "carries the IPv4 address 127.0.0.1"),
    ("https://[64:ff9b::a00:1]/", "10.0.0.1, which is a private"),
    ("https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", "carries the IPv4 address 127.0.0.1"),
    ("https://[::ffff:8.8.8.8]/", "transition form of the IPv4 address 8.8.8.8"),
    ("https://[fc00::1]/", "unique-local (private) IPv6 address"),
    ("https://[fd12:3456:789a::1]/", "unique-local (private) IPv6 address"),
    ("https://[fec0::1]/", "site-local (private) IPv6 address"),
    # Multicast, reserved, documentation, benchmarking, IETF.
    ("https://[ff02::1]/", "multicast address"),
    ("https://224.0.0.1/", "multicast address"),
    ("https://239.255.255.250/", "multicast address"),
    ("https://240.0.0.1/", "reserved address"),
    ("https://255.255.255.255/", "broadcast address"),
    ("https://192.0.2.1/", "documentation address"),
    ("https://203.0.113.7/", "documentation address"),
    ("https://[2001:db8::1]/", "documentation address"),
    ("https://198.18.0.1/", "benchmarking address"),
    ("https://192.0.0.8/", "IETF protocol-assignment"),
    ("https://0.1.2.3/", '"this network"'),
    # Hosts that are no valid name or address.
    ("https://foo.123/", "foo.123 ends in a number but is not a valid IPv4 address"),
    ("https://1.2.3.4.5/", "not a valid IPv4 address"),
    ("https://256.1.1.1/", "not a valid IPv4 address"),
    ("https://08.0.0.1/", "not a valid IPv4 address"),
    ("https://a_b.example.com/", "not allowed in a host name"),
    ("https://-api.openai.com/", "-api.openai.com is not a valid host name"),
    ("https://api..openai.com/", "empty part between dots"),
    ("https://\U0001f4a9.la/", "is not a valid host name"),
    ("https://xn--zz.com/", "xn--zz.com is not a valid host name"),
    ("https://pay\u05d0pal.com/", "is not a valid host name"),
    ("https://ollama:11434/api/chat", "ollama has no dot"),
    ("https://%6c%6f%63%61%6c%68%6f%73%74/", "percent-encoding"),
    ("https://[::1/", "is malformed"),
    ("https://[::1]x/", "is malformed"),
    ("https://[gggg::1]/", "[gggg::1] is not a valid IPv6 address"),
    ("https://::1/", "is malformed"),
    # Names that resolve (through the resolver) to refused addresses.
    ("https://evil.example.com/v1", "evil.example.com resolves to 127.0.0.1, which is a loopback"),
    ("https://rebind.example.com/v1", "resolves to 169.254.169.254, which is a cloud metadata"),
    ("https://mixed.example.com/v1", "resolves to 10.0.0.7, which is a private"),
    ("https://v6.example.com/v1", "resolves to fd00::1, which is a unique-local"),
    ("https://mapped.example.com/v1", "carries the IPv4 address 10.0.0.1"),
    ("https://127.0.0.1.nip.io/v1", "resolves to 127.0.0.1"),
    ("https://cgnat.example.com/v1", "resolves to 100.64.1.1, which is a carrier-grade NAT"),
    ("https://zone.example.com/v1", "resolves to fe80::1, which is a link-local"),
    ("https://alibaba.example.com/v1", "resolves to 100.100.100.200, which is a cloud metadata"),
    ("https://garbage.example.com/v1", "resolves to 'not-an-ip', which is not an IP address"),
]


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


# (legitimate URI, the host it is sent to).
LEGITIMATE = [
    ("https://api.openai.com/v1/chat/completions", "api.openai.com"),
    ("https://api.openai.com/v1/responses", "api.openai.com"),
    (
        "https://my-resource.openai.azure.com/openai/deployments/gpt-4o/chat/completions"
        "?api-version=2024-10-21",
        "my-resource.openai.azure.com",
    ),
    (
        "https://my-ai.cognitiveservices.azure.com/openai/deployments/gpt-4o-mini/chat/completions"
        "?api-version=2025-01-01-preview",
        "my-ai.cognitiveservices.azure.com",
    ),
    ("https://api.anthropic.com/v1/messages", "api.anthropic.com"),
    (
        "https://us-central1-aiplatform.googleapis.com/v1/projects/my-proj/locations/us-central1"
        "/endpoints/openapi/chat/completions",
        "us-central1-aiplatform.googleapis.com",
    ),
    (
        "https://europe-west4-aiplatform.googleapis.com/v1/projects/p/locations/europe-west4"
        "/publishers/google/models/gemini-2.0-flash:generateContent",
        "europe-west4-aiplatform.googleapis.com",
    ),
    (
        "https://aiplatform.googleapis.com/v1/projects/p/locations/global/endpoints/openapi"
        "/chat/completions",
        "aiplatform.googleapis.com",
    ),
    (
        "https://generativelanguage.googleapis.com/v1beta/openai/chat/completions",
        "generativelanguage.googleapis.com",
    ),
    (
        "https://generativelanguage.googleapis.com/v1beta/models/gemini-2.0-flash:generateContent",
        "generativelanguage.googleapis.com",
    ),
    ("https://openrouter.ai/api/v1/chat/completions", "openrouter.ai"),
    ("https://api.groq.com/openai/v1/chat/completions", "api.groq.com"),
    ("https://api.mistral.ai/v1/chat/completions", "api.mistral.ai"),
    ("https://api.together.xyz/v1/chat/completions", "api.together.xyz"),
    ("https://api.fireworks.ai/inference/v1/chat/completions", "api.fireworks.ai"),
    ("https://api.deepseek.com/chat/completions", "api.deepseek.com"),
    ("https://llm.example.com:8443/v1/chat/completions", "llm.example.com"),
    ("https://vllm.example.org:65535/v1/chat/completions", "vllm.example.org"),
    ("https://llm.example.com:1/v1/chat/completions", "llm.example.com"),
    ("https://[2606:4700::1]:8443/v1/chat/completions", "2606:4700::1"),
    ("https://8.8.8.8/v1/chat/completions", "8.8.8.8"),
    ("https://104.18.0.1:443/v1/chat/completions", "104.18.0.1"),
    ("https://API.OpenAI.com/v1/chat/completions", "api.openai.com"),
    ("https://api.openai.com./v1/chat/completions", "api.openai.com"),
    ("https://llm.example.com/v1/chat/completions?user=a@b", "llm.example.com"),
    ("https://llm.example.com/@team/v1/chat%20completions", "llm.example.com"),
    ("https://1.example.com/v1/chat/completions", "1.example.com"),
    ("https://llm.example.com", "llm.example.com"),
]


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
