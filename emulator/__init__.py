"""A local stand-in for Vectara's /v2/llms API, so the dashboard works offline (`make run`
starts it through `manage.py vectara_emulator`) and tests talk to it over real HTTP.

    with running_emulator(api_key="k") as emulator:
        requests.get(f"{emulator.base_url}/v2/llms", headers={"x-api-key": "k"})
        emulator.store.all()      # what was stored, secrets unmasked
        emulator.requests[-1]     # exactly what was sent

The contract is shared/vectara/llms-openapi.yaml; rules.py restates it, server.py serves it,
store.py keeps the LLMs (in memory, or in a JSON file that survives restarts).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from .server import EmulatorServer, RecordedRequest, make_server
from .store import PLATFORM_LLMS, EmulatorStore, EmulatorStoreError

__all__ = [
    "PLATFORM_LLMS",
    "Emulator",
    "EmulatorServer",
    "EmulatorStore",
    "EmulatorStoreError",
    "RecordedRequest",
    "make_server",
    "running_emulator",
]


@dataclass
class Emulator:
    server: EmulatorServer
    base_url: str  # "http://127.0.0.1:<port>"
    store: EmulatorStore  # inspect or seed state directly
    requests: list[RecordedRequest]  # every request received, in order


@contextmanager
def running_emulator(
    *,
    store_path: str | os.PathLike[str] | None = None,
    api_key: str | None = None,
    verbose: bool = False,
    create_delay: float = 0.0,
) -> Iterator[Emulator]:
    """Serve on a free loopback port in a daemon thread for the duration of the block."""
    server = make_server(
        "127.0.0.1",
        0,
        store_path=store_path,
        api_key=api_key,
        verbose=verbose,
        record_requests=True,
        create_delay=create_delay,
    )
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},  # shutdown() waits up to one poll interval
        name="vectara-emulator",
        daemon=True,
    )
    thread.start()
    try:
        port = server.server_address[1]
        yield Emulator(server, f"http://127.0.0.1:{port}", server.store, server.requests)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
