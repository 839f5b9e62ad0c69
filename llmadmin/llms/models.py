from __future__ import annotations

from django.conf import settings
from django.db import models
from django.urls import reverse

from llmadmin.teams.models import Team
from llmadmin.vectara.contract import AUTH_TYPES, LLM_TYPES, NAME_MAX_LENGTH


class Ownership(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    PLATFORM = "platform", "Built into Vectara"


class UpstreamState(models.TextChoices):
    PRESENT = "present", "In Vectara"
    MISSING = "missing", "Missing upstream"


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

    class Meta:
        ordering = ["name"]
        verbose_name = "LLM definition"
        indexes = [models.Index(fields=["team", "name"], name="llm_team_name")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("llms:detail", args=[self.pk])
