from __future__ import annotations

from datetime import date

from django import forms

from llmadmin.core.forms import Form
from llmadmin.teams.models import Team

from .models import Outcome
from .selectors import EventFilter

# What services actually record (permission names like llm.toggle are not event names:
# toggling records llm.enable or llm.disable). Offered as suggestions in the filter.
KNOWN_ACTIONS = (
    "access.denied", "audit.export",
    "auth.lockout", "auth.login", "auth.login_failed", "auth.logout",
    "llm.assign", "llm.create", "llm.delete", "llm.disable", "llm.edit", "llm.enable",
    "llm.sync", "llm.test", "llm.view",
    "membership.add", "membership.remove", "membership.role_change",
    "team.create", "team.switch",
)  # fmt: skip


def _plausible_date(value: date) -> None:
    if not date(2000, 1, 1) <= value <= date(9998, 12, 31):
        raise forms.ValidationError("Choose a date between 2000 and 9998.")


class EventFilterForm(Form):
    """The auditor's filters. Invalid values are ignored (and shown as errors), never fatal."""

    q = forms.CharField(label="Search", required=False, max_length=200)
    actor = forms.CharField(label="Actor (username)", required=False, max_length=150)
    team = forms.ModelChoiceField(
        label="Team", queryset=Team.objects.none(), required=False, empty_label="All teams"
    )
    action = forms.CharField(
        label="Action",
        required=False,
        max_length=64,
        help_text="For example llm.create, or llm.* for every LLM action.",
    )
    outcome = forms.ChoiceField(
        label="Outcome", required=False, choices=[("", "Any outcome"), *Outcome.choices]
    )
    target = forms.CharField(
        label="Target",
        required=False,
        max_length=255,
        help_text="A name, or type:id such as llm:12.",
    )
    # Bounded so that "the day after" and "30 days before" stay inside Python's dates.
    since = forms.DateField(
        label="From (UTC)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[_plausible_date],
    )
    until = forms.DateField(
        label="To (UTC)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        validators=[_plausible_date],
    )

    def __init__(self, *args: object, all_teams: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        # Only an org admin chooses a team; everyone else sees their current team's events.
        if all_teams:
            self.fields["team"].queryset = Team.objects.order_by("name")  # type: ignore[attr-defined]
        else:
            del self.fields["team"]
        self.fields["action"].widget.attrs["list"] = "audit-actions"

    def team_chosen(self) -> Team | None:
        """The team an org admin narrowed the list to, if any."""
        if not self.is_bound or "team" not in self.fields:
            return None
        # Other fields may be invalid; a valid team still counts (as it does in filters()).
        self.is_valid()
        return self.cleaned_data.get("team")

    def filters(self) -> EventFilter:
        if not self.is_bound:
            return EventFilter()
        self.is_valid()
        data = self.cleaned_data
        team = data.get("team")
        return EventFilter(
            actor=(data.get("actor") or "").strip(),
            team_id=team.pk if team else None,
            action=(data.get("action") or "").strip(),
            outcome=data.get("outcome") or "",
            target=(data.get("target") or "").strip(),
            since=data.get("since"),
            until=data.get("until"),
            text=(data.get("q") or "").strip(),
        )
