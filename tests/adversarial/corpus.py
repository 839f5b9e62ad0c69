"""The one URI corpus: hostile endpoint URIs every entry point must refuse, legitimate
provider URIs every entry point must accept, and what their names resolve to.

tests/llms/test_uri_policy.py runs it against the policy module itself;
tests/adversarial/test_uri_corpus.py runs it against every form and endpoint that takes a URI.
"""

from __future__ import annotations

from llmadmin.llms.uri_policy import UnresolvableHost

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
    # A credential in the query string: URIs are stored, logged and shown in clear.
    ("https://generativelanguage.googleapis.com/v1beta/models?key=AIzaSy0123", "(key=…)"),
    ("https://api.openai.com/v1/chat/completions?api_key=sk-abc", "(api_key=…)"),
    ("https://llm.example.com/v1?X-Amz-Signature=abc&x=1", "credential in its query string"),
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


def resolve(host: str) -> list[str]:
    try:
        return list(RECORDS[host])
    except KeyError:
        raise UnresolvableHost(host) from None


# Token endpoints an OAuth client-credentials LLM may name (Vectara fetches tokens there).
TOKEN_ENDPOINTS = [
    "https://auth.example.com/oauth2/token",
    "https://login.microsoftonline.com/my-tenant/oauth2/v2.0/token",
    "https://oauth2.googleapis.com/token",
    "https://llm.example.com:8443/realms/llm/protocol/openid-connect/token",
]
RECORDS.update(
    {
        "auth.example.com": ["93.184.215.14"],
        "login.microsoftonline.com": ["20.190.151.7"],
        "oauth2.googleapis.com": ["142.250.72.14"],
    }
)


def refusal_of(uri: str) -> str | None:
    """The policy's refusal of `uri` as a form hands it over (stripped), or None if accepted."""
    from llmadmin.llms.uri_policy import UriRejected, check_uri

    try:
        check_uri(uri.strip(), resolver=resolve, allow_http=False, allowed_hosts=[])
    except UriRejected as exc:
        return exc.message
    return None


# Forms strip surrounding whitespace (Django's CharField does, as browsers' users expect), so
# these become harmless before any check sees them: " https://api.openai.com/v1" is just the
# OpenAI URI, and a blank URI is "required", not hostile. Every other entry must be refused
# at every entry point.
STRIPPED_BY_FORMS = [uri for uri, _ in HOSTILE if not uri.strip() or refusal_of(uri) is None]
ENTRY_POINT_HOSTILE = [(uri, words) for uri, words in HOSTILE if uri not in STRIPPED_BY_FORMS]
