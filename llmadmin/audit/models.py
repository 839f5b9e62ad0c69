from __future__ import annotations

from django.db import models
from django.utils import timezone


class Outcome(models.TextChoices):
    SUCCESS = "success", "Success"
    FAILURE = "failure", "Failure"
    DENIED = "denied", "Denied"


class AuditEvent(models.Model):
    """One attempt of one action, whatever its outcome. Rows are never changed or deleted.

    Actor, team and target are kept as ids plus a text snapshot rather than foreign keys,
    so that deleting a user, team or LLM neither rewrites nor loses its history.

    `mac` seals the event's content together with `prev_mac`, the seal of the event before
    it (see chain.py), so editing, deleting or re-ordering any row breaks the chain.
    """

    occurred_at = models.DateTimeField(default=timezone.now, db_index=True)
    actor_id = models.BigIntegerField(null=True, blank=True)
    actor_username = models.CharField(max_length=150, blank=True)
    source_ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    team_id = models.BigIntegerField(null=True, blank=True)
    team_slug = models.CharField(max_length=50, blank=True)
    action = models.CharField(max_length=64)
    outcome = models.CharField(max_length=16, choices=Outcome.choices)
    target_type = models.CharField(max_length=32, blank=True)
    target_id = models.CharField(max_length=64, blank=True)
    target_label = models.CharField(max_length=255, blank=True)
    upstream_status = models.PositiveSmallIntegerField(null=True, blank=True)
    upstream_request_id = models.CharField(max_length=128, blank=True)
    message = models.TextField(blank=True)
    # Redacted before it gets here: no secret ever reaches this column.
    details = models.JSONField(default=dict, blank=True)
    prev_mac = models.CharField(max_length=64, blank=True)
    mac = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-id"]
        # Every filter of the auditor's list is paired with -id so keyset pages stay index scans.
        indexes = [
            models.Index(fields=["target_type", "target_id", "-id"], name="audit_target"),
            models.Index(fields=["action", "-id"], name="audit_action"),
            models.Index(fields=["team_id", "-id"], name="audit_team"),
            models.Index(fields=["actor_id", "-id"], name="audit_actor"),
            models.Index(fields=["actor_username", "-id"], name="audit_actor_name"),
            models.Index(fields=["outcome", "-id"], name="audit_outcome"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.outcome} by {self.actor_username or 'system'}"

    def save(self, *args: object, **kwargs: object) -> None:
        if not self._state.adding:
            raise ValueError("Audit events are append-only; an event can't be changed.")
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    def delete(self, *args: object, **kwargs: object) -> tuple[int, dict[str, int]]:
        raise ValueError("Audit events are append-only; an event can't be deleted.")


class ChainHead(models.Model):
    """The one row every append locks, so appends from many workers form one linear chain.

    It also remembers the newest event, so deleting the newest rows is noticed by
    `audit_verify` even without a checkpoint (unless this row is rewritten too; checkpoints
    kept off the box cover that).
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    last_event_id = models.BigIntegerField(null=True, blank=True)
    last_mac = models.CharField(max_length=64, blank=True)

    def __str__(self) -> str:
        return f"audit chain head at event {self.last_event_id}"


class RefusalTally(models.Model):
    """Repeats of one refusal (same action, reason, actor or address, team) while its window
    lasts (LLMADMIN_AUDIT_COALESCE_SECONDS): the first is an event as usual, the repeats only
    bump `count`, and when the window closes one summary event carries the count (refusals.py).

    A tally is not an event and is not in the chain, so writing it breaks nothing. Whoever can
    delete a tally loses at most its count: the first refusal is already a sealed event, and
    a later repeat finds no open tally and is written as an event again.
    """

    # A hash of what makes two refusals the same: short, indexable, and free of what was typed.
    key = models.CharField(max_length=64, unique=True)
    event_id = models.BigIntegerField()  # the first refusal's event
    first_at = models.DateTimeField(db_index=True)
    last_at = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)  # repeats after the first

    def __str__(self) -> str:
        return f"{self.count} repeats of event {self.event_id}"


class SiemCursor(models.Model):
    """How far one outside sink (siem.py: "http" or "syslog") has received the log.

    Delivery sends the events after `last_event_id` in id order and moves it only once the
    sink has taken them, so a restarted worker carries on from here (at least once, in
    order). Not in the chain: rewinding it resends events, advancing it leaves an id gap
    the SIEM can see in the chain's prev_mac links.
    """

    sink = models.CharField(max_length=16, unique=True)
    last_event_id = models.BigIntegerField(default=0)
    failures = models.PositiveIntegerField(default=0)  # in a row, since the last delivery
    next_try_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=255, blank=True)  # a sentence, no URL or token
    # One worker at a time per sink, so batches arrive in order; expires if its worker dies.
    leased_until = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.sink} sink delivered up to event {self.last_event_id}"
