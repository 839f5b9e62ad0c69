"""Names and limits of Vectara's /v2/llms contract (shared/vectara/llms-openapi.yaml) that
more than one part of llmadmin needs. The contract file is the source of truth; a test
checks these against it."""

from __future__ import annotations

LLM_TYPES: dict[str, str] = {
    "openai-compatible": "OpenAI-compatible (chat completions)",
    "openai-responses": "OpenAI Responses API",
    "vertex-ai": "Google Vertex AI / AI Studio",
    "anthropic": "Anthropic Claude",
}

AUTH_TYPES: dict[str, str] = {
    "bearer": "Bearer token",
    "header": "Custom header",
    "oauth_client_credentials": "OAuth 2.0 client credentials",
    "api_key": "API key",
    "service_account": "Service account (JSON key)",
    "bedrock_static_iam": "AWS Bedrock, IAM access key",
    "bedrock_api_key": "AWS Bedrock, API key",
    "vertex_service_account": "Vertex AI, service account",
    "vertex_access_token": "Vertex AI, access token",
}

# Which auth shapes each LLM type accepts (RemoteAuth, VertexAiAuth, AnthropicAuth).
AUTH_TYPES_BY_LLM_TYPE: dict[str, tuple[str, ...]] = {
    "openai-compatible": ("bearer", "header", "oauth_client_credentials"),
    "openai-responses": ("bearer", "header", "oauth_client_credentials"),
    "vertex-ai": ("api_key", "service_account"),
    "anthropic": (
        "bearer",
        "header",
        "bedrock_static_iam",
        "bedrock_api_key",
        "vertex_service_account",
        "vertex_access_token",
    ),
}

# Auth properties that carry a secret: Vectara answers them as "****", and llmadmin never
# stores, logs or shows them.
SECRET_AUTH_FIELDS = frozenset(
    {
        "token",
        "value",
        "client_secret",
        "api_key",
        "key_json",
        "aws_secret_access_key",
        "access_token",
    }
)
MASK = "****"

NAME_MAX_LENGTH = 255
DESCRIPTION_MAX_LENGTH = 1000
IDLE_TIMEOUT_RANGE = (1, 3600)
CONTEXT_LIMIT_MIN = 4096
