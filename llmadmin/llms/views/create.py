from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from llmadmin.audit.recorder import Origin
from llmadmin.core.errors import ApplicationError, parse_id
from llmadmin.core.http import AppRequest
from llmadmin.teams.decorators import team_action_required
from llmadmin.teams.policy import Action

from .. import services
from ..forms import SECRET_FORM_FIELDS, LLMCreateForm, LLMFormBase, parse_json_object
from ..uri_policy import UriRejected, check_uri, hint_for_type

FORM_TEMPLATE = "llms/llm_form.html"


def fragment(request: AppRequest, page: str, name: str) -> str:
    """The whole page for a plain request; only the named partial for an htmx one."""
    return f"{page}#{name}" if request.htmx else page


def form_step(request: AppRequest, form: LLMFormBase, page: str) -> HttpResponse:
    """Add or remove a header row, or (without JavaScript) show the fields of the chosen
    type and auth: re-show what was typed, without judging a form that isn't finished."""
    step = request.POST.get("_action", "")
    context = {"form": form, **getattr(form, "extra_context", {})}
    # The rows are a partial of the create page that the edit page includes.
    rows = fragment(request, FORM_TEMPLATE, "extra-headers") if request.htmx else page
    if step == "add_header":
        form.add_header_row()
        return render(request, rows, context)
    if step.startswith("remove_header:"):
        index = step.partition(":")[2]
        form.remove_header_row(-1 if (row := parse_id(index)) is None else row)
        return render(request, rows, context)
    return render(request, page, context)


@sensitive_post_parameters(*SECRET_FORM_FIELDS)
@require_http_methods(["GET", "HEAD", "POST"])
@vary_on_headers("HX-Request")
@team_action_required(Action.LLM_CREATE)
# Django hides a marked function's locals in every frame it calls, up to the next marked one:
# here the form's and the service's, whose locals hold the secrets typed in.
@sensitive_variables()
def llm_create(request: AppRequest) -> HttpResponse:
    if request.method in ("GET", "HEAD"):
        return render(request, FORM_TEMPLATE, {"form": LLMCreateForm()})

    if request.POST.get("_action"):
        form = LLMCreateForm(initial=request.POST.dict(), header_data=request.POST)
        return form_step(request, form, FORM_TEMPLATE)

    form = LLMCreateForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            llm = services.llm_create(
                actor=request.access,
                origin=Origin.from_request(request),
                team=request.team,
                spec=form.to_spec(),
            )
        except ApplicationError as exc:
            form.add_upstream_errors(exc.field_errors)
            if not exc.field_errors:
                form.add_error(None, exc.message)
        else:
            messages.success(request, f"{llm.name} is registered with Vectara.")
            if request.htmx:
                return HttpResponseClientRedirect(llm.get_absolute_url())
            return redirect(llm)
    return render(request, fragment(request, FORM_TEMPLATE, "llm-form"), {"form": form})


def _swap_form(request: AppRequest) -> LLMCreateForm:
    # Only the type, auth type and header rows come along (hx-params): never a secret.
    initial = {k: request.GET.get(k, "") for k in ("type", "auth_type")}
    return LLMCreateForm(initial=initial, header_data=request.GET)


@require_safe
@team_action_required(Action.LLM_CREATE)
def llm_type_fields(request: AppRequest) -> HttpResponse:
    return render(request, f"{FORM_TEMPLATE}#type-fields", {"form": _swap_form(request)})


@require_safe
@team_action_required(Action.LLM_CREATE)
def llm_auth_fields(request: AppRequest) -> HttpResponse:
    return render(request, f"{FORM_TEMPLATE}#auth-fields", {"form": _swap_form(request)})


@require_POST
@team_action_required(Action.LLM_EDIT, in_any_team=True)
def llm_check_uri(request: AppRequest) -> HttpResponse:
    # POST, not GET: a URI may carry a key in its query string, and GET URLs end up in logs.
    uri = request.POST.get("uri", "").strip()
    context: dict[str, object] = {}
    if uri:
        try:
            context["uri_check"] = check = check_uri(uri)
        except UriRejected as exc:
            context["uri_error"] = exc.message
        else:
            hint = check.hint
            context["uri_hint"] = hint and hint_for_type(hint, request.POST.get("type", ""))
    return render(request, f"{FORM_TEMPLATE}#uri-feedback", context)


@require_POST
@team_action_required(Action.LLM_EDIT, in_any_team=True)
def llm_check_json(request: AppRequest) -> HttpResponse:
    """The test parameters, judged as the person leaves the textarea."""
    raw = request.POST.get("test_model_parameters", "")
    context: dict[str, object] = {}
    if raw.strip():
        try:
            parse_json_object(raw)
        except ValidationError as exc:
            context["json_error"] = exc.messages[0]
        else:
            context["json_ok"] = True
    return render(request, f"{FORM_TEMPLATE}#json-feedback", context)
