"""Every field that names a header refuses hop-by-hop and reserved names, in any case.

The auth `header` field and the extra-header rows share one rule (validators.header_name):
Host, Content-Length, Transfer-Encoding, Connection and the rest are refused with a sentence
on create, edit and Test connection, and nothing reaches Vectara or the model server. And
whatever a spec holds (a stored record, a script), the test request never carries a header
twice: a server on a free port reads the raw header lines off the wire.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import threading
from collections.abc import Iterator
from html import unescape

import pytest
from django.test import Client
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from llmadmin.audit.models import AuditEvent
from llmadmin.audit.recorder import Origin
from llmadmin.llms.models import LLMDefinition
from llmadmin.llms.services import llm_test_connection
from llmadmin.llms.spec import LLMSpec
from llmadmin.llms.uri_policy import check_uri
from llmadmin.llms.validators import CREDENTIAL_HEADERS, HOP_BY_HOP_HEADERS, RESERVED_HEADERS
from tests.llms.cases import URIS
from tests.llms.lifecycle_support import seeded
from tests.support.fault_server import Fault, fault_server
from tests.teams.factories import member

CASES = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
SECRET = "sk-header-names-0123456789abcdef"
REFUSED = sorted(HOP_BY_HOP_HEADERS | RESERVED_HEADERS)
HOP_BY_HOP = "header is hop-by-hop: it steers one connection, and proxies drop or rewrite it."
RESERVED = "header is set by the HTTP client itself, and a second one would break the request"


def any_case(name: str) -> st.SearchStrategy[str]:
    flips = st.lists(st.booleans(), min_size=len(name), max_size=len(name))
    return flips.map(
        lambda up: "".join(c.upper() if u else c for c, u in zip(name, up, strict=True))
    )


# Every refused name, spelled in every mix of cases (hOsT, CONTENT-length…).
REFUSED_NAME = st.sampled_from(REFUSED).flatmap(any_case)


def sentence_for(name: str, where: str) -> str:
    if where == "extra" and name.lower() in CREDENTIAL_HEADERS:  # Proxy-Authorization
        return "Put credentials in the Authentication fields, where they stay write-only"
    rule = HOP_BY_HOP if name.lower() in HOP_BY_HOP_HEADERS else RESERVED
    return f"The {name} {rule}"


def shown(response) -> str:
    assert response.status_code == 200
    return " ".join(unescape(response.content.decode()).split())


def field_errors(html: str, field: str) -> str:
    found = re.search(rf'<ul class="errorlist" id="id_{field}_error">(.*?)</ul>', html)
    return found.group(1) if found else ""


@pytest.fixture
def admin_client(team, emulator) -> Client:
    client = Client()
    client.force_login(member("admin", team, username="ada"))
    return client


def with_name(name: str, where: str, **fields: object) -> dict[str, object]:
    """An otherwise valid header-auth form with `name` in the auth field or an extra row."""
    data: dict[str, object] = {
        "type": "openai-compatible",
        "name": "hdr",
        "model": "gpt-4o",
        "uri": URIS["openai-compatible"],
        "auth_type": "header",
        "header": "x-api-key",
        "value": SECRET,
    }
    if where == "auth":
        data["header"] = name
    else:
        data |= {"header_name": ["x-team", name], "header_value": ["a", "0"]}
    return data | fields


def assert_refused_at_the_field(html: str, name: str, where: str) -> None:
    sentence = sentence_for(name, where)
    if where == "auth":
        assert sentence in field_errors(html, "header")
    else:
        assert f"Extra header {name}: {sentence}" in html


WHERE = st.sampled_from(["auth", "extra"])


# --- create, edit, Test connection ----------------------------------------------------------


@CASES
@given(name=REFUSED_NAME, where=WHERE)
@example(name="hOsT", where="auth")
@example(name="CONTENT-length", where="auth")
@example(name="Transfer-Encoding", where="extra")
@example(name="connection", where="auth")
def test_the_create_form_refuses_the_name_before_vectara(
    admin_client, emulator, dns_records, name, where
) -> None:
    emulator.requests.clear()
    events = AuditEvent.objects.count()
    response = admin_client.post("/llms/new/", with_name(name, where))
    assert_refused_at_the_field(shown(response), name, where)
    assert emulator.requests == [], "nothing goes to Vectara"
    assert not LLMDefinition.objects.exists()
    assert AuditEvent.objects.count() == events


@CASES
@given(name=REFUSED_NAME, where=WHERE)
def test_the_edit_form_refuses_the_name_before_vectara(
    admin_client, emulator, dns_records, team, name, where
) -> None:
    llm = LLMDefinition.objects.filter(name="hdr-edit").first()
    auth = {"type": "header", "header": "x-api-key", "value": "sk-stored"}
    llm = llm or seeded(emulator, team, name="hdr-edit", auth=auth)
    before = (llm.version, llm.headers, llm.auth_type)
    emulator.requests.clear()
    events = AuditEvent.objects.count()
    data = with_name(name, where, version=llm.version, uri=llm.uri, model=llm.model)
    response = admin_client.post(f"/llms/{llm.pk}/edit/", data)
    assert_refused_at_the_field(shown(response), name, where)
    assert emulator.requests == []
    llm.refresh_from_db()
    assert (llm.version, llm.headers, llm.auth_type) == before
    assert AuditEvent.objects.count() == events


@CASES
@given(name=REFUSED_NAME, where=WHERE)
def test_test_connection_refuses_the_name_before_calling_the_model(
    admin_client, emulator, model_dns_http, name, where
) -> None:
    with fault_server(Fault.status(200, {"choices": []})) as server:
        uri = f"{server.base_url.replace('127.0.0.1', 'model.test')}/v1/chat/completions"
        data = with_name(name, where, uri=uri)
        html = shown(admin_client.post("/llms/test-connection/", data, HTTP_HX_REQUEST="true"))
    assert "Fix these before testing the connection:" in html
    assert sentence_for(name, where) in html
    assert server.hits == 0, "the model server got nothing"
    assert not AuditEvent.objects.filter(action="llm.test").exists()


def test_the_refusals_are_the_names_own(admin_client, emulator, dns_records) -> None:
    """The same forms with ordinary names go through, so the refusals above are the rule's."""
    response = admin_client.post(
        "/llms/new/", with_name("X-Hostname", "extra", header="X-Content-Length-Key")
    )
    assert response.status_code == 302
    [created] = [r for r in emulator.requests if r.method == "POST"]
    assert created.json["auth"]["header"] == "X-Content-Length-Key"
    assert created.json["headers"] == {"x-team": "a", "X-Hostname": "0"}


# --- one header line per name on the wire -------------------------------------------------


@contextlib.contextmanager
def raw_header_server() -> Iterator[tuple[int, list[list[str]]]]:
    """A server on a free port that keeps each request's header lines exactly as sent and
    answers 200; unlike a dict, the list shows a header sent twice."""
    seen: list[list[str]] = []
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            with conn:
                data = b""
                while b"\r\n\r\n" not in data and (chunk := conn.recv(65536)):
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")[1:]
                fields = [line.partition(":") for line in lines]
                length = next((int(v) for n, _, v in fields if n.lower() == "content-length"), 0)
                while len(body) < length and (chunk := conn.recv(65536)):
                    body += chunk
                seen.append(lines)
                answer = json.dumps({"choices": []}).encode()
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Type: application/json\r\n"
                    + f"Content-Length: {len(answer)}\r\n\r\n".encode()
                    + answer
                )

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()[1], seen
    finally:
        stop.set()
        thread.join()
        listener.close()


# Names the dashboard sets itself and names a person might pick, in any case.
POOL = [
    "host", "user-agent", "accept", "content-type", "content-length", "transfer-encoding",
    "connection", "x-trace", "x-key",
]  # fmt: skip
EXTRA_HEADERS = st.dictionaries(
    st.sampled_from(POOL).flatmap(any_case), st.sampled_from(["a", "b"]), max_size=8
)


@CASES
@given(
    extra=EXTRA_HEADERS,
    auth_header=st.sampled_from(["x-key", "x-trace", "authorization"]).flatmap(any_case),
)
@example(extra={"X-Key": "a", "x-key": "b", "ACCEPT": "a", "hOsT": "b"}, auth_header="X-KEY")
def test_no_header_is_ever_sent_twice(editor, team, model_dns_http, extra, auth_header) -> None:
    """A spec the forms would refuse, as a stored record or a script may hold one: merged
    case-insensitively, the dashboard's framing headers and the credential win."""
    with raw_header_server() as (port, seen):
        uri = f"http://model.test:{port}/v1/chat/completions"
        spec = LLMSpec(
            type="openai-compatible",
            name="dupes",
            model="gpt-4o",
            uri=uri,
            auth={"type": "header", "header": auth_header, "value": SECRET},
            headers=extra,
        )
        result = llm_test_connection(
            actor=editor, origin=Origin.system("t"), team=team, spec=spec, uri_check=check_uri(uri)
        )
    assert result.ok, result.message
    [lines] = seen
    names = [line.partition(":")[0].lower() for line in lines]
    assert len(names) == len(set(names)), lines
    sent = {name: value.strip() for name, _, value in (line.partition(":") for line in lines)}
    sent = {name.lower(): value for name, value in sent.items()}
    assert sent[auth_header.lower()] == SECRET, "the credential wins"
    assert sent["host"] == f"model.test:{port}"
    assert sent["content-type"] == sent["accept"] == "application/json"
    assert sent["user-agent"].startswith("llmadmin-test-connection/")
    assert sent["content-length"] == str(len(json.dumps(llm_test_body())))
    assert "transfer-encoding" not in sent and "connection" not in sent


def llm_test_body() -> dict[str, object]:
    return {"model": "gpt-4o", "messages": [{"role": "user", "content": "ping"}], "max_tokens": 16}
