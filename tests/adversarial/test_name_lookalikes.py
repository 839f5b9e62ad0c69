"""Issue 14, class 10 (part): names that only look like an existing LLM's.

A name that differs from a stored one only by case, by full-width forms or by Cyrillic and
Greek letters that look Latin is refused at create, with a sentence that names the LLM it
looks like: Vectara never hears of it, and the auditor finds one failed create.
"""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from llmadmin.audit.models import AuditEvent
from llmadmin.audit.recorder import Origin
from llmadmin.llms.models import LLMDefinition
from llmadmin.llms.services import llm_create
from llmadmin.llms.spec import LLMSpec

pytestmark = pytest.mark.usefixtures("dns_records")

URI = "https://api.openai.com/v1/chat/completions"
# Latin letter -> letters from other scripts that look like it.
LOOK_ALIKES = {
    "a": "\u0430\u0391",  # Cyrillic a, Greek capital alpha
    "c": "\u0441\u0421",  # Cyrillic es, capital ES
    "e": "\u0435\u0395",  # Cyrillic ie, Greek capital epsilon
    "h": "\u041d\u0397",  # Cyrillic capital EN, Greek capital eta
    "i": "\u0456\u0399",  # Ukrainian i, Greek capital iota
    "k": "\u043a\u039a",  # Cyrillic ka, Greek capital kappa
    "m": "\u041c\u039c",  # Cyrillic capital EM, Greek capital mu
    "o": "\u043e\u03bf",  # Cyrillic o, Greek omicron
    "p": "\u0440\u03a1",  # Cyrillic er, Greek capital rho
    "t": "\u0422\u03a4",  # Cyrillic capital TE, Greek capital tau
    "x": "\u0445\u03a7",  # Cyrillic ha, Greek capital chi
    "y": "\u0443\u03a5",  # Cyrillic u, Greek capital upsilon
}
ASCII = "abcdefghijklmnopqrstuvwxyz0123456789-"


def full_width(char: str) -> str:
    return chr(ord(char) + 0xFEE0) if "!" <= char <= "~" else char


@st.composite
def name_and_look_alike(draw: st.DrawFn) -> tuple[str, str]:
    """A plain name, and one that reads the same: each character kept, its case swapped,
    written full-width or replaced by a look-alike from another script."""
    base = draw(
        st.text(ASCII, min_size=1, max_size=24).filter(lambda s: any(c.isalpha() for c in s))
    )
    variant = []
    for char in base:
        ways = [char, char.upper(), full_width(char), full_width(char.upper())]
        ways += list(LOOK_ALIKES.get(char, ""))
        variant.append(draw(st.sampled_from(ways)))
    look_alike = "".join(variant)
    return base, draw(st.just(look_alike).filter(lambda v: v != base))


def spec(name: str) -> LLMSpec:
    return LLMSpec(
        type="openai-compatible",
        name=name,
        model="gpt-4o",
        uri=URI,
        auth={"type": "bearer", "token": "sk-lookalike-0123456789"},
    )


@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much],
    max_examples=25,
    deadline=None,
)
@given(names=name_and_look_alike())
def test_a_look_alike_name_is_refused_before_vectara(
    editor_client, editor, team, emulator, names: tuple[str, str]
) -> None:
    base, look_alike = names
    LLMDefinition.objects.all().delete()
    emulator.store.clear()
    llm_create(actor=editor, origin=Origin.system("test"), team=team, spec=spec(base))
    emulator.requests.clear()
    events_before = AuditEvent.objects.count()

    form = {"type": "openai-compatible", "model": "gpt-4o", "uri": URI, "auth_type": "bearer"}
    response = editor_client.post(
        "/llms/new/", {**form, "name": look_alike, "token": "sk-lookalike-0123456789"}
    )

    assert response.status_code == 200
    [shown] = response.context["form"].errors["name"]
    assert f"An LLM named {base!r} already exists" in shown
    assert "look alike" in shown
    assert not [r for r in emulator.requests if r.method == "POST"]
    assert list(LLMDefinition.objects.values_list("name", flat=True)) == [base]
    [event] = AuditEvent.objects.order_by("id")[events_before:]
    assert (event.action, event.outcome) == ("llm.create", "failure")
    assert shown.endswith(event.message)  # the form may say where the sentence comes from


def test_the_database_itself_refuses_a_look_alike(team) -> None:
    """Two workers that both passed the check: the unique name_key stops the second."""
    LLMDefinition.objects.create(team=team, vectara_id="llm_1", name="gpt-4o", type="anthropic")
    with pytest.raises(IntegrityError), transaction.atomic():
        LLMDefinition.objects.create(
            team=team, vectara_id="llm_2", name="G\u0420T-4\u043e", type="anthropic"
        )
