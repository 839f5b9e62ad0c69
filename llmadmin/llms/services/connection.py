"""Testing an LLM endpoint from the dashboard before anything is saved: one minimal chat
request with exactly the auth and extra headers that would be configured, one audit event."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.views.decorators.debug import sensitive_variables

from llmadmin.audit.recorder import Attempt, Origin, Target
from llmadmin.core import in_flight
from llmadmin.teams.models import Team
from llmadmin.teams.policy import Action, Actor, policy
from llmadmin.vectara.contract import SECRET_AUTH_FIELDS

from .. import outbound
from ..models import LLMDefinition
from ..spec import REDACTED, LLMSpec, redact_auth
from ..uri_policy import UriCheck

PROMPT = "ping"
# Small enough to cost next to nothing; 16 is the least the Responses API accepts.
TEST_MAX_TOKENS = 16
MAX_SHOWN_ERROR = 300
# Refused or unreachable addresses are skipped for the next vetted one; a bound keeps a long
# DNS answer from turning one click into minutes of waiting.
MAX_ADDRESSES_TRIED = 3

UNSUPPORTED = (
    "Test connection supports bearer and header authentication; Vectara tests this one when "
    "you save."
)


@dataclass(frozen=True)
class ConnectionResult:
    """What the person is shown, once. Only `message`, `status`, `latency_ms`, `address` and
    `category` are recorded: they are the dashboard's own words and figures. What the
    provider wrote (`provider_error`, `redirect_to`) is shown and never kept, as a secret
    echoed back base64-encoded, reversed or split slips past any scrubbing, and the
    append-only log can't be cleaned afterwards."""

    ok: bool
    message: str  # whole sentences: what happened and what to do next; no provider text
    category: str  # ok, redirect, auth_refused, … or how the connection failed (refused, …)
    status: int | None = None
    latency_ms: int | None = None
    provider_error: str = ""  # the provider's own words, scrubbed of the secret and cut short
    address: str = ""  # the vetted IP the request went to
    redirect_to: str = ""  # the provider's Location, scrubbed and cut short


@sensitive_variables()  # the spec, the headers and the body hold the secret
def llm_test_connection(
    *,
    actor: Actor,
    origin: Origin,
    team: Team | None,
    spec: LLMSpec,
    uri_check: UriCheck,
    llm: LLMDefinition | None = None,
    ca_certs: str | None = None,
) -> ConnectionResult:
    """Send one minimal chat request to `spec.uri` as Vectara would, and say how it went.

    The request goes only to an address `uri_check` vetted (never a fresh DNS answer), with
    short time-outs, no redirects followed and a capped read. Exactly one `llm.test` audit
    event is written per call: success when the provider answered 2xx. The secret is sent
    to the provider and nowhere else: not in the result, the logs or the audit event.
    `llm` is the LLM being edited, if any; `ca_certs` replaces the public CAs (tests only).
    """
    attempt = Attempt(
        origin,
        Action.LLM_TEST,
        team=team,
        target=Target("llm", str(llm.pk) if llm else "", spec.name or uri_check.host),
        details={
            "type": spec.type,
            "model": spec.model,
            "uri": spec.uri,
            "auth": redact_auth(spec.auth),
            "extra_headers": sorted(spec.headers),
        },
    )
    if not policy.user_has_permission(actor, Action.LLM_TEST, team):
        raise attempt.deny(policy.refusal(Action.LLM_TEST, team))

    refusal = _why_not_testable(spec, uri_check)
    if refusal:
        return _audited(attempt, ConnectionResult(False, refusal, "not_tested"))

    secrets = [v for k, v in spec.auth.items() if k in SECRET_AUTH_FIELDS and v]
    body, headers = _request(spec)
    parts = urlsplit(uri_check.uri)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    *others, last = uri_check.addresses[:MAX_ADDRESSES_TRIED]
    try:
        with in_flight.slot():
            for address in [*others, last]:
                where = outbound.Target(parts.scheme, uri_check.host, uri_check.port, address, path)
                try:
                    answer = outbound.post(where, body=body, headers=headers, ca_certs=ca_certs)
                except outbound.OutboundError as exc:
                    if exc.kind in ("refused", "unreachable") and address != last:
                        continue
                    message = _no_answer(exc, uri_check, address)
                    result = ConnectionResult(False, message, exc.kind, address=address)
                    return _audited(attempt, result)
                return _audited(attempt, _answered(answer, uri_check, address, secrets))
    except in_flight.Busy as busy:
        return _audited(attempt, ConnectionResult(False, str(busy), "busy"))
    raise AssertionError("unreachable: the last address always returns")


def _audited(attempt: Attempt, result: ConnectionResult) -> ConnectionResult:
    """`result`, once recorded: a success when the provider answered 2xx. The event keeps the
    dashboard's own sentence and figures, never the provider's text (see ConnectionResult)."""
    end = attempt.success if result.ok else attempt.failure
    end(
        result.message,
        upstream_status=result.status,
        address=result.address,
        status=result.status,
        latency_ms=result.latency_ms,
        category=result.category,
    )
    return result


# --- the request -------------------------------------------------------------------------


def _why_not_testable(spec: LLMSpec, uri_check: UriCheck) -> str:
    if spec.type == "vertex-ai" or spec.auth_type not in ("bearer", "header"):
        # Service accounts, IAM signing and token exchanges can't be reproduced honestly here.
        return UNSUPPORTED
    if spec.type not in ("openai-compatible", "openai-responses", "anthropic"):
        return UNSUPPORTED
    if not uri_check.addresses:
        # Connecting would mean resolving the name now, unvetted; that is what pinning prevents.
        return (
            f"The name {uri_check.host} does not resolve from the dashboard's network, so it "
            "can't be tested from here; Vectara will test it when you save."
        )
    return ""


@sensitive_variables()
def _request(spec: LLMSpec) -> tuple[bytes, dict[str, str]]:
    """The body and headers of the minimal chat request for the LLM's type and auth."""
    params = dict(spec.test_model_parameters)
    body: dict[str, Any]
    if spec.type == "openai-responses":
        # The form's max_tokens means "the size of the test answer"; this API calls it so.
        if "max_tokens" in params and "max_output_tokens" not in params:
            params["max_output_tokens"] = params.pop("max_tokens")
        body = {"model": spec.model, "input": PROMPT, "max_output_tokens": TEST_MAX_TOKENS}
    else:  # openai-compatible and anthropic's messages API share this shape
        body = {"model": spec.model, "messages": [{"role": "user", "content": PROMPT}]}
        # Newer OpenAI models refuse max_tokens next to max_completion_tokens.
        if "max_completion_tokens" not in params:
            body["max_tokens"] = TEST_MAX_TOKENS
    body.update(params)
    if spec.auth_type == "bearer":
        credential = {"Authorization": f"Bearer {spec.auth['token']}"}
    else:
        credential = {spec.auth["header"]: spec.auth["value"]}
    # Merged case-insensitively, the extra headers first: neither the body's type nor the
    # credential can be stood in for, and no name goes out twice (the forms refuse such
    # names; a stored or scripted spec may still hold one).
    headers = outbound.merged_headers(
        spec.headers,
        {"Content-Type": "application/json", "Accept": "application/json"},
        credential,
    )
    # allow_nan=False: NaN and Infinity are not JSON, and no provider would parse them.
    return json.dumps(body, allow_nan=False).encode(), headers


# --- the answer --------------------------------------------------------------------------


def _answered(
    answer: outbound.Answer, uri_check: UriCheck, address: str, secrets: Sequence[str]
) -> ConnectionResult:
    host, status, redirect_to = uri_check.host, answer.status, ""
    # Scrubbed before it is cut, so a secret straddling the cut can't leave a piece behind.
    error = "" if 200 <= status < 300 else _cut(scrub(provider_error(answer.body), secrets))
    if 200 <= status < 300:
        message = (
            f"{host} answered {status} in {answer.latency_ms} ms: the endpoint, the model and "
            "the credentials work."
        )
    elif 300 <= status < 400:
        location = _header(answer.headers, "Location")
        redirect_to = _cut(scrub(urljoin(uri_check.uri, location), secrets)) if location else ""
        where = "to the address below" if redirect_to else "without saying where"
        message = (
            f"{host} answered {status} and redirected {where}; llmadmin does not follow "
            "redirects — use the final URL."
        )
    elif status in (401, 403):
        message = (
            f"{host} refused the credentials ({status}). Check the secret, that it belongs to "
            "this provider, and the authentication type and header name."
        )
    elif status == 404:
        message = f"{host} answered 404 (not found). Check the path of the URI and the model."
    elif status == 429:
        message = (
            f"{host} answered 429: too many requests, or the account's quota is used up. Try "
            "again later, or check the account with the provider."
        )
    elif status >= 500:
        message = (
            f"{host} answered {status}, an error on the provider's side. Try again in a minute."
        )
    else:
        message = (
            f"{host} answered {status}: the server was reached but did not accept the test "
            "request. Check the model name and the test parameters."
        )
    return ConnectionResult(
        ok=200 <= status < 300,
        message=message,
        category=_category(status),
        status=status,
        latency_ms=answer.latency_ms,
        provider_error=error,
        address=address,
        redirect_to=redirect_to,
    )


def _category(status: int) -> str:
    """What kind of answer `status` is, for the audit log."""
    if 200 <= status < 300:
        return "ok"
    if 300 <= status < 400:
        return "redirect"
    known = {401: "auth_refused", 403: "auth_refused", 404: "not_found", 429: "rate_limited"}
    return known.get(status, "provider_error" if status >= 500 else "client_error")


def _no_answer(exc: outbound.OutboundError, uri_check: UriCheck, address: str) -> str:
    host, port = uri_check.host, uri_check.port
    at = f"{host} at {address}" if address != host else host
    detail = f" ({exc.detail})" if exc.detail else ""
    messages = {
        "refused": f"{at} refused the connection on port {port}. Check the port in the URI and"
        " that the model server is running.",
        "unreachable": f"The dashboard could not reach {at}{detail}. Check the URI; the server"
        " may only be reachable from another network.",
        "connect_timeout": f"{at} did not accept a connection on port {port} within"
        f" {outbound.CONNECT_TIMEOUT_SECONDS:g} seconds. Check the host and port, and that no"
        " firewall blocks the way.",
        "read_timeout": f"{host} accepted the request but did not answer within"
        f" {outbound.READ_TIMEOUT_SECONDS:g} seconds. The model may be busy or loading; try"
        " again, or lower max_tokens.",
        "tls_untrusted": f"The TLS certificate of {host} is not trusted{detail}. Vectara will"
        " refuse it too; the server needs a certificate from a public certificate authority.",
        "tls_name": f"The TLS certificate that {at} presented is not valid for {host}. Check"
        " the host name in the URI.",
        "tls_handshake": f"The TLS handshake with {host} failed{detail}. Check that this port"
        " speaks https.",
        "no_answer": f"{host} closed the connection without an HTTP answer. Check the URI's"
        " scheme and port.",
    }
    fallback = f"The request to {host} failed{detail}. Check the URI and try again."
    if address and address != host and exc.kind in ("refused", "connect_timeout"):
        # The name is never looked up again after the check, so say which address was used.
        return messages[exc.kind] + f" ({address} is what {host} resolved to when checked.)"
    return messages.get(exc.kind, fallback)


def provider_error(body: bytes) -> str:
    """The provider's error message from the usual JSON shapes, or a short plain-text body."""
    text = body.decode("utf-8", "replace").strip()
    try:
        data: Any = json.loads(text)
    except (ValueError, RecursionError):  # RecursionError: a hostile body nested too deep
        # An HTML error page says nothing useful in a sentence.
        return "" if text.startswith("<") else text
    if isinstance(data, list) and data:  # Google wraps its error object in a list
        data = data[0]
    if not isinstance(data, dict):
        return ""
    error = data.get("error")
    if isinstance(error, dict):
        found = error.get("message") or error.get("type") or error.get("code")
    elif error:
        found = error
    else:
        found = data.get("message") or data.get("detail") or data.get("messages")
    if isinstance(found, list):  # FastAPI's detail, Vectara's messages
        found = "; ".join(str(i.get("msg", i) if isinstance(i, dict) else i) for i in found)
    return str(found) if found else ""


def scrub(text: str, secrets: Sequence[str]) -> str:
    """`text` with each secret, and any word sharing 8 characters in a row with one (a
    provider echoing part of a key), replaced by [redacted]."""
    for secret in secrets:
        text = text.replace(secret, REDACTED)
    grams = {s[i : i + 8] for s in secrets for i in range(len(s) - 7)}
    if not grams:
        return text

    def word(match: re.Match[str]) -> str:
        w = match.group(0)
        return REDACTED if any(w[i : i + 8] in grams for i in range(len(w) - 7)) else w

    return re.sub(r"\S{8,}", word, text)


def _cut(text: str) -> str:
    text = " ".join(text.split())  # one line: no newlines or control runs in the fragment
    return text if len(text) <= MAX_SHOWN_ERROR else text[: MAX_SHOWN_ERROR - 1] + "…"


def _header(headers: Mapping[str, str], name: str) -> str:
    return next((v for k, v in headers.items() if k.lower() == name.lower()), "")
