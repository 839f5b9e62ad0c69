"""The Vectara client against a real HTTP server that misbehaves on command.

`requests` is never mocked: each test runs the client over a socket against
tests/support/fault_server.py, so what is checked is what a person would see when Vectara,
or a proxy in front of it, answers like this.
"""

from __future__ import annotations

import email.utils
import logging
import re
import socket
import threading
import time
import traceback

import pytest

from llmadmin.vectara.client import VectaraClient, get_client
from llmadmin.vectara.errors import (
    AuthenticationFailed,
    BadRequest,
    Conflict,
    ConnectionFailed,
    InvalidResponse,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    TimedOut,
    UnexpectedStatus,
    VectaraError,
)
from llmadmin.vectara.types import LLM
from tests.support.fault_server import Fault, fault_server, refused_url, unaccepting_server

CANARY = "canary-SECRET-7f3a9"  # the LLM's credential: must never show up anywhere
API_KEY = "dashboard-key-CANARY-51c0"  # the dashboard's own Vectara key: same
ACTION = "create the LLM"

BODY = {
    "type": "openai-compatible",
    "name": "my-gpt",
    "model": "gpt-4o",
    "uri": "https://api.openai.com/v1/chat/completions",
    "auth": {"type": "bearer", "token": CANARY},
    "headers": {"x-team": "search"},
}
LLM_JSON = {
    "id": "llm_1021844",
    "name": "my-gpt",
    "type": "openai-compatible",
    "model": "gpt-4o",
    "uri": "https://api.openai.com/v1/chat/completions",
    "description": "",
    "enabled": True,
    "default": False,
    "ownership": "customer",
    "headers": {"x-team": "search"},
    "auth": {"type": "bearer", "token": "****"},
    "idle_timeout_seconds": 300,
}


def make_client(base_url: str, **kwargs: float) -> VectaraClient:
    kwargs.setdefault("connect_timeout", 2.0)
    kwargs.setdefault("read_timeout", 5.0)
    return VectaraClient(base_url=base_url, api_key=API_KEY, **kwargs)


def assert_never_leaks(exc: VectaraError) -> None:
    """Nothing a person, a log or a traceback could show carries a secret."""
    shown = [
        str(exc),
        repr(exc),
        exc.user_message(ACTION),
        "".join(traceback.format_exception(exc)),  # includes any chained cause
    ]
    for text in shown:
        assert CANARY not in text
        assert API_KEY not in text


def assert_sentence_about_action(message: str) -> None:
    assert ACTION in message
    assert message[0].isupper()
    # Whole sentences, optionally followed by the reference support asks for.
    assert re.sub(r" \(request id [^)]+\)$", "", message).endswith(".")
    assert "<" not in message  # no markup from an upstream page


def create_fails(fault: Fault, expected: type[VectaraError], **client_kwargs: float):
    """POSTs BODY once, checks the error class and the invariants every failure keeps."""
    with fault_server(fault) as server:
        client = make_client(server.base_url, **client_kwargs)
        with pytest.raises(VectaraError) as caught:
            client.create_llm(BODY)
        hits = server.hits
        posts = server.requests("POST")
    exc = caught.value
    assert type(exc) is expected, f"{type(exc).__name__}: {exc}"
    assert hits == 1 and len(posts) == 1, "the POST must reach the server exactly once"
    assert posts[0].json() == BODY
    assert_never_leaks(exc)
    assert_sentence_about_action(exc.user_message(ACTION))
    return exc


# --- create: every answer Vectara (or its gateway) can give --------------------------------


def test_create_400_maps_field_errors_for_the_form():
    fault = Fault.status(
        400,
        json_body={
            "field_errors": {"uri": "must use https", "model": "is not known"},
            "messages": ["Invalid request body"],
            "request_id": "req_400abc",
        },
    )
    exc = create_fails(fault, BadRequest)
    assert exc.status == 400
    assert exc.request_id == "req_400abc"
    assert exc.field_errors == {"uri": "must use https", "model": "is not known"}
    assert exc.maybe_applied is False
    message = exc.user_message(ACTION)
    assert "uri: must use https" in message
    assert "Invalid request body" in message
    assert message.endswith("(request id req_400abc)")


def test_create_400_that_echoes_the_secret_is_redacted():
    fault = Fault.status(
        400,
        json_body={
            "field_errors": {"auth.token": f"token {CANARY} was refused by the provider"},
            "messages": [f"Connection test failed with Bearer {CANARY}; key {API_KEY}"],
        },
    )
    exc = create_fails(fault, BadRequest)
    assert exc.field_errors == {"auth.token": "token **** was refused by the provider"}
    assert exc.messages == ("Connection test failed with Bearer ****; key ****",)


def test_create_401_blames_the_dashboard_key():
    exc = create_fails(Fault.status(401), AuthenticationFailed)
    assert exc.status == 401
    assert exc.user_message(ACTION) == (
        "Vectara refused the API key of this dashboard (401) when trying to create the LLM. "
        "Ask an org admin to check VECTARA_API_KEY."
    )


def test_create_403_quotes_vectara_and_its_request_id():
    fault = Fault.status(
        403, json_body={"messages": ["Permission denied for ApiRole"], "request_id": "req_403"}
    )
    exc = create_fails(fault, PermissionDenied)
    assert (exc.status, exc.request_id) == (403, "req_403")
    message = exc.user_message(ACTION)
    assert "(403)" in message and "rights" in message
    assert "Permission denied for ApiRole" in message
    assert "(request id req_403)" in message


def test_create_404():
    fault = Fault.status(404, json_body={"id": "x", "messages": ["Not found"], "request_id": "r4"})
    exc = create_fails(fault, NotFound)
    assert (exc.status, exc.request_id, exc.messages) == (404, "r4", ("Not found",))
    assert "(404)" in exc.user_message(ACTION)
    assert "Vectara said: “Not found”." in exc.user_message(ACTION)


def test_create_409_says_the_name_may_be_taken():
    fault = Fault.status(409, json_body={"messages": ["LLM my-gpt already exists"]})
    exc = create_fails(fault, Conflict)
    assert exc.status == 409
    assert "already taken" in exc.user_message(ACTION)
    assert exc.maybe_applied is False


def test_create_429_with_retry_after_seconds():
    fault = Fault.status(429, json_body={"messages": ["Too many"]}, headers={"Retry-After": "30"})
    exc = create_fails(fault, RateLimited)
    assert exc.status == 429
    assert exc.retry_after == 30
    assert "Try again in 30 seconds." in exc.user_message(ACTION)


def test_create_429_with_retry_after_http_date():
    when = email.utils.formatdate(time.time() + 120, usegmt=True)
    exc = create_fails(Fault.status(429, headers={"Retry-After": when}), RateLimited)
    assert exc.retry_after is not None and 115 <= exc.retry_after <= 121
    assert "Try again in about 2 minutes." in exc.user_message(ACTION)


def test_create_429_with_unreadable_retry_after_still_says_to_wait():
    exc = create_fails(Fault.status(429, headers={"Retry-After": "soon-ish"}), RateLimited)
    assert exc.retry_after is None
    assert "Wait a minute and try again." in exc.user_message(ACTION)


def test_create_500_may_have_been_applied():
    fault = Fault.status(
        500, json_body={"messages": ["Internal server error."], "request_id": "req_500"}
    )
    exc = create_fails(fault, ServerError)
    assert (exc.status, exc.request_id) == (500, "req_500")
    # A 500 after a POST does not prove nothing was created: the person must look first.
    assert exc.maybe_applied is True
    assert "check the list before trying again" in exc.user_message(ACTION)


def test_create_502_html_page_is_named_not_dumped():
    page = "<!DOCTYPE html><html><body><h1>502 Bad Gateway</h1>nginx</body></html>"
    fault = Fault.status(502, raw_body=page, content_type="text/html")
    exc = create_fails(fault, ServerError)
    assert exc.status == 502
    assert exc.messages == ()
    message = exc.user_message(ACTION)
    assert "Vectara's gateway answered 502 with an HTML page" in message
    assert "nginx" not in message and "nginx" not in str(exc)


@pytest.mark.parametrize("status", [200, 201])
def test_create_success_status_with_invalid_json(status):
    fault = Fault.status(
        status, raw_body='{"id": "llm_1", "name": ', content_type="application/json"
    )
    exc = create_fails(fault, InvalidResponse)
    assert exc.status == status
    # Vectara said yes: the LLM probably exists, so retrying blindly would make a second one.
    assert exc.maybe_applied is True
    assert "reload the list before trying again" in exc.user_message(ACTION)


def test_create_201_with_a_json_list():
    exc = create_fails(Fault.status(201, json_body=[LLM_JSON]), InvalidResponse)
    assert exc.status == 201
    assert "expected an LLM object" in str(exc)


def test_create_201_without_id():
    body = {k: v for k, v in LLM_JSON.items() if k != "id"}
    exc = create_fails(Fault.status(201, json_body=body), InvalidResponse)
    assert exc.status == 201
    assert "the LLM has no id" in exc.user_message(ACTION)


def test_create_timeout_before_headers_may_have_been_applied():
    started = time.monotonic()
    exc = create_fails(Fault.hang_before_headers(5), TimedOut, read_timeout=0.3)
    assert time.monotonic() - started < 3, "the read time-out was not applied"
    assert exc.status is None
    assert exc.maybe_applied is True
    assert "check the list before trying again" in exc.user_message(ACTION)


def test_create_slow_body_times_out_after_the_status():
    exc = create_fails(Fault.slow_body(201, LLM_JSON, pause_seconds=3), TimedOut, read_timeout=0.3)
    assert exc.status == 201
    assert exc.maybe_applied is True


def test_create_connection_reset_after_sending_may_have_been_applied():
    exc = create_fails(Fault.reset(), ConnectionFailed)
    assert exc.status is None
    assert exc.maybe_applied is True
    assert "check the list before trying again" in exc.user_message(ACTION)


def test_create_closed_without_answer_may_have_been_applied():
    exc = create_fails(Fault.close_without_response(), ConnectionFailed)
    assert exc.maybe_applied is True


def test_create_truncated_body():
    exc = create_fails(Fault.truncated_json(201, promised=500), InvalidResponse)
    assert exc.status == 201
    assert exc.maybe_applied is True


def test_create_refused_port_changed_nothing():
    client = make_client(refused_url())
    with pytest.raises(VectaraError) as caught:
        client.create_llm(BODY)
    exc = caught.value
    assert type(exc) is ConnectionFailed
    assert exc.maybe_applied is False
    assert "Nothing was changed" in exc.user_message(ACTION)
    assert_never_leaks(exc)


def test_unresolvable_host_changed_nothing():
    host = "vectara-api.invalid"  # RFC 6761: .invalid never resolves
    try:
        socket.getaddrinfo(host, 80)
    except OSError:
        pass
    else:
        pytest.skip("this machine's resolver answers for .invalid names")
    with pytest.raises(VectaraError) as caught:
        make_client(f"http://{host}").create_llm(BODY)
    exc = caught.value
    assert type(exc) is ConnectionFailed
    assert exc.maybe_applied is False
    assert "host name did not resolve" in exc.user_message(ACTION)


def test_create_connect_timeout_changed_nothing():
    with unaccepting_server() as url:
        client = make_client(url, connect_timeout=0.3)
        started = time.monotonic()
        with pytest.raises(VectaraError) as caught:
            client.create_llm(BODY)
    assert time.monotonic() - started < 3
    exc = caught.value
    assert type(exc) is TimedOut
    assert exc.maybe_applied is False
    assert "Nothing was changed" in exc.user_message(ACTION)
    assert_never_leaks(exc)


def test_create_redirect_is_not_followed_and_the_key_stays_home():
    with fault_server(Fault.status(201, json_body=LLM_JSON)) as elsewhere:
        redirect = Fault.status(307, headers={"Location": elsewhere.base_url + "/v2/llms"})
        exc = create_fails(redirect, UnexpectedStatus)
        assert elsewhere.hits == 0
    assert exc.status == 307


# --- reads fail differently: a GET changes nothing ---------------------------------------


def test_list_timeout_says_nothing_changed():
    with fault_server(Fault.hang_before_headers(5)) as server, pytest.raises(TimedOut) as caught:
        make_client(server.base_url, read_timeout=0.3).list_llms()
    assert caught.value.maybe_applied is False
    assert "Nothing was changed" in caught.value.user_message("list the LLMs")


def test_get_reset_says_nothing_changed():
    with fault_server(Fault.reset()) as server, pytest.raises(ConnectionFailed) as caught:
        make_client(server.base_url).get_llm("llm_1")
    assert caught.value.maybe_applied is False


def test_get_redirect_is_not_followed():
    with fault_server(Fault.status(200, json_body=LLM_JSON)) as elsewhere:
        moved = Fault.status(302, headers={"Location": elsewhere.base_url + "/v2/llms/llm_1"})
        with fault_server(moved) as server, pytest.raises(UnexpectedStatus):
            make_client(server.base_url).get_llm("llm_1")
        assert elsewhere.hits == 0, "the API key would have gone to another host"


# --- success paths -----------------------------------------------------------------------


def test_create_sends_exactly_the_body_and_the_key():
    with fault_server(Fault.status(201, json_body=LLM_JSON)) as server:
        llm = make_client(server.base_url).create_llm(BODY)
    (request,) = server.received
    assert (request.method, request.path) == ("POST", "/v2/llms")
    assert request.json() == BODY
    assert request.headers["x-api-key"] == API_KEY
    assert request.headers["content-type"] == "application/json"
    assert request.headers["accept"] == "application/json"
    assert request.headers["user-agent"].startswith("llmadmin/")
    assert llm == LLM.from_json(LLM_JSON)
    assert (llm.id, llm.name, llm.auth_type, llm.idle_timeout_seconds) == (
        "llm_1021844",
        "my-gpt",
        "bearer",
        300,
    )
    assert llm.auth == {"type": "bearer", "token": "****"}


def test_create_accepts_200_too():
    with fault_server(Fault.status(200, json_body=LLM_JSON)) as server:
        assert make_client(server.base_url).create_llm(BODY).id == "llm_1021844"


def test_api_key_from_a_secret_file_loses_its_newline():
    with fault_server(Fault.status(200, json_body={"llms": []})) as server:
        VectaraClient(base_url=server.base_url, api_key=API_KEY + "\n").list_llms()
    assert server.received[0].headers["x-api-key"] == API_KEY


def test_list_passes_filter_limit_and_page_key():
    page = {"llms": [LLM_JSON], "metadata": {"page_key": "next-1"}}
    with fault_server(Fault.status(200, json_body=page)) as server:
        result = make_client(server.base_url).list_llms(filter="^my-", limit=5, page_key="k0")
    (request,) = server.received
    assert request.method == "GET"
    assert request.path == "/v2/llms?filter=%5Emy-&limit=5&page_key=k0"
    assert [llm.id for llm in result.llms] == ["llm_1021844"]
    assert result.page_key == "next-1"


def test_list_without_arguments_sends_no_query_and_ends_without_page_key():
    with fault_server(Fault.status(200, json_body={"llms": [], "metadata": {}})) as server:
        result = make_client(server.base_url).list_llms()
    assert server.received[0].path == "/v2/llms"
    assert (result.llms, result.page_key) == ((), None)


def _page(ids: list[str], page_key: str | None) -> Fault:
    llms = [{**LLM_JSON, "id": i, "name": i} for i in ids]
    metadata = {"page_key": page_key} if page_key else {}
    return Fault.status(200, json_body={"llms": llms, "metadata": metadata})


def test_iter_llms_follows_page_keys_and_stops():
    pages = Fault.sequence(_page(["a", "b"], "k1"), _page(["c"], "k2"), _page(["d"], None))
    with fault_server(pages) as server:
        ids = [llm.id for llm in make_client(server.base_url).iter_llms(page_size=2)]
    assert ids == ["a", "b", "c", "d"]
    assert [r.path for r in server.received] == [
        "/v2/llms?limit=2",
        "/v2/llms?limit=2&page_key=k1",
        "/v2/llms?limit=2&page_key=k2",
    ]


def test_iter_llms_refuses_a_repeating_page_key():
    pages = Fault.sequence(_page(["a"], "k1"), _page(["b"], "k1"), _page(["never"], None))
    with fault_server(pages) as server:
        seen = []
        with pytest.raises(InvalidResponse):
            for llm in make_client(server.base_url).iter_llms():
                seen.append(llm.id)
    assert seen == ["a", "b"]
    assert server.hits == 2, "it must stop instead of looping over the same page"


def test_get_quotes_the_id_into_one_path_segment():
    with fault_server(Fault.status(200, json_body=LLM_JSON)) as server:
        llm = make_client(server.base_url).get_llm("llm/../x y?")
    assert (server.received[0].method, server.received[0].path) == (
        "GET",
        "/v2/llms/llm%2F..%2Fx%20y%3F",
    )
    assert llm.name == "my-gpt"


@pytest.mark.parametrize("bad_id", ["", ".", ".."])
def test_ids_that_would_address_another_resource_are_refused(bad_id):
    with fault_server(Fault.status(204)) as server, pytest.raises(ValueError):
        make_client(server.base_url).delete_llm(bad_id)
    assert server.hits == 0


def test_update_patches_the_quoted_path_with_the_body():
    change = {"enabled": False, "auth": {"type": "bearer", "token": CANARY}}
    with fault_server(Fault.status(200, json_body={**LLM_JSON, "enabled": False})) as server:
        llm = make_client(server.base_url).update_llm("llm_1021844", change)
    (request,) = server.received
    assert (request.method, request.path) == ("PATCH", "/v2/llms/llm_1021844")
    assert request.json() == change
    assert llm.enabled is False


def test_update_404_is_not_found():
    fault = Fault.status(404, json_body={"messages": ["LLM not found"], "request_id": "rq"})
    with fault_server(fault) as server, pytest.raises(NotFound) as caught:
        make_client(server.base_url).update_llm("llm_gone", {"enabled": False})
    assert "update the LLM" in caught.value.user_message("update the LLM")
    assert server.hits == 1


@pytest.mark.parametrize("status", [204, 200])
def test_delete(status):
    with fault_server(Fault.status(status)) as server:
        assert make_client(server.base_url).delete_llm("llm_1021844") == status
    (request,) = server.received
    assert (request.method, request.path, request.body) == ("DELETE", "/v2/llms/llm_1021844", b"")


def test_delete_of_a_built_in_llm_is_permission_denied():
    fault = Fault.status(403, json_body={"messages": ["Cannot delete a platform LLM"]})
    with fault_server(fault) as server, pytest.raises(PermissionDenied) as caught:
        make_client(server.base_url).delete_llm("llm_builtin")
    assert "built into Vectara" in caught.value.user_message("delete the LLM")


# --- logs --------------------------------------------------------------------------------


def test_no_log_record_carries_a_secret(caplog):
    caplog.set_level(logging.DEBUG)  # root, so urllib3's debug lines are captured too
    caplog.set_level(logging.DEBUG, logger="urllib3")
    echo = Fault.status(400, json_body={"messages": [f"bad {CANARY}"], "request_id": "req_l"})
    for fault in (echo, Fault.status(500), Fault.reset(), Fault.truncated_json()):
        with fault_server(fault) as server, pytest.raises(VectaraError):
            make_client(server.base_url).create_llm(BODY)
    assert caplog.records, "nothing was logged at all"
    for record in caplog.records:
        text = logging.Formatter().format(record)  # the message plus any traceback
        assert CANARY not in text and API_KEY not in text, text
    ours = [r for r in caplog.records if r.name == "llmadmin.vectara.client"]
    assert ours[0].levelno == logging.WARNING
    assert ours[0].getMessage().startswith("Vectara POST /v2/llms -> 400 BadRequest in ")
    assert ours[0].getMessage().endswith("(request id req_l)")


def test_a_success_is_logged_at_info_with_status(caplog):
    caplog.set_level(logging.INFO, logger="llmadmin.vectara.client")
    with fault_server(Fault.status(204)) as server:
        make_client(server.base_url).delete_llm("llm_1")
    (record,) = [r for r in caplog.records if r.name == "llmadmin.vectara.client"]
    assert record.levelno == logging.INFO
    assert record.getMessage().startswith("Vectara DELETE /v2/llms/llm_1 -> 204 ok in ")


# --- configuration -----------------------------------------------------------------------


def test_get_client_uses_settings_including_the_read_timeout(settings):
    with fault_server(Fault.hang_before_headers(5)) as server:
        settings.VECTARA_API_URL = server.base_url
        settings.VECTARA_API_KEY = API_KEY
        settings.VECTARA_READ_TIMEOUT = 0.3
        started = time.monotonic()
        with pytest.raises(TimedOut):
            get_client().list_llms()
        assert time.monotonic() - started < 3
        assert server.received[0].headers["x-api-key"] == API_KEY


def test_get_client_is_one_per_thread_and_follows_settings_changes(settings):
    settings.VECTARA_API_URL = "http://127.0.0.1:9"
    first = get_client()
    assert get_client() is first
    others: list[VectaraClient] = []
    thread = threading.Thread(target=lambda: others.append(get_client()))
    thread.start()
    thread.join()
    assert others[0] is not first, "a requests.Session must not be shared between threads"
    settings.VECTARA_API_URL = "http://127.0.0.1:10"
    assert get_client() is not first
    assert repr(get_client()) == "<VectaraClient http://127.0.0.1:10>"


def test_client_repr_hides_the_key():
    assert API_KEY not in repr(make_client("http://127.0.0.1:9"))


# --- parsing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [None, [], "llm", {"name": "x", "type": "t"}, {"id": 5, "name": "x", "type": "t"}, {"id": "i"}],
)
def test_llm_from_json_rejects_what_the_contract_forbids(data):
    with pytest.raises(InvalidResponse):
        LLM.from_json(data)


def test_llm_from_json_is_lenient_about_optional_fields():
    data = {"id": "i", "name": "n", "type": "t", "enabled": "yes", "headers": None}
    data |= {"idle_timeout_seconds": True, "auth": "bearer", "future_field": 1}
    llm = LLM.from_json(data)
    assert llm.enabled is True  # "yes" is not a boolean: the documented default stands
    assert llm.headers == {}
    assert llm.idle_timeout_seconds is None  # JSON true is not a number of seconds
    assert (llm.auth, llm.auth_type) == (None, None)
    assert llm.raw["future_field"] == 1
