"""The relying party: Authlib's Django client, built from the LLMADMIN_OIDC_* settings.

Authlib does the protocol: discovery, the authorization code flow with PKCE (S256), state and
nonce kept in the session, the code exchange, and the ID token's checks (signature against the
provider's JWKS, fetched again when a token names a key it hasn't seen, so rotation needs no
restart; issuer, audience, expiry, nonce, at_hash). Added here: the discovery document must
name the issuer we were configured with (OpenID Connect Discovery 1.0, section 4.3), which
Authlib leaves to the caller.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import requests
from authlib.integrations.django_client import DjangoOAuth2App, OAuth
from django.conf import settings

# Seconds to wait for the provider: the person is waiting at the log-in page.
TIMEOUT = (3.05, 10)


@dataclass(frozen=True)
class Config:
    issuer: str
    client_id: str
    client_secret: str = field(repr=False)
    scopes: str
    groups_claim: str
    name: str
    recheck_seconds: int

    @classmethod
    def current(cls) -> Config | None:
        """The provider as configured now, or None when single sign-on is off."""
        if not settings.LLMADMIN_OIDC_ISSUER:
            return None
        return cls(
            issuer=settings.LLMADMIN_OIDC_ISSUER,
            client_id=settings.LLMADMIN_OIDC_CLIENT_ID,
            client_secret=settings.LLMADMIN_OIDC_CLIENT_SECRET,
            scopes=settings.LLMADMIN_OIDC_SCOPES,
            groups_claim=settings.LLMADMIN_OIDC_GROUPS_CLAIM,
            name=settings.LLMADMIN_OIDC_PROVIDER_NAME,
            recheck_seconds=settings.LLMADMIN_OIDC_RECHECK_SECONDS,
        )


class ProviderUnavailable(Exception):
    """The provider could not be reached, or its discovery document is unusable."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


# One client per configuration, kept so its discovery document and keys are fetched once.
_clients: dict[Config, DjangoOAuth2App] = {}
_lock = threading.Lock()


def client(config: Config) -> DjangoOAuth2App:
    """The client for `config`, its discovery document loaded and checked."""
    with _lock:
        app = _clients.get(config)
        if app is None:
            oauth = OAuth()
            app = oauth.register(
                name="provider",
                client_id=config.client_id,
                client_secret=config.client_secret,
                server_metadata_url=f"{config.issuer}/.well-known/openid-configuration",
                client_kwargs={
                    "scope": config.scopes,
                    "code_challenge_method": "S256",
                    "default_timeout": TIMEOUT,
                },
            )
            _clients[config] = app
    try:
        metadata = app.load_server_metadata()
    except (requests.RequestException, ValueError) as exc:
        app.server_metadata.clear()  # try again next time
        raise ProviderUnavailable("unreachable", type(exc).__name__) from None
    if metadata.get("issuer", "").rstrip("/") != config.issuer:
        app.server_metadata.clear()
        raise ProviderUnavailable(
            "issuer_mismatch",
            f"its discovery document names the issuer {str(metadata.get('issuer'))[:200]!r}",
        )
    for needed in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        if not metadata.get(needed):
            app.server_metadata.clear()
            raise ProviderUnavailable("incomplete_discovery", f"it publishes no {needed}")
    return app


def forget_clients() -> None:
    """Drop every kept client (tests that restart the provider on another port)."""
    with _lock:
        _clients.clear()
