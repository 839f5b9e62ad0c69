from __future__ import annotations

from django.forms.renderers import TemplatesSetting


class FormRenderer(TemplatesSetting):
    """Django's renderer with one change: each field comes wrapped in a div, so labels,
    inputs, help and errors stay together in grids and on phones."""

    field_template_name = "forms/field.html"
