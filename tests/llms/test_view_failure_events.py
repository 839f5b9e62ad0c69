"""While Vectara is down, the detail page says so on every view, but the audit log gets one
`llm.view` failure per LLM and kind of failure per window, not one per page view."""

from __future__ import annotations

import time

from llmadmin.audit.models import AuditEvent
from llmadmin.llms.services import inspect as inspect_service
from tests.llms.lifecycle_support import local_only
from tests.support.fault_server import Fault, fault_server, refused_url

DOWN = "Vectara answered 500 with an empty body when trying to read the LLM from Vectara."


def _view(client, llm) -> str:
    response = client.get(f"/llms/{llm.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def _view_with(client, llm, settings, fault: Fault | None) -> str:
    """One view of the detail page while Vectara answers `fault` (None: refuses to connect)."""
    if fault is None:
        settings.VECTARA_API_URL = refused_url()
        return _view(client, llm)
    with fault_server(fault) as server:
        settings.VECTARA_API_URL = server.base_url
        return _view(client, llm)


def _failures() -> list[tuple[str, int | None]]:
    events = AuditEvent.objects.filter(action="llm.view", outcome="failure").order_by("pk")
    return [(e.target_label, e.upstream_status) for e in events]


def test_views_during_an_outage_show_the_failure_each_time_but_record_it_once(
    editor_client, team, settings
) -> None:
    llm = local_only(team)
    for _ in range(3):
        assert DOWN in _view_with(editor_client, llm, settings, Fault.status(500))
    assert _failures() == [("gpt-team", 500)]


def test_each_kind_of_failure_is_recorded_once(editor_client, team, settings) -> None:
    llm = local_only(team)
    for fault in (Fault.status(500), Fault.status(503), None, Fault.status(500), None):
        _view_with(editor_client, llm, settings, fault)
    # 503 is another status of the same error class; a refused connection has no status.
    assert _failures() == [("gpt-team", 500), ("gpt-team", 503), ("gpt-team", None)]


def test_each_llm_failing_the_same_way_is_recorded(editor_client, team, settings) -> None:
    first = local_only(team)
    second = local_only(team, vectara_id="llm_2", name="gpt-other")
    for llm in (first, second, first, second):
        _view_with(editor_client, llm, settings, Fault.status(500))
    assert _failures() == [("gpt-team", 500), ("gpt-other", 500)]


def test_after_the_window_the_same_failure_is_recorded_again(
    editor_client, team, settings, monkeypatch
) -> None:
    monkeypatch.setattr(inspect_service, "VIEW_FAILURE_WINDOW", 0.05)
    llm = local_only(team)
    _view_with(editor_client, llm, settings, Fault.status(500))
    time.sleep(0.1)  # twice the window; a slower machine only waits longer, so no flake
    _view_with(editor_client, llm, settings, Fault.status(500))
    assert _failures() == [("gpt-team", 500), ("gpt-team", 500)]


def test_with_the_cache_down_the_page_still_works_and_the_failure_is_recorded(
    editor_client, team, settings
) -> None:
    llm = local_only(team)
    settings.CACHES = {
        **settings.CACHES,
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens there
        },
    }
    assert DOWN in _view_with(editor_client, llm, settings, Fault.status(500))
    assert _failures() == [("gpt-team", 500)]
