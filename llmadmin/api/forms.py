from __future__ import annotations

from typing import Any

from django import forms

from llmadmin.core.forms import Form
from llmadmin.llms import validators
from llmadmin.teams.models import Role, Team
from llmadmin.teams.policy import Access, policy

from .keys import DEFAULT_DAYS, MAX_DAYS


class KeyCreateForm(Form):
    name = forms.CharField(
        label="Name",
        max_length=100,
        validators=[validators.single_line],
        help_text="What the key is for, such as the pipeline that uses it.",
    )
    team = forms.ModelChoiceField(label="Team", queryset=Team.objects.none(), empty_label=None)
    role = forms.ChoiceField(
        label="Role",
        choices=Role.choices,
        help_text="Your own role in the team, or a lower one.",
    )
    days = forms.IntegerField(
        label="Expires in (days)",
        initial=DEFAULT_DAYS,
        min_value=1,
        max_value=MAX_DAYS,
        help_text=f"At most {MAX_DAYS} days.",
    )

    def __init__(self, *args: Any, access: Access, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.access = access
        team_field = self.fields["team"]
        assert isinstance(team_field, forms.ModelChoiceField)
        team_field.queryset = Team.objects.filter(pk__in=[t.pk for t in access.teams])
        team_field.initial = access.team

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        team, role = cleaned.get("team"), cleaned.get("role")
        if team is not None and role and not policy.may_delegate(self.access, team, role):
            allowed = " or ".join(policy.roles_delegable(self.access, team)) or "none"
            self.add_error(
                "role",
                f"A key may have your own role in {team.name} or a lower one: choose {allowed}.",
            )
        return cleaned
