"""Issue 17, point 8: the detail page states what Vectara holds, and offers only what works."""

from __future__ import annotations

from tests.llms.lifecycle_support import seeded


def test_the_badge_follows_vectara_and_drift_covers_every_field(editor_client, team, emulator):
    llm = seeded(emulator, team, description="local words", idle_timeout_seconds=60)
    llm.capabilities = {"vision": True}
    llm.save(update_fields=["capabilities"])
    emulator.store.put(
        {**emulator.store.get(llm.vectara_id), "enabled": False, "description": "upstream words",
         "idle_timeout_seconds": 90, "capabilities": {"vision": False, "tools": True}}
    )  # fmt: skip
    response = editor_client.get(f"/llms/{llm.pk}/")
    html = response.content.decode()
    status = html.split('id="llm-status"')[1].split("</section>")[0]
    assert '<span class="badge off">disabled</span>' in status and ">Enable</button>" in status
    fields = [d.field for d in response.context["upstream"].differences]
    assert fields == ["enabled", "description", "capabilities", "idle time-out"]


def test_a_missing_llm_offers_no_edit_and_tells_an_editor_what_they_can_do(
    editor_client, team, emulator
):
    llm = seeded(emulator, team)
    emulator.store.clear()
    html = editor_client.get(f"/llms/{llm.pk}/").content.decode()
    assert "Register it again in Vectara and run a sync, or ask an admin" in html
    assert f'href="/llms/{llm.pk}/edit/"' not in html
    assert ">Disable</button>" not in html and "delete it here" in html  # asks an admin to
