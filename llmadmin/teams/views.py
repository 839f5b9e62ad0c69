from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from llmadmin.audit.recorder import Origin
from llmadmin.core.errors import ApplicationError
from llmadmin.core.http import AppRequest

from . import selectors, services
from .decorators import deny, team_action_required
from .forms import MemberAddForm, TeamCreateForm
from .middleware import SESSION_KEY
from .models import Membership, Role, Team
from .policy import Action, policy

MEMBERS_TEMPLATE = "teams/member_list.html"


@require_safe
@login_required
def home(request: AppRequest) -> HttpResponse:
    """The LLMs, or for someone in no team the Teams page that says why there is nothing."""
    return redirect("llms:list" if request.access.teams else "teams:list")


@require_safe
@login_required
def team_list(request: AppRequest) -> HttpResponse:
    return _team_list_page(request, TeamCreateForm())


def _team_list_page(request: AppRequest, form: TeamCreateForm, status: int = 200) -> HttpResponse:
    access = request.access
    rows = [
        {
            "team": team,
            "role": access.role_in(team),
            "can_manage": policy.user_has_permission(access, Action.MEMBERS_MANAGE, team),
        }
        for team in access.teams
    ]
    return render(request, "teams/team_list.html", {"rows": rows, "form": form}, status=status)


@require_POST
@team_action_required(Action.TEAM_CREATE)
def team_create(request: AppRequest) -> HttpResponse:
    form = TeamCreateForm(request.POST)
    if form.is_valid():
        try:
            team = services.team_create(
                actor=request.access,
                origin=Origin.from_request(request),
                name=form.cleaned_data["name"],
                slug=form.cleaned_data["slug"],
            )
        except services.ActionDenied as exc:
            raise deny_already_recorded(exc) from None
        except ApplicationError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, f"The team {team.name} is created. Add its first admin below."
            )
            return redirect("teams:members", slug=team.slug)
    return _team_list_page(request, form)


@require_POST
@login_required
def team_switch(request: AppRequest) -> HttpResponse:
    """Make another of the person's teams the current one, for this session."""
    wanted = request.POST.get("team", "")
    team = next((t for t in request.access.teams if str(t.pk) == wanted), None)
    if team is None:
        raise deny(
            request,
            action="team.switch",
            team=None,
            message="You are not a member of that team, so you can't switch to it.",
            details={"team": wanted[:50]},
        )
    request.session[SESSION_KEY] = team.pk
    messages.success(request, f"You are now working in the team {team.name}.")
    # The page the person was on may belong to the old team: start from the new team's list.
    if request.htmx:
        return HttpResponseClientRedirect(reverse("home"))
    return redirect("home")


def deny_already_recorded(exc: ApplicationError) -> PermissionDenied:
    # The service wrote the access.denied event; the view only turns it into the 403 page.
    return PermissionDenied(exc.message)


def _not_a_member(
    request: AppRequest, team: Team, exc: services.MembershipNotFound
) -> HttpResponse:
    """The same answer for a member removed meanwhile and for another team's member id."""
    if request.htmx:
        # htmx does not swap a 404: bring the whole, current list instead.
        messages.error(request, exc.message)
        return HttpResponseClientRedirect(reverse("teams:members", kwargs={"slug": team.slug}))
    raise Http404(exc.message)


def _members_context(team: Team, form: MemberAddForm, **extra: object) -> dict[str, object]:
    context = {"team": team, "members": selectors.team_members(team=team), "form": form}
    return {**context, "roles": Role, **extra}


# The last change on the members page, offered once for undo on the next page (like a message).
UNDO_KEY = "members_undo"


def _needs_confirmation(request: AppRequest, membership: Membership, role: str) -> bool:
    """Granting admin and demoting yourself ask first; a keystroke must not do either."""
    if request.POST.get("confirm") or role not in Role.values or role == membership.role:
        return False
    return role == Role.ADMIN or membership.user == request.user


def _ask_first(
    request: AppRequest, team: Team, membership: Membership, confirm: dict
) -> HttpResponse:
    if request.htmx:
        context = {"team": team, "m": membership, "roles": Role, "confirm": confirm}
        return render(request, f"{MEMBERS_TEMPLATE}#member-row", context)
    return render(
        request, MEMBERS_TEMPLATE, _members_context(team, MemberAddForm(), confirm=confirm)
    )


@require_http_methods(["GET", "HEAD", "POST"])
@team_action_required(Action.MEMBERS_MANAGE, slug_kwarg="slug")
def member_list(request: AppRequest, slug: str) -> HttpResponse:
    """The team's members; a POST adds an existing user by username."""
    team = request.team
    assert team is not None  # with slug_kwarg the decorator sets one or answers 404
    if request.method in ("GET", "HEAD"):
        undo = request.session.pop(UNDO_KEY, None)
        return render(request, MEMBERS_TEMPLATE, _members_context(team, MemberAddForm(), undo=undo))
    form = MemberAddForm(request.POST)
    if form.is_valid():
        try:
            membership = services.membership_add(
                actor=request.access,
                origin=Origin.from_request(request),
                team=team,
                username=form.cleaned_data["username"],
                role=form.cleaned_data["role"],
            )
        except services.ActionDenied as exc:
            raise deny_already_recorded(exc) from None
        except ApplicationError as exc:
            form.add_error("username", exc.message)
        else:
            messages.success(
                request,
                f"{membership.user.get_username()} is now {membership.role} of {team.name}.",
            )
            return redirect("teams:members", slug=team.slug)
    return render(request, MEMBERS_TEMPLATE, _members_context(team, form))


@require_POST
@vary_on_headers("HX-Request")
@team_action_required(Action.MEMBERS_MANAGE, slug_kwarg="slug")
def member_role(request: AppRequest, slug: str, pk: int) -> HttpResponse:
    """Change one member's role; an htmx request gets only that member's row back."""
    team = request.team
    assert team is not None  # with slug_kwarg the decorator sets one or answers 404
    feedback, ok = "", True
    role = request.POST.get("role", "")
    membership = Membership.objects.select_related("user").filter(team=team, pk=pk).first()
    if membership is not None and _needs_confirmation(request, membership, role):
        name = membership.user.get_username()
        question = (
            f"Make {name} an admin of {team.name}? Admins manage members and every LLM."
            if role == Role.ADMIN
            else f"Step down to {role}? You will no longer manage the members of {team.name}."
        )
        return _ask_first(request, team, membership, {"pk": pk, "role": role, "question": question})
    previous = membership.role if membership is not None else ""
    try:
        membership = services.membership_change_role(
            actor=request.access,
            origin=Origin.from_request(request),
            team=team,
            membership_id=pk,
            role=role,
        )
        feedback = f"{membership.user.get_username()} is now {membership.role}."
    except services.ActionDenied as exc:
        raise deny_already_recorded(exc) from None
    except services.MembershipNotFound as exc:
        return _not_a_member(request, team, exc)
    except ApplicationError as exc:
        feedback, ok = exc.message, False
        membership = Membership.objects.select_related("user").filter(team=team, pk=pk).first()
    members_url = reverse("teams:members", kwargs={"slug": team.slug})
    if (
        ok
        and membership is not None
        and membership.user == request.user
        and membership.role != Role.ADMIN
    ):
        # Admins who stepped down can't use this page any more: take them to their teams.
        messages.success(request, f"{feedback} You no longer manage the members of {team.name}.")
        members_url = reverse("teams:list")
        feedback = ""
    # Undo is a normal role change back, through the same service and with its own event.
    undo = None
    if ok and feedback and membership is not None and previous and previous != membership.role:
        undo = {"pk": membership.pk, "role": previous, "name": membership.user.get_username()}
    if not request.htmx:
        if feedback:
            (messages.success if ok else messages.error)(request, feedback)
            if undo:
                request.session[UNDO_KEY] = undo
        return redirect(members_url)
    if membership is None or not feedback:  # removed meanwhile, or stepped down
        return HttpResponseClientRedirect(members_url)
    context = {"team": team, "m": membership, "roles": Role, "feedback": feedback, "ok": ok}
    return render(request, f"{MEMBERS_TEMPLATE}#member-row", {**context, "undo": undo})


@require_POST
@team_action_required(Action.MEMBERS_MANAGE, slug_kwarg="slug")
def member_remove(request: AppRequest, slug: str, pk: int) -> HttpResponse:
    team = request.team
    assert team is not None  # with slug_kwarg the decorator sets one or answers 404
    membership = Membership.objects.select_related("user").filter(team=team, pk=pk).first()
    if membership is not None and not request.POST.get("confirm"):
        name = membership.user.get_username()
        question = f"Remove {name} from {team.name}? They lose access to its LLMs at once."
        return _ask_first(
            request, team, membership, {"pk": pk, "remove": True, "question": question}
        )
    try:
        removed = services.membership_remove(
            actor=request.access, origin=Origin.from_request(request), team=team, membership_id=pk
        )
    except services.ActionDenied as exc:
        raise deny_already_recorded(exc) from None
    except services.MembershipNotFound as exc:
        return _not_a_member(request, team, exc)
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{removed.user.get_username()} is removed from {team.name}.")
        if removed.user == request.user:
            return redirect("teams:list")
        # Undo adds them back with the same role (membership_add, its own audit event).
        request.session[UNDO_KEY] = {"username": removed.user.get_username(), "role": removed.role}
    members_url = reverse("teams:members", kwargs={"slug": team.slug})
    if request.htmx:
        return HttpResponseClientRedirect(members_url)
    return redirect(members_url)
