"""Editing an LLM: the edit page, its htmx fragments, and the PATCH through the service."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from llmadmin.audit.recorder import Origin
from llmadmin.core.errors import ApplicationError
from llmadmin.core.http import AppRequest
from llmadmin.teams.policy import Action

from .. import services
from ..forms import SECRET_FORM_FIELDS, LLMEditForm
from ..models import LLMDefinition
from .browse import llm_for_action
from .create import FORM_TEMPLATE, form_step, fragment

EDIT_TEMPLATE = "llms/llm_edit.html"


@sensitive_post_parameters(*SECRET_FORM_FIELDS)
@require_http_methods(["GET", "HEAD", "POST"])
@vary_on_headers("HX-Request")
@login_required
@sensitive_variables()  # the form's and the service's frames hold a typed secret
def llm_edit(request: AppRequest, pk: int) -> HttpResponse:
    llm = llm_for_action(request, pk, Action.LLM_EDIT)
    if request.method in ("GET", "HEAD"):
        return render(request, EDIT_TEMPLATE, {"llm": llm, "form": LLMEditForm(llm=llm)})

    if request.POST.get("_action"):
        form = LLMEditForm(llm=llm, initial=request.POST.dict(), header_data=request.POST)
        form.extra_context = {"llm": llm}  # type: ignore[attr-defined]
        return form_step(request, form, EDIT_TEMPLATE)

    form = LLMEditForm(request.POST, request.FILES, llm=llm)
    if form.is_valid():
        changes = form.to_changes()
        if not changes:
            messages.info(request, "Nothing changed, so nothing was sent to Vectara.")
            return _to_detail(request, llm)
        try:
            llm = services.llm_update(
                actor=request.access,
                origin=Origin.from_request(request),
                llm=llm,
                changes=changes,
                version=form.cleaned_data["version"],
            )
        except ApplicationError as exc:
            form.add_upstream_errors(exc.field_errors)
            if not exc.field_errors:
                form.add_error(None, exc.message)
        else:
            messages.success(request, f"Your changes to {llm.name} are saved in Vectara.")
            return _to_detail(request, llm)
    context = {"llm": llm, "form": form}
    return render(request, fragment(request, EDIT_TEMPLATE, "edit-form"), context)


def _to_detail(request: AppRequest, llm: LLMDefinition) -> HttpResponse:
    if request.htmx:
        return HttpResponseClientRedirect(llm.get_absolute_url())
    return redirect(llm)


def _swap_form(request: AppRequest, llm: LLMDefinition) -> LLMEditForm:
    # Only the type, auth type and header rows come along (hx-params): never a secret.
    initial = {k: request.GET[k] for k in ("type", "auth_type") if k in request.GET}
    return LLMEditForm(llm=llm, initial=initial, header_data=request.GET)


@require_safe
@login_required
def llm_edit_type_fields(request: AppRequest, pk: int) -> HttpResponse:
    llm = llm_for_action(request, pk, Action.LLM_EDIT)
    context = {"llm": llm, "form": _swap_form(request, llm)}
    return render(request, f"{FORM_TEMPLATE}#type-fields", context)


@require_safe
@login_required
def llm_edit_auth_fields(request: AppRequest, pk: int) -> HttpResponse:
    llm = llm_for_action(request, pk, Action.LLM_EDIT)
    context = {"llm": llm, "form": _swap_form(request, llm)}
    return render(request, f"{FORM_TEMPLATE}#auth-fields", context)
