"""The emulator's LLMs: built-in platform LLMs plus customer LLMs, optionally in a JSON file.

Customer records are kept whole, secrets unmasked, so tests can check what the dashboard sent;
only rules.public_view() masks them on the way out. The file holds secrets, so it is written
owner-only (mkstemp's 0600) and atomically (temp file + os.replace): a crash mid-write leaves
the previous version. One lock guards every read-modify-write, so a duplicate-name check and
the insert it guards can't interleave with another request.
"""

from __future__ import annotations

import copy
import json
import os
import tempfile
import threading
from collections.abc import Callable
from contextlib import suppress
from pathlib import Path
from typing import Any

from .rules import LLM_TYPES, infer_capabilities

Record = dict[str, Any]
Guard = Callable[[Record | None], object]  # raises to refuse; gets a copy of the record (or None)

_FIRST_ID = 1_000_001


def _platform(number: int, name: str, llm_type: str, model: str, uri: str, **extra: Any) -> Record:
    return {
        "id": f"llm_platform_{number}",
        "name": name,
        "description": extra.pop("description", ""),
        "type": llm_type,
        "model": model,
        "uri": uri,
        "headers": {},
        "idle_timeout_seconds": None,
        "capabilities": infer_capabilities(llm_type),
        "enabled": True,
        "default": extra.pop("default", False),
        "ownership": "platform",
    }


# Built into "Vectara": always listed first, never persisted, never changed. No auth: the
# platform holds those credentials itself.
PLATFORM_LLMS: tuple[Record, ...] = (
    _platform(
        1,
        "mockingbird-2.0",
        "openai-compatible",
        "mockingbird-2.0",
        "https://api.vectara.io/v2/mockingbird/chat/completions",
        description="Vectara's own RAG-tuned model.",
        default=True,
    ),
    _platform(
        2,
        "gpt-4o",
        "openai-compatible",
        "gpt-4o",
        "https://api.openai.com/v1/chat/completions",
        description="OpenAI GPT-4o, provided by the platform.",
    ),
    _platform(
        3,
        "claude-3-7-sonnet",
        "anthropic",
        "claude-3-7-sonnet-20250219",
        "https://api.anthropic.com/v1/messages",
        description="Anthropic Claude 3.7 Sonnet, provided by the platform.",
    ),
)


class EmulatorStoreError(Exception):
    """The store file exists but isn't an emulator store; refusing beats overwriting it."""


def _customer_only(record: Record | None) -> Record:
    # The API layer refuses these first; this keeps the store safe if a caller forgets.
    if record is None or record["ownership"] != "customer":
        raise LookupError("only stored customer LLMs can be changed")
    return record


class EmulatorStore:
    def __init__(self, path: str | os.PathLike[str] | None = None) -> None:
        self.path = Path(path) if path is not None else None
        self._lock = threading.Lock()
        self._llms: list[Record] = []  # customer LLMs, in creation order
        self._next_id = _FIRST_ID
        if self.path is not None and self.path.exists():
            self._load()

    # --- inspection and seeding (tests, fixtures) ------------------------------------------

    def all(self) -> list[Record]:
        """Every customer LLM as stored, secrets unmasked (platform LLMs are not stored)."""
        with self._lock:
            return copy.deepcopy(self._llms)

    def get(self, id_or_name: str) -> Record | None:
        """The LLM the API would act on for this path segment, platform ones included."""
        with self._lock:
            return copy.deepcopy(self._find(id_or_name))

    def put(self, record: Record) -> Record:
        """Store a customer LLM as given (no validation: tests may seed odd data), filling the
        defaults a created LLM would have; replaces the LLM with the same id."""
        with self._lock:
            full = self._complete(copy.deepcopy(record))
            llms = list(self._llms)
            index = next((i for i, llm in enumerate(llms) if llm["id"] == full["id"]), len(llms))
            llms[index : index + 1] = [full]  # replaces in place, or appends
            self._commit(llms)
            return copy.deepcopy(full)

    def clear(self) -> None:
        """Forget every customer LLM. Ids keep counting up, so none is ever reused."""
        with self._lock:
            self._commit([])

    # --- API operations --------------------------------------------------------------------

    def listing(self) -> list[Record]:
        """The list order: platform LLMs first, then customer LLMs by creation."""
        with self._lock:
            return copy.deepcopy([*PLATFORM_LLMS, *self._llms])

    def create(self, record: Record) -> Record | None:
        """Insert a new customer LLM with a fresh id; None if a customer LLM has that name.
        (Platform names may be reused: the contract says such an LLM overrides the built-in.)"""
        with self._lock:
            if any(llm["name"] == record["name"] for llm in self._llms):
                return None
            created = {"id": self._take_id(), **copy.deepcopy(record)}
            self._commit([*self._llms, created])
            return copy.deepcopy(created)

    def update(self, id_or_name: str, change: Callable[[Record | None], Record]) -> Record:
        """Read, change and write one LLM atomically. `change` gets a copy of the current
        record (None if unknown) and returns the new one, or raises to refuse."""
        with self._lock:
            current = self._find(id_or_name)
            updated = change(copy.deepcopy(current))
            current = _customer_only(current)
            self._commit([updated if llm["id"] == current["id"] else llm for llm in self._llms])
            return copy.deepcopy(updated)

    def delete(self, id_or_name: str, guard: Guard) -> Record:
        """Remove one customer LLM atomically after `guard` (which raises to refuse) agrees."""
        with self._lock:
            current = self._find(id_or_name)
            guard(copy.deepcopy(current))
            current = _customer_only(current)
            self._commit([llm for llm in self._llms if llm["id"] != current["id"]])
            return copy.deepcopy(current)

    # --- internals (callers hold the lock) -------------------------------------------------

    def _find(self, key: str) -> Record | None:
        # An id wins over a name; a customer LLM's name wins over the platform one it overrides.
        ordered = [*self._llms, *PLATFORM_LLMS]
        return next((r for r in ordered if r["id"] == key), None) or next(
            (r for r in ordered if r["name"] == key), None
        )

    def _take_id(self) -> str:
        llm_id = f"llm_{self._next_id}"
        self._next_id += 1
        return llm_id

    def _complete(self, record: Record) -> Record:
        if "id" not in record:
            record["id"] = self._take_id()
        elif str(record["id"]).removeprefix("llm_").isdigit():
            self._next_id = max(self._next_id, int(str(record["id"])[4:]) + 1)
        llm_type = record.get("type", "openai-compatible")
        spec = LLM_TYPES.get(llm_type)
        defaults = {
            "description": "",
            "type": llm_type,
            "model": "",
            **({"uri": spec.default_uri} if spec and spec.default_uri else {}),
            "headers": {},
            "idle_timeout_seconds": None,
            "capabilities": infer_capabilities(llm_type) if spec else {},
            "enabled": True,
            "default": False,
            "ownership": "customer",
        }
        return defaults | record

    def _commit(self, llms: list[Record]) -> None:
        # Write first, then swap in memory: a failed write leaves both views unchanged.
        if self.path is not None:
            self._write({"next_id": self._next_id, "llms": llms})
        self._llms = llms

    def _write(self, data: dict[str, Any]) -> None:
        assert self.path is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(
            dir=self.path.parent, prefix=f".{self.path.name}.", suffix=".tmp"
        )
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as file:
                json.dump(data, file, indent=2, ensure_ascii=False)
                file.flush()
                os.fsync(file.fileno())
            os.replace(temp, self.path)
        except BaseException:
            with suppress(FileNotFoundError):
                os.unlink(temp)
            raise

    def _load(self) -> None:
        assert self.path is not None
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise EmulatorStoreError(
                f"{self.path} is not a readable emulator store: {exc}"
            ) from None
        llms: Any = data.get("llms") if isinstance(data, dict) else None  # checked just below
        well_formed = isinstance(llms, list) and all(
            isinstance(llm, dict)
            and isinstance(llm.get("id"), str)
            and isinstance(llm.get("name"), str)
            for llm in llms
        )
        if not well_formed or not isinstance(data.get("next_id"), int):
            raise EmulatorStoreError(
                f"{self.path} is not an emulator store (expected next_id, llms)."
            )
        self._llms = llms
        self._next_id = max(data["next_id"], _FIRST_ID)
