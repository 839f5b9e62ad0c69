"""Syncing the local records with every LLM Vectara lists.

Everything is fetched first and reconciled afterwards in one transaction: a sync that fails
on any page (or dies) changes nothing locally, and running it again is always safe. A sync
is asked for with `sync_start`, which takes the one-at-a-time lock (a `SyncRun`) and queues
the job (llmadmin/llms/tasks.py) that calls `llm_sync`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import DatabaseError, IntegrityError, transaction
from django.utils import timezone

from llmadmin.audit.models import Outcome
from llmadmin.audit.recorder import Attempt, Origin, Target, record
from llmadmin.core.errors import ApplicationError
from llmadmin.teams.models import Team
from llmadmin.teams.policy import SYSTEM, Action, Actor, policy, user_of
from llmadmin.vectara.client import VectaraClient, get_client
from llmadmin.vectara.errors import (
    Busy,
    ConnectionFailed,
    InvalidResponse,
    RateLimited,
    ServerError,
    TimedOut,
    VectaraError,
)
from llmadmin.vectara.types import LLM

from ..models import LLMDefinition, Ownership, SyncRun, UpstreamState, name_key
from ..spec import public_auth

PAGE_SIZE = 100  # the contract's maximum: fewest round trips
ACTION = "sync the LLMs with Vectara"
ALL_LLMS = Target("llm", "", "all LLMs")
# Worth another try later: Vectara (or the way to it) may answer then. Anything else, such
# as a refused key or a malformed answer, would fail the same way again.
PASSING_FAILURES = (TimedOut, ConnectionFailed, ServerError, RateLimited, Busy)
DRIFT = "llm.drift"
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


@dataclass(frozen=True)
class Drift:
    """An LLM changed in Vectara outside the dashboard: its synced fields before and after."""

    llm: LLMDefinition
    before: dict[str, Any]
    after: dict[str, Any]


def _reconcile(upstream_llms: Sequence[LLM], summary: SyncSummary) -> list[Drift]:
    """Bring the local records up to date; return what changed in Vectara meanwhile."""
    now = timezone.now()
    drift: list[Drift] = []
    # Locked so an edit or a second sync can't change a row between reading and writing it.
    local = {llm.vectara_id: llm for llm in LLMDefinition.objects.select_for_update()}
    # Name keys, not names: an upstream name that only looks like a local one is skipped too.
    keys = {llm.name_key for llm in local.values()}
    seen: set[str] = set()
    to_create: list[LLMDefinition] = []
    to_update: list[LLMDefinition] = []
    unchanged: list[int] = []  # only synced_at moves: one narrow UPDATE, not bulk_update's CASE
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
            seen_fields = [k for k in changed if k in (*SYNCED, "upstream_state")]
            before = {k: getattr(current, k) for k in seen_fields}
            drift.append(Drift(current, before, {k: changed[k] for k in seen_fields}))
            keys.discard(current.name_key)
            keys.add(fields["name_key"])
            for key, value in changed.items():
                setattr(current, key, value)
            current.version += 1  # an edit form opened before the sync must not undo it
            current.updated_at = now  # only a real change moves "Updated"
            summary.updated += 1
            to_update.append(current)
        else:
            summary.unchanged += 1
            unchanged.append(current.pk)
    for vectara_id, current in local.items():
        if vectara_id in seen:
            continue
        if current.upstream_state == UpstreamState.MISSING:
            summary.unchanged += 1
            continue
        drift.append(
            Drift(
                current,
                {"upstream_state": current.upstream_state},
                {"upstream_state": UpstreamState.MISSING},
            )
        )
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
    for start in range(0, len(unchanged), 1000):
        batch = unchanged[start : start + 1000]
        LLMDefinition.objects.filter(pk__in=batch).update(synced_at=now)
    return drift


def _drift_sentence(change: Drift) -> str:
    if change.after.get("upstream_state") == UpstreamState.MISSING:
        return "Deleted in Vectara outside the dashboard; the record is marked missing upstream."
    fields = ", ".join(sorted(change.after))
    return f"Changed in Vectara outside the dashboard: {fields}."


class TryAgainLater(Exception):
    """The sync failed in a way that may pass; nothing was recorded, the job retries it."""

    def __init__(self, error: VectaraError) -> None:
        super().__init__(str(error))
        self.error = error
        self.message = error.user_message(ACTION)


def busy_sentence(run: SyncRun) -> str:
    who = run.origin.get("actor_username") or run.get_trigger_display()
    when = timezone.localtime(run.created_at).strftime("%H:%M")
    return (
        f"A sync asked for by {who} at {when} UTC is {run.get_state_display()}; only one runs "
        "at a time."
    )


def sync_start(
    *,
    actor: Actor,
    origin: Origin,
    team: Team | None = None,
    trigger: SyncRun.Trigger = SyncRun.Trigger.PERSON,
    queue: bool = True,
) -> SyncRun:
    """Ask for a sync: the new SyncRun is the lock, refused with a sentence while another run
    is active. With `queue`, its job goes on the queue in the same transaction (the queue is
    in the same database), so there is never a run without its job or a job without its run.
    `team` is only where the events are filed."""
    if not policy.user_has_permission(actor, Action.LLM_SYNC, team):
        attempt = Attempt(origin, Action.LLM_SYNC, team=team, target=ALL_LLMS)
        raise attempt.deny(policy.refusal(Action.LLM_SYNC, team))
    close_abandoned()
    try:
        with transaction.atomic():
            run = SyncRun.objects.create(
                trigger=trigger,
                started_by_id=user_of(actor).pk,
                team=team,
                origin=asdict(origin),
            )
            if queue:
                from ..tasks import sync_llms  # the job module imports this one

                sync_llms.enqueue(run.pk)
    except IntegrityError:
        current = SyncRun.objects.filter(active=True).first()
        raise ApplicationError(
            busy_sentence(current) if current else "Another sync has just started; try again."
        ) from None
    return run


def abandoned_after() -> timedelta:
    """How long a running sync may go without a sign of life: longer than any one call to
    Vectara can take (heartbeats come with every page), plus time to save the results."""
    call = settings.VECTARA_CONNECT_TIMEOUT + settings.VECTARA_READ_TIMEOUT
    return timedelta(seconds=2 * call + 60)


def close_abandoned() -> None:
    """End the runs whose worker died mid-sync (killed, or its machine gone), with their one
    failure event, so that the lock they hold doesn't block every sync after them."""
    now = timezone.now()
    stale = SyncRun.objects.filter(
        active=True, state=SyncRun.State.RUNNING, heartbeat_at__lt=now - abandoned_after()
    )
    for run in stale:
        message = (
            "The sync stopped without finishing: its worker stopped answering "
            f"{timezone.localtime(run.heartbeat_at):%H:%M} UTC. Nothing was changed; run it "
            "again."
        )
        if _finish(run, SyncRun.State.FAILED, message, only_if_running=True):
            Attempt(Origin(**run.origin), Action.LLM_SYNC, team=run.team, target=ALL_LLMS).failure(
                message, attempts=run.attempts, pages_fetched=run.pages
            )


def _finish(run: SyncRun, state: str, message: str, *, only_if_running: bool = False) -> bool:
    """End `run` unless it already ended; whether this call ended it."""
    ending = SyncRun.objects.filter(pk=run.pk, active=True)
    if only_if_running:
        ending = ending.filter(state=SyncRun.State.RUNNING)
    fields = {"state": state, "active": False, "message": message, "finished_at": timezone.now()}
    return bool(ending.update(**fields))


def actor_of(run: SyncRun) -> Actor:
    """Who the job acts as: the person who asked, with the roles they hold now (they may have
    lost them meanwhile), or the system for the schedule and manage.py."""
    if run.trigger != SyncRun.Trigger.PERSON:
        return SYSTEM
    return run.started_by or AnonymousUser()  # deleted since: acts as no one


def llm_sync(
    *,
    actor: Actor,
    origin: Origin,
    team: Team | None = None,
    run: SyncRun | None = None,
    last_try: bool = True,
    on_page: OnPage | None = None,
    client: VectaraClient | None = None,
) -> SyncSummary:
    """Pull every page of GET /v2/llms and reconcile the local records with it.

    LLMs created outside the dashboard are added unowned (team None) for an org admin to
    assign; built-in ones are added as platform LLMs that every team sees read-only; local
    records Vectara no longer lists are marked missing, never deleted. Each LLM changed or
    deleted in Vectara outside the dashboard gets an `llm.drift` event, and the sync one
    `llm.sync` event with the summary in its details. With `run`, the run ends with the same
    outcome. Unless `last_try`, a failure that may pass raises TryAgainLater and records
    nothing. `team` is only where the sync event is filed.
    """
    attempt = Attempt(origin, Action.LLM_SYNC, team=team, target=ALL_LLMS)
    if run is not None:
        attempt.details["attempts"] = run.attempts
    if not policy.user_has_permission(actor, Action.LLM_SYNC, team):
        refusal = policy.refusal(Action.LLM_SYNC, team)
        if run is not None:
            _finish(run, SyncRun.State.FAILED, refusal)
        raise attempt.deny(refusal)

    client = client or get_client()
    pages = [0]

    def counted(page: int, count: int) -> None:
        pages[0] = page
        if on_page:
            on_page(page, count)

    try:
        upstream_llms, page_count = _fetch_all(client, counted)
    except VectaraError as exc:
        if not last_try and isinstance(exc, PASSING_FAILURES):
            raise TryAgainLater(exc) from None
        message = (
            f"{exc.user_message(ACTION)} Nothing was changed in the dashboard; run the sync "
            "again when Vectara answers."
        )
        attempt.failure(message, exc=exc, pages_fetched=pages[0])
        if run is not None:
            _finish(run, SyncRun.State.FAILED, message)
        raise ApplicationError(message) from None

    summary = SyncSummary(pages=page_count)
    try:
        with transaction.atomic():
            drift = _reconcile(upstream_llms, summary)
            # Ended meanwhile (given up for dead by close_abandoned): its outcome is recorded.
            if run is not None and not _finish(run, SyncRun.State.DONE, summary.sentence()):
                raise ApplicationError(
                    "This sync was given up as stopped while it ran, so its results were not "
                    "saved. Run it again."
                )
            for change in drift:
                record(
                    origin=origin,
                    action=DRIFT,
                    outcome=Outcome.SUCCESS,
                    team=change.llm.team,
                    target=Target("llm", str(change.llm.pk), change.llm.name),
                    message=_drift_sentence(change),
                    details={"before": change.before, "after": change.after},
                )
            attempt.success(summary.sentence(), upstream_status=200, **summary.as_details())
    except (IntegrityError, DatabaseError):
        # Most likely a create saved the same LLM first.
        message = (
            "The sync could not save its results because the LLMs changed in the dashboard "
            "meanwhile. Nothing was changed; run it again."
        )
        attempt.failure(message, pages_fetched=page_count)
        if run is not None:
            _finish(run, SyncRun.State.FAILED, message)
        raise ApplicationError(message) from None
    return summary
