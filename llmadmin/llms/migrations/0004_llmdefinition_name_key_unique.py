"""Separate from 0003: PostgreSQL won't alter a table in the transaction that updated it."""

from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("llms", "0003_llmdefinition_name_key")]

    operations = [
        migrations.AlterField(
            model_name="llmdefinition",
            name="name_key",
            field=models.CharField(editable=False, max_length=64, unique=True),
        ),
    ]
