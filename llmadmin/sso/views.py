"""The two legs of the authorization code flow, the logout at the provider, and the read-only
page of the group mapping.

Every way a sign-in can fail ends on the log-in page with one sentence and one audit event
(`auth.login_failed`, `"method": "sso"` and the reason in its details); nothing here answers
500 for what the provider, the network or a forged request sends.
"""

from __future__ import annotations

import time
from typing import Any

import requests
from authlib.integrations.base_client.errors import MismatchingStateError, OAuthError
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_safe
from joserfc import errors as jose_errors

from llmadmin.audit.models import Outcome
from llmadmin.audit.recorder import Origin, Target, record, refuse
from llmadmin.core.http import AppRequest
from llmadmin.teams.decorators import team_action_required
from llmadmin.teams.models import Team
from llmadmin.teams.policy import Action

from . import services
from .client import Config, ProviderUnavailable, client

# What the session keeps of a provider sign-in: who (the subject) and when the provider last
# confirmed it (seconds since the epoch). No token is kept.
SUBJECT = "sso_subject"
CHECKED_AT = "sso_checked_at"
FLOW = "sso_flow"
# Django's own backend, so a deactivated or deleted account loses its sessions at once.
BACKEND = "django.contrib.auth.backends.ModelBackend"


class Failed(Exception):
    def __init__(self, reason: str, sentence: str, detail: str = "") -> None:
        super().__init__(sentence)
        self.reason = reason
        self.sentence = sentence
        self.detail = detail


def _config() -> Config:
    config = Config.current()
    if config is None:
        raise Http404("Sign-in with an identity provider is not set up.")
    return config


def _safe_next(request: HttpRequest, url: str) -> str:
    allowed = url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return url if url and allowed else ""


def _unavailable(config: Config, exc: ProviderUnavailable) -> Failed:
    if exc.reason == "unreachable":
        sentence = (
            f"Sign-in with {config.name} is not available right now: the identity provider did "
            "not answer. Try again in a few minutes; if it lasts, tell your llmadmin operators."
        )
    else:
        sentence = (
            f"Sign-in with {config.name} is not available: the identity provider's set-up does "
            f"not match llmadmin's ({exc.detail}). Tell your llmadmin operators."
        )
    return Failed(f"provider_{exc.reason}", sentence, exc.detail)


@require_safe
def start(request: HttpRequest) -> HttpResponse:
    """Send the person to the provider. With `recheck=1` (RecheckMiddleware) the provider is
    asked to confirm the current sign-in without showing a page (prompt=none)."""
    config = _config()
    recheck = request.GET.get("recheck") == "1" and bool(request.session.get(SUBJECT))
    try:
        app = client(config)
    except ProviderUnavailable as exc:
        return _failed(request, config, _unavailable(config, exc), recheck=recheck)
    request.session[FLOW] = {
        "next": _safe_next(request, request.GET.get("next", "")),
        "recheck": recheck,
    }
    redirect_uri = request.build_absolute_uri(reverse("sso:callback"))
    extra = {"prompt": "none"} if recheck else {}
    response: HttpResponse = app.authorize_redirect(request, redirect_uri, **extra)
    return response


def _claims_options(config: Config) -> dict[str, Any]:
    # Authlib checks the audience only through `azp`; name our client id as the one audience
    # the token must include, and the issuer we were configured with.
    return {
        "iss": {"essential": True, "value": config.issuer},
        "aud": {"essential": True, "values": [config.client_id]},
    }


_TOKEN_CHECKS = {
    "iss": "it was issued by another provider than the one configured",
    "aud": "it was issued for another application",
    "azp": "it was issued for another application",
    "nonce": "it does not belong to this sign-in (wrong nonce)",
    "exp": "it has expired",
}


def _verified_claims(request: HttpRequest, config: Config) -> dict[str, Any]:
    """The ID token's claims, verified by Authlib, or Failed saying why not."""
    name = config.name
    try:
        app = client(config)
        token = app.authorize_access_token(request, claims_options=_claims_options(config))
    except ProviderUnavailable as exc:
        raise _unavailable(config, exc) from None
    except MismatchingStateError:
        raise Failed(
            "state_mismatch",
            "This sign-in had expired or was already used, so it was not accepted. Start again.",
        ) from None
    except OAuthError as exc:
        error = str(exc.error or "oauth_error")[:64]
        if error == "invalid_grant":
            sentence = (
                f"{name} refused the sign-in code: it was already used or has expired. Start again."
            )
        elif error == "invalid_client":
            sentence = (
                f"{name} does not accept llmadmin's client id or secret. Tell your llmadmin "
                "operators."
            )
        else:
            sentence = f"{name} did not sign you in ({error})."
        raise Failed(error, sentence, str(exc.description or "")[:300]) from None
    except jose_errors.ExpiredTokenError:
        raise _bad_token(name, "token_expired", _TOKEN_CHECKS["exp"]) from None
    except jose_errors.ClaimError as exc:
        what = _TOKEN_CHECKS.get(exc.claim, f"its {exc.claim!r} claim is wrong")
        raise _bad_token(name, f"token_{exc.claim}", what) from None
    except (jose_errors.BadSignatureError, jose_errors.InvalidKeyIdError) as exc:
        what = "its signature does not match any key the provider publishes"
        raise _bad_token(name, "token_signature", what, type(exc).__name__) from None
    except jose_errors.JoseError as exc:
        what = "its ID token is not a signed token llmadmin accepts"
        raise _bad_token(name, "token_malformed", what, type(exc).__name__) from None
    except requests.RequestException as exc:
        raise _unavailable(config, ProviderUnavailable("unreachable", type(exc).__name__)) from None
    except ValueError as exc:  # an answer that isn't the JSON the protocol says
        raise _unavailable(config, ProviderUnavailable("bad_answer", type(exc).__name__)) from None
    claims = token.get("userinfo")
    if not claims or not claims.get("sub"):
        raise _bad_token(name, "no_id_token", "it carried no ID token")
    return _with_userinfo_groups(config, dict(claims), token)


def _with_userinfo_groups(config: Config, claims: dict[str, Any], token: Any) -> dict[str, Any]:
    """Some providers send the groups from the userinfo endpoint only: ask it when the ID
    token has none. Its answer counts only for the same subject (OIDC Core 5.3.2)."""
    if config.groups_claim in claims or not token.get("access_token"):
        return claims
    app = client(config)
    if not app.server_metadata.get("userinfo_endpoint"):
        return claims
    try:
        info = app.userinfo(token=token)
    except (OAuthError, requests.RequestException, ValueError):
        return claims  # then the person has no groups, and is told so
    if info.get("sub") != claims["sub"] or config.groups_claim not in info:
        return claims
    return {**claims, config.groups_claim: info[config.groups_claim]}


def _bad_token(name: str, reason: str, what: str, detail: str = "") -> Failed:
    return Failed(
        reason,
        f"The answer from {name} failed its checks ({what}), so you were not signed in. "
        "Try again; if it happens again, tell your llmadmin operators.",
        detail,
    )


@require_safe
def callback(request: HttpRequest) -> HttpResponse:
    config = _config()
    flow = request.session.pop(FLOW, None) or {}
    recheck = bool(flow.get("recheck")) and bool(request.session.get(SUBJECT))
    origin = Origin.from_request(request)
    try:
        claims = _verified_claims(request, config)
        if recheck and claims["sub"] != request.session.get(SUBJECT):
            raise Failed(
                "subject_changed",
                f"{config.name} now signs in someone else in this browser, so your llmadmin "
                "session ended. Sign in again.",
            )
        signed_in = services.sign_in(claims=claims, config=config, origin=origin)
    except Failed as failed:
        return _failed(request, config, failed, recheck=recheck)
    except services.SignInRefused as exc:
        # Which person at the provider, for the org admin who sorts it out (sso_link).
        detail = f"subject {claims['sub']}, email {claims.get('email') or '(none)'}"
        refused = Failed(exc.reason, exc.message, detail[:300])
        return _failed(request, config, refused, recheck=recheck)
    user = signed_in.user
    login(request, user, backend=BACKEND)
    request.session[SUBJECT] = claims["sub"]
    request.session[CHECKED_AT] = time.time()
    record(
        origin=Origin.from_request(request),
        action="sso.recheck" if recheck else "auth.login",
        outcome=Outcome.SUCCESS,
        target=Target("user", str(user.pk), user.get_username()),
        message=(
            f"{config.name} confirmed {user.get_username()}'s sign-in."
            if recheck
            else f"{user.get_username()} signed in with {config.name}."
        ),
        details={"method": "sso", "subject": claims["sub"]},
    )
    if signed_in.notice:
        messages.warning(request, signed_in.notice)
    return redirect(flow.get("next") or "home")


def _failed(request: HttpRequest, config: Config, failed: Failed, *, recheck: bool) -> HttpResponse:
    """End the attempt: the log-in page with the sentence, and the audit event. A failed
    re-check ends the session too, whatever the reason: access is only as fresh as the
    provider's last word."""
    origin = Origin.from_request(request)
    details = {"method": "sso", "reason": failed.reason}
    if failed.detail:
        details["detail"] = failed.detail
    sentence = failed.sentence
    if recheck:
        if failed.reason in ("login_required", "interaction_required", "consent_required"):
            sentence = (
                f"Your llmadmin session ended because {config.name} no longer confirms your "
                "sign-in. Sign in again."
            )
        record(
            origin=origin,
            action="sso.recheck",
            outcome=Outcome.DENIED,
            target=Target("user", str(origin.actor_id or ""), origin.actor_username),
            message=f"The session ended: {sentence}",
            details=details,
        )
        logout(request)
    else:
        refuse(
            origin=origin,
            action="auth.login_failed",
            outcome=Outcome.FAILURE,
            target=Target("user", "", ""),
            message=f"A sign-in with {config.name} failed ({failed.reason}).",
            details=details,
            same_as=(failed.reason,),
        )
    messages.error(request, sentence)
    return redirect("login")


def provider_logout_url(request: HttpRequest) -> str | None:
    """Where to end the person's session at the provider too (RP-initiated logout), when they
    signed in there and it publishes an end_session_endpoint. Asked before the local logout."""
    config = Config.current()
    if config is None or not request.session.get(SUBJECT):
        return None
    try:
        app = client(config)
    except ProviderUnavailable:
        return None
    if not app.server_metadata.get("end_session_endpoint"):
        return None
    back = request.build_absolute_uri(reverse("login"))
    url: str = app.create_logout_url(post_logout_redirect_uri=back, client_id=config.client_id)[
        "url"
    ]
    return url


@require_safe
@team_action_required(Action.SSO_MAPPING_VIEW)
def mapping_page(request: AppRequest) -> HttpResponse:
    """The provider and the group mapping as configured, read-only, for org admins."""
    rules = settings.LLMADMIN_OIDC_GROUP_ROLES
    existing = set(Team.objects.values_list("slug", flat=True))
    rows = [{"rule": r, "team_exists": r.org_admin or r.team in existing} for r in rules]
    context = {
        "config": Config.current(),
        "rows": rows,
        "password_login": settings.LLMADMIN_PASSWORD_LOGIN,
        "break_glass": settings.LLMADMIN_BREAK_GLASS_ACCOUNTS,
    }
    return render(request, "sso/mapping.html", context)
