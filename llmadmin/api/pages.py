"""The API keys page: a person makes, lists and revokes their keys; a team admin sees and
revokes the team's keys too."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST

from llmadmin.audit.recorder import Origin
from llmadmin.core.errors import ActionDenied
from llmadmin.core.http import AppRequest
from llmadmin.teams.views import deny_already_recorded

from .forms import KeyCreateForm
from .keys import key_create, key_revoke, keys_visible, may_revoke

TEMPLATE = "api/key_list.html"


@never_cache  # the page that shows a new key once must not be kept by any cache
@require_http_methods(["GET", "HEAD", "POST"])
@login_required
@sensitive_variables("raw")
def key_list(request: AppRequest) -> HttpResponse:
    access = request.access
    form = KeyCreateForm(request.POST or None, access=access)
    raw, status = "", 200
    if request.method == "POST":
        if form.is_valid():
            try:
                _key, raw = key_create(
                    actor=access,
                    origin=Origin.from_request(request),
                    name=form.cleaned_data["name"],
                    team=form.cleaned_data["team"],
                    role=form.cleaned_data["role"],
                    days=form.cleaned_data["days"],
                )
            except ActionDenied as exc:
                form.add_error(None, exc.message)
                status = 403
            else:
                form = KeyCreateForm(access=access)
        else:
            status = 400
    keys = [(key, may_revoke(access, key)) for key in keys_visible(access)]
    context = {"form": form, "keys": keys, "new_key": raw}
    return render(request, TEMPLATE, context, status=status)


@require_POST
@login_required
def key_revoke_view(request: AppRequest, pk: int) -> HttpResponse:
    key = keys_visible(request.access).filter(pk=pk).first()
    if key is None:
        raise Http404("No such API key, or not one you can see.")
    try:
        key_revoke(actor=request.access, origin=Origin.from_request(request), key=key)
    except ActionDenied as exc:
        raise deny_already_recorded(exc) from None
    messages.success(request, f"The API key {key.name} ({key.prefix}…) is revoked.")
    return redirect("apikeys:list")
