"""The log-in page with throttling, and log-in/log-out audit events.

Kept at Django's `/accounts/login/` and template; only the form and the two views change.
The events are written here rather than from the user_logged_in signal because the test
client's `force_login` sends that signal too, and it is not a log-in anyone made.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse

from llmadmin.audit.models import Outcome
from llmadmin.audit.recorder import Origin, Target, record

from .login_throttle import login_failed, login_refusal, login_succeeded


class ThrottledAuthenticationForm(AuthenticationForm):
    """Django's log-in form, refusing locked accounts and noisy addresses before the
    password is checked, and counting every failure."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if not username or not password:
            return self.cleaned_data
        origin = Origin.from_request(self.request) if self.request else Origin()
        refusal = login_refusal(username=username, ip=origin.source_ip)
        if refusal:
            login_failed(origin=origin, username=username, reason="locked")
            raise forms.ValidationError(refusal, code="locked")
        try:
            cleaned = super().clean()
        except forms.ValidationError:
            locked = login_failed(origin=origin, username=username, reason="bad_credentials")
            if locked:
                raise forms.ValidationError(locked, code="locked") from None
            raise
        login_succeeded(username=username)
        return cleaned


class LoginView(auth_views.LoginView):
    form_class = ThrottledAuthenticationForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        response = super().form_valid(form)
        user = form.get_user()
        record(
            origin=Origin.from_request(self.request),
            action="auth.login",
            outcome=Outcome.SUCCESS,
            target=Target("user", str(user.pk), user.get_username()),
            message=f"{user.get_username()} logged in.",
        )
        return response


class LogoutView(auth_views.LogoutView):
    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Taken before Django logs out, which turns request.user into AnonymousUser.
        origin = Origin.from_request(request)
        user = request.user
        response = super().post(request, *args, **kwargs)
        if user.is_authenticated:
            record(
                origin=origin,
                action="auth.logout",
                outcome=Outcome.SUCCESS,
                target=Target("user", str(user.pk), user.get_username()),
                message=f"{user.get_username()} logged out.",
            )
        return response
