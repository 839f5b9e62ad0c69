"""Issue 17, point 8: "Updated" moves only when a sync changed the LLM."""

from __future__ import annotations

from llmadmin.audit.recorder import Origin
from llmadmin.llms.models import LLMDefinition
from llmadmin.llms.services import llm_sync
from tests.llms.lifecycle_support import upstream_record

ORIGIN = Origin.system("test")


def test_a_sync_that_changed_nothing_leaves_updated_alone(editor, team, emulator) -> None:
    record = emulator.store.put(upstream_record("gpt-steady"))
    moving = emulator.store.put(upstream_record("gpt-moving", model="gpt-4o"))
    llm_sync(actor=editor, origin=ORIGIN, team=team)
    steady = LLMDefinition.objects.get(vectara_id=record["id"])
    steady_before, steady_synced = steady.updated_at, steady.synced_at
    moving_before = LLMDefinition.objects.get(vectara_id=moving["id"]).updated_at

    emulator.store.put({**moving, "model": "gpt-4.1"})
    summary = llm_sync(actor=editor, origin=ORIGIN, team=team)

    assert summary.updated == 1
    steady.refresh_from_db()
    # Seen in this sync, so "Synced" moves; unchanged, so "Updated" does not.
    assert steady.updated_at == steady_before and steady.synced_at > steady_synced
    assert LLMDefinition.objects.get(vectara_id=moving["id"]).updated_at > moving_before
