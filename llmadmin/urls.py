from __future__ import annotations

from django.urls import include, path

from llmadmin.api.urls import key_urlpatterns
from llmadmin.core.views import healthz
from llmadmin.teams.login import LoginView, LogoutView
from llmadmin.teams.views import home

urlpatterns = [
    path("", home, name="home"),
    path("accounts/login/", LoginView.as_view(), name="login"),
    path("accounts/logout/", LogoutView.as_view(), name="logout"),
    path("llms/", include("llmadmin.llms.urls")),
    path("audit/", include("llmadmin.audit.urls")),
    path("teams/", include("llmadmin.teams.urls")),
    path("sso/", include("llmadmin.sso.urls")),
    path("account/api-keys/", include(key_urlpatterns)),
    path("v2/", include("llmadmin.api.urls")),
    path("healthz", healthz, name="healthz"),
]
