"""Django's error reports (the DEBUG page and the e-mails to ADMINS) without secrets."""

from __future__ import annotations

from django.http import HttpRequest
from django.views.debug import SafeExceptionReporterFilter


class SecretsFilter(SafeExceptionReporterFilter):
    """Django hides `sensitive_variables` and `sensitive_post_parameters` only with DEBUG
    off. A debug page on a staging site or a shared screen shows LLM credentials as well as
    a production report would, so here they are hidden always."""

    def is_active(self, request: HttpRequest | None) -> bool:
        return True
