from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.urls import include, path
from django.views.generic import RedirectView

from llmadmin.core.views import healthz

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="llms:list"), name="home"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("llms/", include("llmadmin.llms.urls")),
    path("healthz", healthz, name="healthz"),
]
