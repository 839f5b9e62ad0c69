"""The emulator as an HTTP server: bad bodies, malformed requests, wrong paths, logs."""

from __future__ import annotations

import json
import socket

import pytest
import requests

from emulator import running_emulator
from tests.emulator.emulator_support import (
    API_KEY,
    VALID_BODIES,
    Api,
    assert_error,
    openai_body,
)


def _raw_exchange(base_url: str, request: bytes) -> bytes:
    """Send bytes on a fresh socket and read until the server closes it."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize(
    "data",
    [b"{not json", b"\xff\xfe{}", b"[1, 2]", b'"a string"', b"", b'{"name": NaN}'],
    ids=["not-json", "not-utf8", "array", "string", "empty", "nan"],
)
@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_a_body_that_is_not_a_json_object_gets_400_json(api, full_llm, method, data):
    path = "/v2/llms" if method == "POST" else "/v2/llms/full"
    response = api(method, path, data=data, headers={"Content-Type": "application/json"})
    assert_error(response, 400)
    assert api("GET", "/v2/llms").status_code == 200  # the same connection still works


def test_a_body_not_sent_as_json_gets_415(api):
    response = api(
        "POST", "/v2/llms", data=json.dumps(openai_body()), headers={"Content-Type": "text/plain"}
    )
    assert_error(response, 415)


def test_a_huge_body_gets_413_without_being_read(emulator):
    request = (
        b"POST /v2/llms HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        + f"x-api-key: {API_KEY}\r\nContent-Length: {50 * 1024 * 1024}\r\n\r\n".encode()
    )
    answer = _raw_exchange(emulator.base_url, request)

    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413")
    assert json.loads(body)["messages"]
    assert requests.get(
        f"{emulator.base_url}/v2/llms", headers={"x-api-key": API_KEY}, timeout=10
    ).ok


@pytest.mark.parametrize(
    ("request_head", "status"),
    [
        (b"POST /v2/llms HTTP/1.1\r\nContent-Length: lots\r\n\r\n", b"400"),
        (b"POST /v2/llms HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", b"411"),
        (b"BREW /v2/llms HTTP/1.1\r\n\r\n", b"501"),
    ],
)
def test_malformed_http_gets_a_json_answer(emulator, request_head, status):
    head, _, body = _raw_exchange(emulator.base_url, request_head).partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == status
    assert b"Content-Type: application/json" in head
    assert json.loads(body)["messages"]


def test_an_unparseable_request_line_gets_json_not_html(emulator):
    # http.server answers these HTTP/0.9 style: no status line, just the body.
    answer = _raw_exchange(emulator.base_url, b"GARBAGE\r\n\r\n")
    assert json.loads(answer)["messages"] == ["Bad Request"]


def test_unknown_paths_get_404_json(api):
    assert_error(api("GET", "/v2/corpora"), 404)
    assert_error(api("GET", "/v2/llms/a/b"), 404)


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [("PUT", "/v2/llms/x", "GET, PATCH, DELETE"), ("DELETE", "/v2/llms", "GET, POST")],
)
def test_wrong_methods_get_405_json(api, method, path, allow):
    response = api(method, path)
    assert_error(response, 405)
    assert response.headers["Allow"] == allow


def test_answers_are_compact_json_with_a_content_length(api):
    response = api("POST", "/v2/llms", json=openai_body())
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["Content-Length"] == str(len(response.content))
    assert response.content == json.dumps(response.json(), separators=(",", ":")).encode()


def test_every_request_is_recorded_as_sent(api, emulator):
    body = VALID_BODIES["openai-compatible/header"]
    api("POST", "/v2/llms", json=body, params={"trace": "1"}, headers={"X-Trace-Id": "abc"})
    Api(emulator.base_url, api_key=None)("GET", "/v2/llms")

    posted, unauthorised = emulator.requests
    assert (posted.method, posted.path, posted.query, posted.json) == (
        "POST",
        "/v2/llms",
        {"trace": "1"},
        body,
    )
    assert posted.headers["x-api-key"] == API_KEY and posted.headers["x-trace-id"] == "abc"
    assert (unauthorised.method, unauthorised.json) == ("GET", None)
    assert "x-api-key" not in unauthorised.headers


def test_the_access_log_is_quiet_unless_verbose_and_never_holds_secrets(capfd):
    body = openai_body("logged")
    for verbose in (False, True):
        with running_emulator(api_key=API_KEY, verbose=verbose) as running:
            Api(running.base_url).create(body)
            Api(running.base_url)("GET", "/v2/llms", params={"filter": "logged"})
        err = capfd.readouterr().err
        if verbose:
            assert err.splitlines() == ["POST /v2/llms 201", "GET /v2/llms 200"]
        else:
            assert err == ""
        assert body["auth"]["token"] not in err and API_KEY not in err
