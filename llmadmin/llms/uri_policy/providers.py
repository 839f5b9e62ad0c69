"""Hints on how well-known LLM providers want their API key sent, recognised by host and path."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from llmadmin.vectara.contract import AUTH_TYPES_BY_LLM_TYPE, LLM_TYPES


@dataclass(frozen=True)
class ProviderHint:
    provider: str
    message: str
    auth_type: str | None
    header: str | None
    llm_type: str = "openai-compatible"  # the LLM type this provider is reached with


_Q = r"/?(?:\?.*)?"  # an optional trailing slash and query after the usual path


@dataclass(frozen=True)
class _Provider:
    name: str
    hosts: str  # regex matched against the whole ASCII host
    auth_type: str | None
    header: str | None
    auth: str  # how to send the key, as a sentence
    path: str  # regex matched against the whole path and query
    usual: str  # the usual path, for people
    when: str = ""  # regex the path must start with for this entry to apply
    llm_type: str = "openai-compatible"


def _bearer(name: str, hosts: str, path: str, usual: str = "", when: str = "") -> _Provider:
    auth = f"{name} takes the key as a bearer token; choose 'Bearer token'."
    return _Provider(name, hosts, "bearer", None, auth, path + _Q, usual or path, when)


def _header(
    name: str,
    hosts: str,
    header: str,
    path: str,
    usual: str,
    also: str = "",
    llm_type: str = "openai-compatible",
) -> _Provider:
    auth = f"{name} expects the key in the header {header}; choose 'Custom header' with header"
    auth += f" name {header}{also}."
    return _Provider(name, hosts, "header", header, auth, path + _Q, usual, llm_type=llm_type)


_AZURE_PATH = r"/openai/(?:deployments/[^/?]+/chat/completions\?(?:.*&)?api-version=.*|v1/.+)"
_AI_STUDIO = r"generativelanguage\.googleapis\.com"
_PROVIDERS = (
    _bearer("OpenAI", r"api\.openai\.com", r"/v1/(?:chat/completions|responses)",
            "/v1/chat/completions, or /v1/responses for the openai-responses type"),
    _header("Azure OpenAI", r"[a-z0-9-]+\.(?:openai|cognitiveservices)\.azure\.com", "api-key",
            _AZURE_PATH, "/openai/deployments/<deployment>/chat/completions?api-version=…"),
    _header("Anthropic", r"api\.anthropic\.com", "x-api-key", "/v1/messages", "/v1/messages",
            ", and also send the header anthropic-version (e.g. 2023-06-01)", "anthropic"),
    _Provider("Vertex AI", r"(?:[a-z0-9-]+-)?aiplatform\.googleapis\.com", None, None,
              "Vertex AI authenticates with a Google Cloud service account, not a static API key.",
              r"/v1(?:beta1)?/projects/[^/]+/locations/[^/]+/.+",
              "/v1/projects/<project>/locations/<region>/endpoints/openapi/chat/completions",
              llm_type="vertex-ai"),
    # AI Studio's OpenAI-compatible path takes a bearer token, its native API a header.
    _bearer("Google AI Studio", _AI_STUDIO, "/v1beta/openai/chat/completions",
            when="/v1beta/openai/"),
    _header("Google AI Studio", _AI_STUDIO, "x-goog-api-key", r"/v1(?:beta)?/models/[^/]+:\w+",
            "/v1beta/openai/chat/completions (OpenAI-compatible, bearer token)",
            llm_type="vertex-ai"),
    _bearer("OpenRouter", r"openrouter\.ai", "/api/v1/chat/completions"),
    _bearer("Groq", r"api\.groq\.com", "/openai/v1/chat/completions"),
    _bearer("Mistral", r"api\.mistral\.ai", "/v1/chat/completions"),
    _bearer("Together AI", r"api\.together\.xyz", "/v1/chat/completions"),
    _bearer("Fireworks AI", r"api\.fireworks\.ai", "/inference/v1/chat/completions"),
    _bearer("DeepSeek", r"api\.deepseek\.com", "(?:/v1)?/chat/completions", "/chat/completions"),
)  # fmt: skip


def provider_hint(host: str, path: str) -> ProviderHint | None:
    """How a well-known provider wants its key sent; `path` is the URI's path with its query."""
    host = host.lower().rstrip(".")
    for p in _PROVIDERS:
        if re.fullmatch(p.hosts, host) and re.match(p.when, path):
            message = p.auth
            if not re.fullmatch(p.path, path):
                message += f" The path is usually {p.usual}."
            return ProviderHint(p.name, message, p.auth_type, p.header, p.llm_type)
    return None


def hint_for_type(hint: ProviderHint, llm_type: str) -> ProviderHint:
    """The hint as the chosen LLM type can follow it: never "choose 'Custom header'" where
    the type offers no such thing (Vertex AI's type offers an API key or a service account)."""
    offered = AUTH_TYPES_BY_LLM_TYPE.get(llm_type)
    if offered is None or hint.auth_type is None or hint.auth_type in offered:
        return hint
    if llm_type == "vertex-ai" and hint.provider == "Google AI Studio":
        message = (
            "With this type AI Studio takes an API key: choose 'API key'. The base URI "
            "https://generativelanguage.googleapis.com/v1beta is enough; Vectara adds the rest."
        )
        return replace(hint, message=message, auth_type="api_key", header=None)
    message = (
        f"{hint.provider} wants its key in a way this type can't send; "
        f"choose the type '{LLM_TYPES[hint.llm_type]}'."
    )
    return replace(hint, message=message, auth_type=None, header=None)
