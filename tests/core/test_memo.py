from __future__ import annotations

from datetime import UTC, datetime

from llmadmin.core import memo


def test_only_what_is_missing_is_worked_out_and_values_come_back_in_order() -> None:
    worked_out: list[str] = []

    def make(value: str):  # type: ignore[no-untyped-def]
        def compute() -> str:
            worked_out.append(value)
            return value.upper()

        return compute

    first = {memo.key("row", n): make(n) for n in ("a", "b")}
    assert memo.recall_many(first) == ["A", "B"]
    again = {memo.key("row", n): make(n) for n in ("c", "b", "a")}
    assert memo.recall_many(again) == ["C", "B", "A"]
    assert worked_out == ["a", "b", "c"]


def test_a_key_changes_with_any_part() -> None:
    moment = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
    base = memo.key("llm-row", ("v1",), True, (1, "gpt", moment))
    assert base == memo.key("llm-row", ("v1",), True, (1, "gpt", moment))
    assert base != memo.key("llm-row", ("v1",), False, (1, "gpt", moment))
    assert base != memo.key("llm-row", ("v2",), True, (1, "gpt", moment))
    assert base != memo.key("llm-row", ("v1",), True, (1, "gpt", moment.replace(second=1)))


def test_a_template_edited_under_the_development_server_is_another_version(
    settings, tmp_path
) -> None:
    (tmp_path / "piece.html").write_text("one")
    # A loader that reads the file each time, as the development server's reloading one does.
    loaders = ["django.template.loaders.filesystem.Loader"]
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "DIRS": [tmp_path],
            "OPTIONS": {"loaders": loaders},
        }
    ]
    before = memo.templates_version("piece.html")
    (tmp_path / "piece.html").write_text("two")
    assert memo.templates_version("piece.html") != before
