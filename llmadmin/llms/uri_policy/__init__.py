"""Whether an LLM endpoint URI typed by an admin is safe to hand to Vectara, plus provider hints.

Vectara, not the dashboard, calls the URI. The danger is server-side request forgery: a URI
that points Vectara at loopback, a private network or a cloud metadata service. This package
parses the URI itself, strictly, reads numeric hosts the way browsers and inet_aton do, and
never talks HTTP.
"""

from __future__ import annotations

from .check import DEFAULT_PORTS, MAX_URI_LENGTH, UriCheck, check_uri
from .dns import Resolver, UnresolvableHost, system_resolver
from .hosts import MAX_HOST_LENGTH, MAX_LABEL_LENGTH
from .messages import UriRejected
from .providers import ProviderHint, hint_for_type, provider_hint

# Here rather than in dns.py so that `uri_policy.DNS_TIMEOUT_SECONDS` is the setting itself;
# system_resolver reads it from the package at each call.
DNS_TIMEOUT_SECONDS = 2.0

__all__ = [
    "DEFAULT_PORTS",
    "DNS_TIMEOUT_SECONDS",
    "MAX_HOST_LENGTH",
    "MAX_LABEL_LENGTH",
    "MAX_URI_LENGTH",
    "ProviderHint",
    "Resolver",
    "UnresolvableHost",
    "UriCheck",
    "UriRejected",
    "check_uri",
    "hint_for_type",
    "provider_hint",
    "system_resolver",
]
