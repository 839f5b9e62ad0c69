"""Syncing the local records with every LLM Vectara lists.

Everything is fetched first and reconciled afterwards in one transaction: a sync that fails
on any page (or dies) changes nothing locally, and running it again is always safe.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from llmadmin.audit.recorder import Attempt, Origin, Target
from llmadmin.core.errors import ApplicationError
from llmadmin.teams.models import Team
from llmadmin.teams.policy import Action, Actor, policy
from llmadmin.vectara.client import VectaraClient, get_client
from llmadmin.vectara.errors import InvalidResponse, VectaraError
from llmadmin.vectara.types import LLM

from ..models import LLMDefinition, Ownership, UpstreamState, name_key
from ..spec import public_auth

PAGE_SIZE = 100  # the contract's maximum: fewest round trips
ACTION = "sync the LLMs with Vectara"
# (pages fetched so far, LLMs fetched so far)
OnPage = Callable[[int, int], None]
# The fields a sync copies from Vectara. Secrets and the fingerprint are never listed.
SYNCED = (
    "name",
    "type",
    "description",
    "model",
    "uri",
    "enabled",
    "ownership",
    "auth_type",
    "auth_public",
    "headers",
    "capabilities",
    "idle_timeout_seconds",
)


@dataclass
class SyncSummary:
    added: int = 0
    updated: int = 0
    gone: int = 0
    unchanged: int = 0
    pages: int = 0
    # Names Vectara lists that can't be stored because a local LLM already has the name (or
    # one that looks just like it).
    skipped: list[str] = field(default_factory=list)

    def sentence(self) -> str:
        text = (
            f"Sync finished: {self.added} added, {self.updated} updated, {self.gone} gone "
            f"from Vectara (marked missing), {self.unchanged} unchanged."
        )
        if self.skipped:
            names = ", ".join(self.skipped[:5]) + ("…" if len(self.skipped) > 5 else "")
            text += (
                f" {len(self.skipped)} not added because a local LLM already has the name, "
                f"or one that looks like it: {names}."
            )
        return text

    def as_details(self) -> dict[str, Any]:
        return {**asdict(self), "skipped": self.skipped[:50]}


def _fetch_all(client: VectaraClient, on_page: OnPage | None) -> tuple[list[LLM], int]:
    # Not client.iter_llms(): progress is reported per page, which a flat iterator hides.
    llms: list[LLM] = []
    seen: set[str] = set()
    page_key: str | None = None
    pages = 0
    while True:
        page = client.list_llms(limit=PAGE_SIZE, page_key=page_key)
        pages += 1
        llms.extend(page.llms)
        if on_page:
            on_page(pages, len(llms))
        if page.page_key is None:
            return llms, pages
        if page.page_key in seen:  # a server bug would otherwise make this loop forever
            raise InvalidResponse(status=200, detail="it repeated a page of the list")
        seen.add(page.page_key)
        page_key = page.page_key


def _fields_from(upstream: LLM, current: LLMDefinition | None) -> dict[str, Any]:
    auth = dict(upstream.auth or {})
    auth_type = upstream.auth_type or (current.auth_type if current else "")
    return {
        "name": upstream.name,
        # Kept while the name is: a look-alike pair from before name_key keeps its own key.
        "name_key": (
            current.name_key
            if current is not None and current.name == upstream.name
            else name_key(upstream.name)
        ),
        "type": upstream.type,
        "description": upstream.description,
        "model": upstream.model,
        "uri": upstream.uri,
        "enabled": upstream.enabled,
        "ownership": (
            Ownership.PLATFORM if upstream.ownership == Ownership.PLATFORM else Ownership.CUSTOMER
        ),
        "auth_type": auth_type,
        # Vectara masks the secrets; only the rest is worth keeping.
        "auth_public": public_auth(auth) if auth else (current.auth_public if current else {}),
        "headers": dict(upstream.headers),
        "capabilities": dict(upstream.capabilities or {}),
        "idle_timeout_seconds": upstream.idle_timeout_seconds,
    }


def _reconcile(upstream_llms: Sequence[LLM], summary: SyncSummary) -> None:
    now = timezone.now()
    # Locked so an edit or a second sync can't change a row between reading and writing it.
    local = {llm.vectara_id: llm for llm in LLMDefinition.objects.select_for_update()}
    # Name keys, not names: an upstream name that only looks like a local one is skipped too.
    keys = {llm.name_key for llm in local.values()}
    seen: set[str] = set()
    to_create: list[LLMDefinition] = []
    to_update: list[LLMDefinition] = []
    # Customer LLMs first: when a customer LLM reuses a built-in's name, it overrides it.
    ordered = sorted(upstream_llms, key=lambda u: u.ownership == Ownership.PLATFORM)
    for upstream in ordered:
        if upstream.id in seen:
            continue
        seen.add(upstream.id)
        current = local.get(upstream.id)
        fields = _fields_from(upstream, current)
        if current is None:
            if fields["name_key"] in keys:
                summary.skipped.append(upstream.name)
                continue
            keys.add(fields["name_key"])
            to_create.append(
                LLMDefinition(vectara_id=upstream.id, team=None, synced_at=now, **fields)
            )
            continue
        changed = {k: v for k, v in fields.items() if getattr(current, k) != v}
        if current.upstream_state != UpstreamState.PRESENT:
            changed["upstream_state"] = UpstreamState.PRESENT
        if "auth_type" in changed:
            changed["auth_fingerprint"] = ""  # it described the old credential
        if "name_key" in changed and changed["name_key"] in keys:
            summary.skipped.append(upstream.name)
            continue
        current.synced_at = now
        if changed:
            keys.discard(current.name_key)
            keys.add(fields["name_key"])
            for key, value in changed.items():
                setattr(current, key, value)
            current.version += 1  # an edit form opened before the sync must not undo it
            current.updated_at = now  # only a real change moves "Updated"
            summary.updated += 1
        else:
            summary.unchanged += 1
        to_update.append(current)
    for vectara_id, current in local.items():
        if vectara_id in seen:
            continue
        if current.upstream_state == UpstreamState.MISSING:
            summary.unchanged += 1
            continue
        current.upstream_state = UpstreamState.MISSING
        current.updated_at = now
        to_update.append(current)
        summary.gone += 1
    summary.added = len(to_create)
    LLMDefinition.objects.bulk_create(to_create, batch_size=500)
    columns = [
        *SYNCED,
        "name_key",
        "upstream_state",
        "auth_fingerprint",
        "synced_at",
        "version",
        "updated_at",
    ]
    LLMDefinition.objects.bulk_update(to_update, columns, batch_size=500)


def llm_sync(
    *,
    actor: Actor,
    origin: Origin,
    team: Team | None = None,
    on_page: OnPage | None = None,
    client: VectaraClient | None = None,
) -> SyncSummary:
    """Pull every page of GET /v2/llms and reconcile the local records with it.

    LLMs created outside the dashboard are added unowned (team None) for an org admin to
    assign; built-in ones are added as platform LLMs that every team sees read-only; local
    records Vectara no longer lists are marked missing, never deleted. One `llm.sync` event
    per call, with the summary in its details. `team` is only where the event is filed.
    """
    attempt = Attempt(origin, Action.LLM_SYNC, team=team, target=Target("llm", "", "all LLMs"))
    if not policy.user_has_permission(actor, Action.LLM_SYNC, team):
        raise attempt.deny(policy.refusal(Action.LLM_SYNC, team))

    client = client or get_client()
    pages = [0]

    def counted(page: int, count: int) -> None:
        pages[0] = page
        if on_page:
            on_page(page, count)

    try:
        upstream_llms, page_count = _fetch_all(client, counted)
    except VectaraError as exc:
        message = (
            f"{exc.user_message(ACTION)} Nothing was changed in the dashboard; run the sync "
            "again when Vectara answers."
        )
        attempt.failure(message, exc=exc, pages_fetched=pages[0])
        raise ApplicationError(message) from None

    summary = SyncSummary(pages=page_count)
    try:
        with transaction.atomic():
            _reconcile(upstream_llms, summary)
            attempt.success(summary.sentence(), upstream_status=200, **summary.as_details())
    except (IntegrityError, DatabaseError):
        # Most likely a second sync (or a create) saved the same LLM first.
        message = (
            "The sync could not save its results because the LLMs changed in the dashboard "
            "meanwhile (perhaps another sync ran at the same time). Nothing was changed; run "
            "it again."
        )
        attempt.failure(message, pages_fetched=page_count)
        raise ApplicationError(message) from None
    return summary
