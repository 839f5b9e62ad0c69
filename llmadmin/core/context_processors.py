from __future__ import annotations

from typing import Any

from django.http import HttpRequest


def csp_nonce(request: HttpRequest) -> dict[str, Any]:
    """The request's CSP nonce under the name django-htmx's `{% htmx_script %}` looks for.

    django-csp's own processor names it CSP_NONCE; the object stays lazy, so a page that
    renders no script doesn't put a nonce in its header.
    """
    return {"csp_nonce": getattr(request, "csp_nonce", None)}
