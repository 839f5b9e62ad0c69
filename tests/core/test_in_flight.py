"""The cap on outbound calls in a process: a call finding it full waits for a place, and is
refused only when none frees in time."""

from __future__ import annotations

import threading

import pytest

from llmadmin.core import in_flight


def test_a_call_finding_the_process_full_gets_the_place_that_frees(settings) -> None:
    settings.LLMADMIN_OUTBOUND_PER_PROCESS = 1
    settings.LLMADMIN_OUTBOUND_WAIT_SECONDS = 30
    holding, release = threading.Event(), threading.Event()
    outcome: list[str] = []

    def first() -> None:
        with in_flight.slot():
            holding.set()
            release.wait(30)

    def second() -> None:
        try:
            with in_flight.slot():
                outcome.append("sent")
        except in_flight.Busy:
            outcome.append("refused")

    one = threading.Thread(target=first)
    one.start()
    assert holding.wait(30)
    two = threading.Thread(target=second)
    two.start()
    release.set()  # the first call ends; its place goes to the one waiting
    one.join(30)
    two.join(30)
    assert outcome == ["sent"]


def test_a_call_is_refused_when_no_place_frees_in_time(settings) -> None:
    settings.LLMADMIN_OUTBOUND_PER_PROCESS = 1
    settings.LLMADMIN_OUTBOUND_WAIT_SECONDS = 0.05
    with (
        in_flight.slot(),
        pytest.raises(in_flight.Busy, match="many people at once"),
        in_flight.slot(),
    ):
        pass
    with in_flight.slot():  # and the place was given back
        pass
