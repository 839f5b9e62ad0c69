"""The log-in page with throttling, and log-in/log-out audit events.

Kept at Django's `/accounts/login/` and template; only the form and the two views change.
The events are written here rather than from the user_logged_in signal because the test
client's `force_login` sends that signal too, and it is not a log-in anyone made.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import urlencode

from llmadmin.audit.models import Outcome
from llmadmin.audit.recorder import Origin, Target, record, refuse
from llmadmin.sso import views as sso_views

from . import login_throttle as throttle


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's log-in form, refusing locked accounts and noisy addresses before the
    password is checked. Failures are counted by django-axes (AxesStandaloneBackend and its
    user_login_failed receiver); the audit events are written here, because only here is a
    new lock told apart from a refusal while one lasts."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not username or not password or self.request is None:
            return self.cleaned_data
        origin = Origin.from_request(self.request)
        if not settings.LLMADMIN_PASSWORD_LOGIN and not is_break_glass(username):
            _login_failed(origin, username, "password_login_off")
            raise forms.ValidationError(_password_login_off(), code="password_login_off")
        lock = throttle.lock_of(self.request, username)
        if lock:
            reason = "locked" if lock == "account" else "address_blocked"
            _login_failed(origin, username, reason)
            raise forms.ValidationError(throttle.refusal_sentence(lock), code="locked")
        try:
            return super().clean()
        except forms.ValidationError:
            _login_failed(origin, username, "bad_credentials")
            # Axes counted this failure and flags the request when it reached a limit.
            if getattr(self.request, "axes_locked_out", False):
                lock = throttle.lock_of(self.request, username)
                if lock == "account":
                    raise forms.ValidationError(
                        _locked_now(origin, username), code="locked"
                    ) from None
            raise


def is_break_glass(typed: str) -> bool:
    """Whether `typed` names one of the break-glass accounts, which keep password sign-in
    when it is off for everyone else and whose every sign-in is its own audit event."""
    username = throttle.existing_username(typed)
    return bool(username) and username in settings.LLMADMIN_BREAK_GLASS_ACCOUNTS


def _password_login_off() -> str:
    name = settings.LLMADMIN_OIDC_PROVIDER_NAME
    how = f"Sign in with {name} instead." if settings.LLMADMIN_OIDC_ISSUER else ""
    return f"Password sign-in is turned off except for break-glass accounts. {how}".strip()


def _login_failed(origin: Origin, username: str, reason: str) -> None:
    label = throttle.account_label(username)
    break_glass = is_break_glass(username)
    event: dict[str, Any] = {
        "origin": origin,
        "action": "auth.break_glass_login" if break_glass else "auth.login_failed",
        "outcome": Outcome.FAILURE,
        "target": Target("user", "", label),
        "message": f"A {'break-glass ' if break_glass else ''}log-in as {label} failed ({reason}).",
        "details": {"username": label, "reason": reason},
    }
    if reason == "bad_credentials":
        # Bounded by the throttle itself: at most the limits' worth per window.
        record(**event)
        return
    # Refusals while a lock lasts are not bounded: a client can send them as fast as it likes.
    # A blocked address is one source whatever names it tries.
    refuse(**event, same_as=(reason, label) if reason == "locked" else (reason,))


def _locked_now(origin: Origin, username: str) -> str:
    label = throttle.account_label(username)
    message = throttle.just_locked_sentence()
    record(
        origin=origin,
        action="auth.lockout",
        outcome=Outcome.DENIED,
        target=Target("user", "", label),
        message=message,
        details={"username": label, "failures": throttle.Limits.current().per_user},
    )
    return message


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def get_default_redirect_url(self) -> str:
        # Someone in no team lands on Teams, which explains, not on a 403 from the LLMs.
        user = self.request.user
        if not user.is_superuser and not user.memberships.exists():  # type: ignore[union-attr]
            return reverse("teams:list")
        return super().get_default_redirect_url()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["password_login"] = settings.LLMADMIN_PASSWORD_LOGIN
        if settings.LLMADMIN_OIDC_ISSUER:
            start = reverse("sso:start")
            next_url = context.get("next")
            context["sso"] = {
                "name": settings.LLMADMIN_OIDC_PROVIDER_NAME,
                "url": f"{start}?{urlencode({'next': next_url})}" if next_url else start,
            }
        return context

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        user = form.get_user()
        break_glass = user.get_username() in settings.LLMADMIN_BREAK_GLASS_ACCOUNTS
        record(
            origin=Origin.from_request(self.request),
            action="auth.break_glass_login" if break_glass else "auth.login",
            outcome=Outcome.SUCCESS,
            target=Target("user", str(user.pk), user.get_username()),
            message=(
                f"{user.get_username()} logged in with a break-glass password."
                if break_glass
                else f"{user.get_username()} logged in."
            ),
            details={"method": "password"},
        )
        return response


class LogoutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Taken before Django logs out, which turns request.user into AnonymousUser.
        origin = Origin.from_request(request)
        user = request.user
        # Asked before the session ends: whether the person signed in at the provider.
        provider_logout = sso_views.provider_logout_url(request)
        response = super().post(request, *args, **kwargs)
        if user.is_authenticated:
            record(
                origin=origin,
                action="auth.logout",
                outcome=Outcome.SUCCESS,
                target=Target("user", str(user.pk), user.get_username()),
                message=f"{user.get_username()} logged out.",
                details={"provider_logout": bool(provider_logout)},
            )
        if provider_logout:
            # RP-initiated logout: the provider ends its own session, then sends them back.
            return HttpResponseRedirect(provider_logout)
        return response
