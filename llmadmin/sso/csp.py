"""The Content Security Policy's part in signing out at the provider. Plain Python: read by
settings.py."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit


def with_provider_origin(policy: dict[str, Any], issuer: str) -> dict[str, Any]:
    """`policy` with the issuer's origin added to form-action: the log-out form's answer
    redirects there (RP-initiated logout), and browsers check every redirect of a form."""
    if not issuer:
        return policy
    parts = urlsplit(issuer)
    directives = dict(policy["DIRECTIVES"])
    directives["form-action"] = [*directives["form-action"], f"{parts.scheme}://{parts.netloc}"]
    return {**policy, "DIRECTIVES": directives}
