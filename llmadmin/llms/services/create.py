"""Creating an LLM: Vectara first, then the local record, with one audit event."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.views.decorators.debug import sensitive_variables

from llmadmin.audit.recorder import Attempt, Origin, Target
from llmadmin.core.errors import ApplicationError
from llmadmin.teams.models import Team
from llmadmin.teams.policy import Action, Actor, policy, user_of
from llmadmin.vectara.client import VectaraClient, get_client
from llmadmin.vectara.errors import BadRequest, Conflict, VectaraError
from llmadmin.vectara.types import LLM

from ..models import LLMDefinition, name_key
from ..spec import LLMSpec
from .common import failed_after_upstream, name_taken


@sensitive_variables()  # the spec's auth, and the body built from it, hold the secret
def llm_create(
    *,
    actor: Actor,
    origin: Origin,
    team: Team | None,
    spec: LLMSpec,
    client: VectaraClient | None = None,
) -> LLMDefinition:
    """Create the LLM in Vectara, then its local record owned by `team`.

    Exactly one audit event is written per call, whatever happens. Nothing local is kept
    unless Vectara created the LLM; if anything fails after Vectara did (the local save, the
    success event), the upstream LLM is deleted again so the two never disagree, or, if that
    fails too, the failure event names it.
    """
    attempt = Attempt(
        origin,
        Action.LLM_CREATE,
        team=team,
        target=Target("llm", "", spec.name),
        details={"request": spec.redacted_body()},
    )
    if not policy.user_has_permission(actor, Action.LLM_CREATE, team):
        raise attempt.deny(policy.refusal(Action.LLM_CREATE, team))

    # Refused here, before Vectara hears of it; the unique name_key refuses a racing worker.
    if (existing := _look_alike(spec)) is not None:
        message = name_taken(spec.name, existing)
        attempt.failure(message)
        raise ApplicationError(message, field_errors={"name": message})

    client = client or get_client()
    recovered_from: VectaraError | None = None
    try:
        created = client.create_llm(spec.create_body())
    except VectaraError as exc:
        found = _created_after_all(client, spec, exc)
        if found is None:
            message = exc.user_message("create the LLM")
            attempt.failure(message, exc=exc)
            field_errors = dict(exc.field_errors) if isinstance(exc, BadRequest) else {}
            if isinstance(exc, Conflict):
                field_errors = {"name": name_taken(spec.name)}
            raise ApplicationError(message, field_errors=field_errors) from None
        created, recovered_from = found, exc

    try:
        with transaction.atomic():
            llm = LLMDefinition.objects.create(
                team=team,
                vectara_id=created.id,
                # A sparse answer (Vectara's documented create answer has only id, name,
                # description and enabled) leaves the rest as sent.
                name=created.name or spec.name,
                type=created.type or spec.type,
                description=(
                    created.description if "description" in created.raw else spec.description
                ),
                model=created.model or spec.model,
                uri=created.uri or spec.uri,
                auth_type=spec.auth_type,
                auth_public=spec.auth_public(),
                auth_fingerprint=spec.auth_fingerprint(),
                headers=dict(created.headers or spec.headers),
                test_model_parameters=dict(spec.test_model_parameters),
                capabilities=dict(created.capabilities or spec.capabilities),
                idle_timeout_seconds=(
                    created.idle_timeout_seconds
                    if "idle_timeout_seconds" in created.raw
                    else spec.idle_timeout_seconds
                ),
                enabled=created.enabled,
                created_by_id=user_of(actor).pk,  # None for a script
            )
            attempt.target = Target("llm", str(llm.pk), llm.name)
            attempt.success(
                f"Created {llm.name} in Vectara as {llm.vectara_id}."
                + (RECOVERED if recovered_from else ""),
                upstream_status=recovered_from.status if recovered_from else 201,
                vectara_id=created.id,
                **({"recovered_from": type(recovered_from).__name__} if recovered_from else {}),
            )
    except Exception as exc:
        # Vectara holds the LLM now, whatever failed here: it must not keep it unrecorded.
        attempt.target = Target("llm", "", spec.name)  # the row, if saved, was rolled back
        existing = _look_alike(spec) if isinstance(exc, IntegrityError) else None
        lost_race = existing is not None
        raise failed_after_upstream(
            attempt,
            exc,
            happened=name_taken(spec.name, existing) if lost_race else NOT_RECORDED,
            upstream_status=recovered_from.status if recovered_from else 201,
            undo=lambda: client.delete_llm(created.id),
            undone="" if lost_race else REMOVED,
            not_undone=(
                f"Removing it from Vectara failed too: {created.id} is left there; an org "
                "admin can adopt it with a sync."
            ),
            field="name" if lost_race else "",
            expected=lost_race,
            vectara_id=created.id,
        ) from None
    return llm


RECOVERED = (
    " Vectara's answer to the create was lost on the way, so the dashboard looked the LLM up"
    " in Vectara, found it, and recorded it."
)


def _created_after_all(client: VectaraClient, spec: LLMSpec, exc: VectaraError) -> LLM | None:
    """After a failure that may have reached Vectara (a time-out, a reset, a 5xx, a garbled
    answer), look the name up once: if Vectara holds exactly this LLM, it was created, and
    recording it beats leaving it where no team can see it. A GET is safe to send; the POST
    is never sent again."""
    if not exc.maybe_applied:
        return None
    try:
        found = client.get_llm(spec.name)
    except VectaraError:
        return None
    same = (found.name, found.type, found.model, found.ownership) == (
        spec.name,
        spec.type,
        spec.model,
        "customer",
    )
    # Vectara rewrites Vertex AI URIs into a base URI, so there the URI can't be compared.
    same_uri = not spec.uri or spec.type == "vertex-ai" or found.uri == spec.uri
    return found if same and same_uri else None


NOT_RECORDED = "Vectara created the LLM but the dashboard could not record it."
REMOVED = (
    "So it was removed from Vectara again. Try again in a minute; if it keeps failing, ask an "
    "operator to look at the dashboard's log."
)


def _look_alike(spec: LLMSpec) -> str | None:
    """The stored name that looks like the spec's (or is it), if any."""
    found = LLMDefinition.objects.filter(name_key=name_key(spec.name)).values_list("name")
    return next((name for (name,) in found[:1]), None)
