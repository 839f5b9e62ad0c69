from __future__ import annotations

import pytest
from django.test import RequestFactory

from llmadmin.audit.models import AuditEvent
from llmadmin.core.proxies import client_ip


def ip(remote: str, xff: str | None = None) -> str | None:
    extra = {"HTTP_X_FORWARDED_FOR": xff} if xff is not None else {}
    return client_ip(RequestFactory().get("/", REMOTE_ADDR=remote, **extra))


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings) -> None:
    settings.LLMADMIN_TRUSTED_PROXIES = []
    assert ip("203.0.113.9", "1.2.3.4") == "203.0.113.9"


def test_a_trusted_proxy_vouches_for_the_address_it_saw(settings) -> None:
    settings.LLMADMIN_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert ip("10.0.0.2", "198.51.100.20") == "198.51.100.20"


def test_a_spoofed_leftmost_value_is_not_believed(settings) -> None:
    settings.LLMADMIN_TRUSTED_PROXIES = ["10.0.0.0/8"]
    # The client wrote "1.1.1.1" itself; our proxy appended the address it really saw.
    assert ip("10.0.0.2", "1.1.1.1, 198.51.100.20") == "198.51.100.20"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right(settings) -> None:
    settings.LLMADMIN_TRUSTED_PROXIES = ["10.0.0.0/8", "192.0.2.1"]
    assert ip("10.0.0.2", "6.6.6.6, 198.51.100.20, 192.0.2.1, 10.1.2.3") == "198.51.100.20"


def test_an_untrusted_peer_cannot_forward_for_anyone(settings) -> None:
    settings.LLMADMIN_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert ip("203.0.113.9", "198.51.100.20") == "203.0.113.9"


def test_garbage_from_a_trusted_proxy_stops_at_the_last_address_it_vouches_for(settings) -> None:
    settings.LLMADMIN_TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert ip("10.0.0.2", "198.51.100.20, not-an-ip, 10.0.0.3") == "10.0.0.3"
    assert ip("10.0.0.2", "") == "10.0.0.2"


def test_ports_brackets_and_mapped_addresses_are_understood(settings) -> None:
    settings.LLMADMIN_TRUSTED_PROXIES = ["10.0.0.0/8", "::1"]
    assert ip("::1", "[2001:db8::7]:443") == "2001:db8::7"
    assert ip("10.0.0.2", "198.51.100.20:5555") == "198.51.100.20"
    assert ip("::ffff:203.0.113.9") == "203.0.113.9"


@pytest.mark.django_db
def test_a_refused_request_is_recorded_with_the_address_behind_the_proxy(
    settings, client, team
) -> None:
    from tests.teams.factories import member

    settings.LLMADMIN_TRUSTED_PROXIES = ["10.0.0.0/8"]
    client.force_login(member("viewer", team, username="vic"))
    response = client.get(
        "/audit/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="1.1.1.1, 198.51.100.20"
    )
    assert response.status_code == 403
    assert AuditEvent.objects.get(action="access.denied").source_ip == "198.51.100.20"


def test_a_clients_own_request_id_is_replaced_and_a_trusted_proxys_kept(
    client, settings, db
) -> None:
    settings.LLMADMIN_TRUSTED_PROXIES = ["10.0.0.0/8"]
    forged = client.get(
        "/healthz", headers={"X-Request-ID": "forged-id-12345"}, REMOTE_ADDR="198.51.100.4"
    )
    assert forged["X-Request-ID"] != "forged-id-12345"
    kept = client.get("/healthz", headers={"X-Request-ID": "lb-id-1234567"}, REMOTE_ADDR="10.1.2.3")
    assert kept["X-Request-ID"] == "lb-id-1234567"
