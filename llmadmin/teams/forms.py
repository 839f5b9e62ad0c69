from __future__ import annotations

from django import forms

from llmadmin.core.forms import Form

from .models import Role, Team


class MemberAddForm(Form):
    username = forms.CharField(max_length=150, label="Username")
    # Not a ChoiceField: a role outside the list can only come from a forged post, and the
    # service refuses it as such (403 and an access.denied event), not as a typing mistake.
    role = forms.CharField(
        max_length=16, initial=Role.VIEWER, widget=forms.Select(choices=Role.choices)
    )


class TeamCreateForm(Form):
    name = forms.CharField(max_length=Team._meta.get_field("name").max_length, label="Name")
    slug = forms.SlugField(
        max_length=Team._meta.get_field("slug").max_length,
        required=False,
        label="Slug",
        help_text="Used in addresses. Leave blank to make one from the name.",
    )
