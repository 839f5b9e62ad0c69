from __future__ import annotations

from typing import Any

from django import forms
from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Django's renderer with one change: each field comes wrapped in a div, so labels,
    inputs, help and errors stay together in grids and on phones."""

    field_template_name = "forms/field.html"


class Form(forms.Form):
    """A form whose labels carry no trailing colon, like the rest of the interface."""

    # Fields not required by Django that the form's clean() asks for in its present state;
    # they are marked like required ones (forms/field.html).
    also_required: frozenset[str] = frozenset()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
