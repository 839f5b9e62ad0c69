from __future__ import annotations

from django.conf import settings
from django.db import models


class ProviderIdentity(models.Model):
    """Links an account to one person at the identity provider (issuer + subject), so that a
    changed email or name there never makes a second account, and no local account is taken
    over by one whose email matches."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="provider_identity"
    )
    issuer = models.CharField(max_length=255)
    subject = models.CharField(max_length=255)
    # The group that made this person an org admin, if one did: shown to org admins.
    org_admin_group = models.CharField(max_length=255, blank=True)
    last_sign_in = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["issuer", "subject"], name="one_account_per_subject")
        ]

    def __str__(self) -> str:
        return f"{self.subject} at {self.issuer}"
