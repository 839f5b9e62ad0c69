"""Test connection: the create and edit forms post all their fields here, and the result
replaces #connection-result in place (or, without JavaScript, fills a page of its own)."""

from __future__ import annotations

from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from django.views.decorators.http import require_POST
from django.views.decorators.vary import vary_on_headers

from llmadmin.audit.recorder import Origin
from llmadmin.core.errors import ApplicationError, parse_id
from llmadmin.core.http import AppRequest
from llmadmin.teams.decorators import team_action_required
from llmadmin.teams.policy import Action, policy
from llmadmin.vectara.contract import SECRET_AUTH_FIELDS

from .. import services
from ..forms import SECRET_FORM_FIELDS, LLMCreateForm
from ..models import LLMDefinition
from ..spec import LLMSpec

RESULT_TEMPLATE = "llms/connection_result.html"
ASK_FOR_KEY = "Type the secret to test the connection; llmadmin does not keep it."
# A test doesn't need these, so a form can be tested before it is finished.
NOT_NEEDED = frozenset({"name", "description"})


@sensitive_post_parameters(*SECRET_FORM_FIELDS)
@require_POST
@vary_on_headers("HX-Request")
# The service checks the LLM's own team (or the current one for a new LLM) again.
@team_action_required(Action.LLM_TEST, in_any_team=True)
@sensitive_variables()  # the form and the spec hold the typed secret
def llm_test_connection(request: AppRequest) -> HttpResponse:
    llm = _llm_being_edited(request)
    form = LLMCreateForm(_with_stored_values(request.POST, llm), files=request.FILES)
    fixes = _fixes(form)
    if not fixes and form.uri_check is None:
        # Anthropic's URI is optional when saving, but a test needs somewhere to connect.
        fixes = ["Enter the endpoint URI to test the connection."]
    context: dict[str, object] = {"llm": llm, "connection_fixes": fixes}
    if not fixes:
        try:
            context["connection_result"] = services.llm_test_connection(
                actor=request.access,
                origin=Origin.from_request(request),
                # An edited LLM's own team decides, as it does for saving the edit.
                team=(llm.team if llm and llm.team else request.team),
                spec=_spec(form),
                uri_check=form.uri_check,  # type: ignore[arg-type] # not None: checked above
                llm=llm,
            )
        except ApplicationError as exc:
            context["connection_fixes"] = [exc.message]
    template = RESULT_TEMPLATE
    if request.htmx:
        template += "#connection-result"
    return render(request, template, context)


def _spec(form: LLMCreateForm) -> LLMSpec:
    """The spec of a form valid but for the fields a test doesn't need (NOT_NEEDED)."""
    for name in NOT_NEEDED:
        form.cleaned_data.setdefault(name, "")
    return form.to_spec()


def _llm_being_edited(request: AppRequest) -> LLMDefinition | None:
    pk = request.POST.get("llm", "")
    if (llm_id := parse_id(pk)) is None:
        return None
    visible = policy.instances_user_has_permission_for(request.access, Action.LLM_VIEW)
    return visible.filter(pk=llm_id).first()


def _with_stored_values(data: QueryDict, llm: LLMDefinition | None) -> QueryDict:
    """The edit form may not post fields that can't change (the name, the type); take those
    from the record. Whatever the person typed wins; the stored secret doesn't exist."""
    if llm is None:
        return data
    data = data.copy()
    stored = {"type": llm.type, "name": llm.name, "model": llm.model, "uri": llm.uri}
    # auth_public is the auth object without secrets; its "type" is the auth type.
    stored |= {k: v for k, v in llm.auth_public.items() if k != "type"}
    stored["auth_type"] = llm.auth_type
    for field, value in stored.items():
        if field not in data and field not in SECRET_AUTH_FIELDS and isinstance(value, str):
            data[field] = value
    if "header_name" not in data:
        data.setlist("header_name", list(llm.headers))
        data.setlist("header_value", [str(v) for v in llm.headers.values()])
    return data


def _fixes(form: LLMCreateForm) -> list[str]:
    """What to fix before a test can run, as sentences; empty when it can run."""
    form.is_valid()
    fixes: list[str] = []
    for field, errors in form.errors.items():
        if field in NOT_NEEDED:
            continue
        if field in SECRET_AUTH_FIELDS and not form.data.get(field):
            fixes.append(ASK_FOR_KEY)
            continue
        label = form.fields[field].label if field in form.fields else None
        for error in errors:
            fixes.append(f"{label}: {error}" if label and field != NON_FIELD_ERRORS else str(error))
    return list(dict.fromkeys(fixes))  # a header and its value both blank: say it once
