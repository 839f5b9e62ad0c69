"""Figure 7: a viewer's /llms/ while six people's creates each wait BENCH_SLOW_DELAY (8) s on
Vectara, divided by the same page with nothing waiting, on one gunicorn as production runs it
(gthread workers, outbound calls capped). For information, the same on a second gunicorn with
the model before issue 16 (sync workers, one thread each): the "before" figure.

The emulator delays each create (`vectara_emulator --create-delay`), as Vectara does while it
tests the model. Six different editors create, one call each, since a person may have only
LLMADMIN_OUTBOUND_PER_PERSON (2) calls waiting. Each round times the page, one request after
another, for a window of the delay less two SETTLE seconds with nothing waiting; then starts
the six creates, gives them SETTLE seconds to reach the emulator and times the page for the
same window, which closes SETTLE seconds before they are answered. Every create must then
have succeeded.

What is divided is the page's **round trip**, not gunicorn's server time: a request waiting
for a free worker or thread sits in gunicorn's queue before it is parsed, and gunicorn's
timing (%(D)s) starts only then. That wait is what this figure is about, so server times,
which leave it out, are printed beside for comparison only."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import requests
from django.contrib.auth import get_user_model

from llmadmin.teams.models import Membership, Role, Team

from .create_overhead import creator
from .support import (
    API_KEY,
    PASSWORD,
    Result,
    emulator,
    env_int,
    get_ok,
    gunicorn,
    login,
    median,
    say,
    server_times,
    spread,
)

CREATORS = [f"creator{n}" for n in range(1, 7)]
# Time the six creates get to reach Vectara before the page is timed, and that the window
# keeps clear of their answers at its end.
SETTLE = 1.0


def seed_creators(team: Team) -> None:
    """Six editors of the team, beside seed_demo's people."""
    User = get_user_model()
    for username in CREATORS:
        user, _ = User.objects.get_or_create(username=username)
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
        Membership.objects.update_or_create(user=user, team=team, defaults={"role": Role.EDITOR})


def delay() -> float:
    return float(env_int("BENCH_SLOW_DELAY", 8, quick=3))


def _timed(
    page: Callable[[], requests.Response], until: float
) -> tuple[list[float], list[requests.Response]]:
    """Round trips of the page, one after another, each started before `until`."""
    trips, answers = [], []
    while time.monotonic() < until:
        started = time.perf_counter()
        answers.append(page())
        trips.append(time.perf_counter() - started)
    return trips, answers


def rounds_of(
    page: Callable[[], requests.Response],
    creates: list[Callable[[], requests.Response]],
    *,
    rounds: int,
    wait: float,
) -> dict[str, tuple[list[float], list[requests.Response]]]:
    """The page timed with nothing waiting and with the creates waiting, round after round."""
    timed: dict[str, tuple[list[float], list[requests.Response]]] = {
        "nothing waiting": ([], []),
        "six creates waiting": ([], []),
    }
    window = wait - 2 * SETTLE
    page(), page()  # warm-up
    with ThreadPoolExecutor(len(creates)) as pool:
        for _ in range(rounds):
            trips, answers = _timed(page, time.monotonic() + window)
            timed["nothing waiting"][0].extend(trips)
            timed["nothing waiting"][1].extend(answers)

            started = time.monotonic()
            waiting = [pool.submit(create) for create in creates]
            time.sleep(SETTLE)
            trips, answers = _timed(page, started + SETTLE + window)
            timed["six creates waiting"][0].extend(trips)
            timed["six creates waiting"][1].extend(answers)
            for future in waiting:
                future.result()  # raises unless the create succeeded (creator() checks)
    return timed


def measure(
    *, name: str, base_url: str, viewer: requests.Session, editors: list[requests.Session]
) -> tuple[list[float], list[float], str]:
    """Median round trips of /llms/ (loaded, idle) on one server, and a line of inputs."""
    rounds = env_int("BENCH_SLOW_ROUNDS", 3, quick=2)
    wait = delay()
    creates = [creator(base_url, editor) for editor in editors]
    timed = rounds_of(get_ok(viewer, f"{base_url}/llms/"), creates, rounds=rounds, wait=wait)
    served = server_times({label: answers for label, (_, answers) in timed.items()})
    for label, (trips, _) in timed.items():
        say(
            f"  {name}: /llms/ with {label:<19} round trip {spread(trips)}, "
            f"server {spread(served[label])}, {len(trips)} runs"
        )
    loaded, idle = timed["six creates waiting"][0], timed["nothing waiting"][0]
    inputs = (
        f"{rounds} rounds of {len(creates)} creates by {len(creates)} editors waiting "
        f"{wait:.0f} s each; round trip {spread(loaded)} ({len(loaded)} runs) ÷ {spread(idle)} "
        f"({len(idle)} runs); server time {spread(served['six creates waiting'])} ÷ "
        f"{spread(served['nothing waiting'])}"
    )
    return loaded, idle, inputs


def result(*, loaded: list[float], idle: list[float], inputs: str, old_model: bool) -> Result:
    if old_model:
        return Result(
            "7",
            "before: the same with sync workers, one thread each",
            median(loaded) / median(idle),
            "",
            inputs,
        )
    return Result(
        "7",
        "/llms/ as viewer while six creates wait on Vectara ÷ with nothing waiting",
        median(loaded) / median(idle),
        "<= 1.5",
        inputs,
    )


def run(env: dict[str, str], team: Team) -> list[Result]:
    """Figure 7 on its own emulator (delaying creates) and two gunicorns, one after the other,
    on the large database: the threaded model, then the one before it."""
    seed_creators(team)
    out = []
    with emulator(env, "emulator-slow", create_delay=delay()) as slow:
        upstream = {**env, "VECTARA_API_URL": slow.url, "VECTARA_API_KEY": API_KEY}
        models = {
            "threaded": {},
            "before": {"GUNICORN_CMD_ARGS": "--worker-class sync --threads 1"},
        }
        for name, extra in models.items():
            with gunicorn({**upstream, **extra}, f"slow-{name}") as server:
                viewer = login(server.url, "viewer")
                editors = [login(server.url, username) for username in CREATORS]
                loaded, idle, inputs = measure(
                    name=name, base_url=server.url, viewer=viewer, editors=editors
                )
            out.append(result(loaded=loaded, idle=idle, inputs=inputs, old_model=name == "before"))
    return out
