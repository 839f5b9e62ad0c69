"""A static resolver for tests: DNS for public names does not resolve here, and tests must
decide what a name resolves to. Tests fill RECORDS (or use the `dns_records` fixture)."""

from __future__ import annotations

from llmadmin.llms.uri_policy import UnresolvableHost

RECORDS: dict[str, list[str]] = {}


def resolve(host: str) -> list[str]:
    try:
        return list(RECORDS[host.lower().rstrip(".")])
    except KeyError:
        raise UnresolvableHost(host) from None
