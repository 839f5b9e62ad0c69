"""name_key: the look-alike-proof form of the name, filled in for the rows already there."""

from __future__ import annotations

from django.db import migrations, models


def fill_name_keys(apps, schema_editor) -> None:
    from llmadmin.llms.models import name_key

    LLMDefinition = apps.get_model("llms", "LLMDefinition")
    seen: set[str] = set()
    for llm in LLMDefinition.objects.order_by("pk").only("pk", "name"):
        key = name_key(llm.name)
        if key in seen:
            # Both already exist in Vectara, so both stay; the older one keeps the key that
            # refuses new look-alikes.
            key = name_key(f"{llm.name}\x00{llm.pk}")
        seen.add(key)
        LLMDefinition.objects.filter(pk=llm.pk).update(name_key=key)


class Migration(migrations.Migration):
    dependencies = [("llms", "0002_lifecycle")]

    operations = [
        migrations.AddField(
            model_name="llmdefinition",
            name="name_key",
            field=models.CharField(editable=False, max_length=64, null=True),
        ),
        migrations.RunPython(fill_name_keys, migrations.RunPython.noop, elidable=True),
    ]
