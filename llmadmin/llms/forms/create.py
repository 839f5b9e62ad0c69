"""The LLM create form: field validation only, never HTTP."""

from __future__ import annotations

from django import forms
from django.urls import reverse

from llmadmin.vectara import contract

from .. import validators
from ..spec import LLMSpec
from .base import LLMFormBase


class LLMCreateForm(LLMFormBase):
    name = forms.CharField(
        label="Name",
        max_length=contract.NAME_MAX_LENGTH,
        validators=[validators.single_line],
        help_text="How queries refer to this LLM in Vectara. It can't be changed later.",
    )
    field_order = ["type", "model", "name", "description", "uri", "auth_type"]

    def swap_urls(self) -> dict[str, str]:
        return {
            "type_fields": reverse("llms:type_fields"),
            "auth_fields": reverse("llms:auth_fields"),
            "action": reverse("llms:create"),
        }

    def clean_name(self) -> str:
        return self.cleaned_data["name"].strip()

    def to_spec(self) -> LLMSpec:
        data = self.cleaned_data
        return LLMSpec(
            type=data["type"],
            name=data["name"],
            description=data["description"],
            model=data["model"],
            uri=data["uri"],
            auth=self.auth_from(data),
            headers=data["headers"],
            test_model_parameters=data["test_params"],
            capabilities=data["capabilities"],
            idle_timeout_seconds=data["idle_timeout_seconds"],
        )
