from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from llmadmin.api.keys import key_create
from llmadmin.audit.recorder import Origin
from llmadmin.teams.policy import Access
from tests.support import contract

URI = "https://api.openai.com/v1/chat/completions"
_ITEM = re.compile(r"/v2/llms/[^/]+/?")


def contract_schema(method: str, path: str, status: int) -> str | None:
    """The contract's schema for an answer of /v2/llms; None for a 204."""
    if status == 204:
        return None
    if status == 400:
        return "BadRequestError"
    if status == 404 and _ITEM.fullmatch(path):
        return "NotFoundError"
    if status >= 400:
        return "Error"
    if method == "GET" and path.rstrip("/") == "/v2/llms":
        return "ListLLMsResponse"
    return "LLM"


def check_answer(method: str, path: str, status: int, text: str) -> Any:
    """Fail unless the answer is what the contract says for it; return its JSON."""
    name = contract_schema(method, path, status)
    if name is None:
        assert text == ""
        return None
    body = json.loads(text)
    contract.validate(name, body)
    if name == "ListLLMsResponse":
        for llm in body["llms"]:
            contract.validate("LLM", llm)
    if name in ("Error", "BadRequestError", "NotFoundError"):
        assert body["messages"] and body["request_id"]
    return body


@pytest.fixture
def make_key(transactional_db) -> Callable[..., str]:
    """A key of `user` with `role` in `team`, made by the service the page uses."""

    def make(user: Any, team: Any, role: str, days: int = 90) -> str:
        _key, raw = key_create(
            actor=Access(user),
            origin=Origin(actor_id=user.pk, actor_username=user.username),
            name=f"{role} key",
            team=team,
            role=role,
            days=days,
        )
        return raw

    return make


@pytest.fixture
def sdk(live_server, emulator, dns_records) -> Iterator[Callable[[str], Any]]:
    """The official SDK pointed at llmadmin's live server; every answer checked against
    the contract on the way. Its connections are closed before the live server's database
    connection goes away, so no server thread outlives the test."""
    from vectara import Vectara
    from vectara.environment import VectaraEnvironment

    def checked(response: httpx.Response) -> None:
        response.read()
        request = response.request
        check_answer(request.method, request.url.path, response.status_code, response.text)

    opened: list[httpx.Client] = []

    def client(raw: str) -> Any:
        environment = VectaraEnvironment(default=live_server.url, auth=live_server.url)
        http = httpx.Client(timeout=30, event_hooks={"response": [checked]})
        opened.append(http)
        return Vectara(environment=environment, api_key=raw, httpx_client=http)

    yield client
    for http in opened:
        http.close()
