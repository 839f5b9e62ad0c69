from __future__ import annotations

import hashlib
import unicodedata
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import models
from django.urls import reverse

from llmadmin.teams.models import Team
from llmadmin.vectara.contract import AUTH_TYPES, LLM_TYPES, NAME_MAX_LENGTH

# Cyrillic and Greek letters that look like Latin ones, after casefolding (so a capital's
# look-alike counts too: Cyrillic capital EN folds to small en, which is taken as "h"). The
# common ones, not all of Unicode's confusables.txt: enough that "gpt-4o" spelt with a
# Cyrillic "er" can't sit beside "gpt-4o". Escaped, so that the source shows which is which.
_LOOK_ALIKES = str.maketrans(
    # Cyrillic a ve es komi-de ie shha en byelorussian-i yi je ka palochka em o er qa dze te
    # we ha u
    "\u0430\u0432\u0441\u0501\u0435\u04bb\u043d\u0456\u0457\u0458\u043a\u04cf\u043c\u043e\u0440"
    "\u051b\u0455\u0442\u051d\u0445\u0443"
    # Greek alpha beta epsilon eta iota kappa mu nu omicron rho tau upsilon chi zeta
    "\u03b1\u03b2\u03b5\u03b7\u03b9\u03ba\u03bc\u03bd\u03bf\u03c1\u03c4\u03c5\u03c7\u03b6",
    "abcdehhiijklmopqstwxyabehikmnoptyxz",
)


def name_key(name: str) -> str:
    """What two names that look the same share: compatibility forms (full-width letters,
    ligatures) folded by NFKC, case folded, common Cyrillic and Greek look-alikes taken as
    the Latin letter. Hashed, so the unique index has a fixed width whatever NFKC expands."""
    skeleton = unicodedata.normalize("NFKC", name).casefold().translate(_LOOK_ALIKES)
    skeleton = unicodedata.normalize("NFKC", skeleton)
    return hashlib.sha256(skeleton.encode()).hexdigest()


class Ownership(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    PLATFORM = "platform", "Built into Vectara"


class UpstreamState(models.TextChoices):
    PRESENT = "present", "In Vectara"
    MISSING = "missing", "Missing upstream"


class LLMQuerySet(models.QuerySet["LLMDefinition"]):
    """bulk_create skips save(), so it derives `name_key` here, as save() does."""

    def bulk_create(self, objs: Iterable[LLMDefinition], *args: Any, **kwargs: Any) -> Any:
        objs = list(objs)
        for obj in objs:
            obj.name_key = name_key(obj.name)
        return super().bulk_create(objs, *args, **kwargs)


class LLMDefinition(models.Model):
    """The local record of an LLM that exists in Vectara, and the team that owns it.

    Secrets never reach this table: `auth_public` keeps only the non-secret parts of the
    auth (a header name, a region) and `auth_fingerprint` tells two secrets apart.
    """

    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.PROTECT, related_name="llms"
    )
    vectara_id = models.CharField(max_length=64, unique=True)
    # Vectara names are unique in an account; the constraint makes that hold across workers.
    name = models.CharField(max_length=NAME_MAX_LENGTH, unique=True)
    # name_key(name): names that only look alike can't both be stored, by any worker.
    name_key = models.CharField(max_length=64, unique=True, editable=False)
    type = models.CharField(max_length=32, choices=list(LLM_TYPES.items()))
    description = models.TextField(blank=True)
    model = models.CharField(max_length=255, blank=True)
    uri = models.CharField(max_length=2048, blank=True)
    auth_type = models.CharField(max_length=40, choices=list(AUTH_TYPES.items()))
    auth_public = models.JSONField(default=dict, blank=True)
    auth_fingerprint = models.CharField(max_length=64, blank=True)
    headers = models.JSONField(default=dict, blank=True)
    test_model_parameters = models.JSONField(default=dict, blank=True)
    capabilities = models.JSONField(default=dict, blank=True)
    idle_timeout_seconds = models.PositiveIntegerField(null=True, blank=True)
    enabled = models.BooleanField(default=True)
    # Platform LLMs are listed read-only; Vectara refuses to change them.
    ownership = models.CharField(
        max_length=16, choices=Ownership.choices, default=Ownership.CUSTOMER
    )
    # Set by a sync that no longer finds the LLM in Vectara.
    upstream_state = models.CharField(
        max_length=16, choices=UpstreamState.choices, default=UpstreamState.PRESENT
    )
    synced_at = models.DateTimeField(null=True, blank=True)
    # Bumped by every edit: an edit based on an older version is refused, not lost.
    version = models.PositiveIntegerField(default=1)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LLMQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = "LLM definition"
        indexes = [models.Index(fields=["team", "name"], name="llm_team_name")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Derived from the name when the row is made (names don't change here; the sync, which
        # renames, sets it itself). Not recomputed on every save: a pair of look-alikes from
        # before name_key existed keeps the distinct key its migration gave it.
        update_fields = kwargs.get("update_fields")
        if self._state.adding or not self.name_key:
            self.name_key = name_key(self.name)
        elif update_fields is not None and "name" in update_fields:
            self.name_key = name_key(self.name)
            kwargs["update_fields"] = {*update_fields, "name_key"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse("llms:detail", args=[self.pk])


class SyncRun(models.Model):
    """One sync with Vectara, from being asked for until its job ends: the progress the sync
    page shows, and the lock that keeps a second sync from starting while it is active."""

    class State(models.TextChoices):
        QUEUED = "queued", "waiting for a worker"
        RUNNING = "running", "running"
        WAITING = "waiting", "waiting to try again"
        DONE = "done", "finished"
        FAILED = "failed", "failed"

    class Trigger(models.TextChoices):
        PERSON = "person", "a person"
        SCHEDULE = "schedule", "the schedule"
        COMMAND = "command", "manage.py sync_llms"

    trigger = models.CharField(max_length=16, choices=Trigger.choices)
    state = models.CharField(max_length=16, choices=State.choices, default=State.QUEUED)
    # True until the run ends; the unique constraint below allows one active run at a time.
    active = models.BooleanField(default=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL)
    # Who asked and from where (audit.recorder.Origin), for the event the job writes.
    origin = models.JSONField(default=dict)
    attempts = models.PositiveIntegerField(default=0)
    pages = models.PositiveIntegerField(default=0)
    fetched = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)  # the last sentence worth showing about it
    created_at = models.DateTimeField(auto_now_add=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)  # its worker's last sign of life
    retry_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["active"], condition=models.Q(active=True), name="one_sync_at_a_time"
            )
        ]
        indexes = [models.Index(fields=["-created_at"], name="syncrun_newest")]

    def __str__(self) -> str:
        return f"sync {self.pk} ({self.state})"
