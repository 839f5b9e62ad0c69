from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from llmadmin.audit.recorder import Origin
from llmadmin.core.errors import ApplicationError
from llmadmin.teams.decorators import team_action_required
from llmadmin.teams.permissions import Action

from .. import services
from ..forms import LLMCreateForm
from ..uri_policy import UriRejected, check_uri

FORM_TEMPLATE = "llms/llm_form.html"


def _fragment(request: HttpRequest, name: str) -> str:
    """The whole page for a plain request; only the named partial for an htmx one."""
    return f"{FORM_TEMPLATE}#{name}" if request.htmx else FORM_TEMPLATE  # type: ignore[attr-defined]


@sensitive_post_parameters("token", "value")
@require_http_methods(["GET", "POST"])
@vary_on_headers("HX-Request")
@team_action_required(Action.LLM_CREATE)
def llm_create(request: HttpRequest) -> HttpResponse:
    if request.method == "GET":
        return render(request, FORM_TEMPLATE, {"form": LLMCreateForm()})

    step = request.POST.get("_action", "")
    if step:
        # Add or remove a header row, or (without JavaScript) show the fields of the chosen
        # auth type: re-show what was typed, without judging a form that isn't finished.
        form = LLMCreateForm(initial=request.POST.dict(), header_data=request.POST)
        if step == "add_header":
            form.add_header_row()
            return render(request, _fragment(request, "extra-headers"), {"form": form})
        if step.startswith("remove_header:"):
            form.remove_header_row(int(step.partition(":")[2] or -1))
            return render(request, _fragment(request, "extra-headers"), {"form": form})
        return render(request, FORM_TEMPLATE, {"form": form})

    form = LLMCreateForm(request.POST)
    if form.is_valid():
        try:
            llm = services.llm_create(
                actor=request.user,
                origin=Origin.from_request(request),
                team=request.team,  # type: ignore[attr-defined]
                spec=form.to_spec(),
            )
        except ApplicationError as exc:
            form.add_upstream_errors(exc.field_errors)
            if not exc.field_errors:
                form.add_error(None, exc.message)
        else:
            messages.success(request, f"{llm.name} is registered with Vectara.")
            if request.htmx:  # type: ignore[attr-defined]
                return HttpResponseClientRedirect(llm.get_absolute_url())
            return redirect(llm)
    return render(request, _fragment(request, "llm-form"), {"form": form})


@require_GET
@team_action_required(Action.LLM_CREATE)
def llm_auth_fields(request: HttpRequest) -> HttpResponse:
    form = LLMCreateForm(initial={"auth_type": request.GET.get("auth_type", "bearer")})
    return render(request, f"{FORM_TEMPLATE}#auth-fields", {"form": form})


@require_POST
@team_action_required(Action.LLM_CREATE)
def llm_check_uri(request: HttpRequest) -> HttpResponse:
    # POST, not GET: a URI may carry a key in its query string, and GET URLs end up in logs.
    uri = request.POST.get("uri", "").strip()
    context: dict[str, object] = {}
    if uri:
        try:
            context["uri_check"] = check_uri(uri)
        except UriRejected as exc:
            context["uri_error"] = exc.message
    return render(request, f"{FORM_TEMPLATE}#uri-feedback", context)
