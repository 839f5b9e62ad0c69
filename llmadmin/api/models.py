from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from llmadmin.teams.models import Role, Team


class APIKeyQuerySet(models.QuerySet["APIKey"]):
    def usable(self) -> APIKeyQuerySet:
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())


class APIKey(models.Model):
    """A personal API key: its owner's role in one team, or less, until it expires.

    The key itself is never stored: only its SHA-256 (a random 256-bit key needs no slow
    hash) and the short random prefix that finds the row and names the key in the audit log.
    """

    name = models.CharField(max_length=100)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_keys"
    )
    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="api_keys")
    role = models.CharField(max_length=16, choices=Role.choices)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = APIKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "API key"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=Role.values), name="apikey_role_is_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def state(self) -> str:
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= timezone.now():
            return "expired"
        return "active"
