"""Exporting the audit log as CSV or JSON Lines, streamed in constant memory."""

from __future__ import annotations

import csv
import json
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet

from llmadmin.teams.models import Team

from .models import AuditEvent, Outcome
from .recorder import Origin, record
from .selectors import EventFilter

# Rows fetched per round trip (a server-side cursor on PostgreSQL) and lines per chunk sent.
CHUNK_SIZE = 2000
LINES_PER_WRITE = 500
# Every column, so an export can be checked against the chain (prev_mac, mac) off the box.
COLUMNS = [field.attname for field in AuditEvent._meta.concrete_fields]
# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class Export:
    lines: Iterator[str]
    content_type: str
    filename: str


def neutralised(cell: str) -> str:
    """`cell` as a spreadsheet shows it as text rather than running it.

    Spreadsheets skip leading spaces and read full-width and other compatibility forms
    (U+FF1D, U+FE62) as the ASCII sign, so the first visible character is judged in its NFKC form.
    """
    first = unicodedata.normalize("NFKC", cell.lstrip()[:1])
    return f"'{cell}" if cell.startswith(FORMULA_STARTS) or first in FORMULA_STARTS else cell


def _value(event: AuditEvent, column: str) -> Any:
    value = getattr(event, column)
    return value.isoformat() if isinstance(value, datetime) else value


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        value = json.dumps(value, sort_keys=True, ensure_ascii=False, cls=DjangoJSONEncoder)
    return neutralised(str(value))


class _Line:
    """A file-like object whose write() hands back the line csv.writer formatted."""

    def write(self, value: str) -> str:
        return value


def _csv_lines(events: Iterable[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(COLUMNS)
    for event in events:
        yield writer.writerow([_csv_cell(_value(event, c)) for c in COLUMNS])


def event_json(event: AuditEvent) -> str:
    """Every column of `event` as one JSON object, values exactly as stored, so its MAC can
    be verified from it (the JSON Lines export and the SIEM both send this)."""
    row = {c: _value(event, c) for c in COLUMNS}
    return json.dumps(row, ensure_ascii=False, cls=DjangoJSONEncoder)


def _jsonl_lines(events: Iterable[AuditEvent]) -> Iterator[str]:
    for event in events:
        yield event_json(event) + "\n"


FORMATS: dict[str, tuple[Callable[[Iterable[AuditEvent]], Iterator[str]], str]] = {
    "csv": (_csv_lines, "text/csv; charset=utf-8"),
    "jsonl": (_jsonl_lines, "application/x-ndjson; charset=utf-8"),
}


def _batched(lines: Iterator[str]) -> Iterator[str]:
    # One write per line would cost a syscall per event; a few hundred at a time stays small.
    batch: list[str] = []
    for line in lines:
        batch.append(line)
        if len(batch) >= LINES_PER_WRITE:
            yield "".join(batch)
            batch.clear()
    if batch:
        yield "".join(batch)


def _filter_details(filters: EventFilter) -> dict[str, Any]:
    return {key: value for key, value in asdict(filters).items() if value not in ("", None)}


def audit_export(
    *,
    origin: Origin,
    team: Team | None,
    events: QuerySet[AuditEvent],
    filters: EventFilter,
    fmt: str,
) -> Export:
    """Record one `audit.export` event, then give the lines of `events` in `fmt`.

    The event is written before a single row is read, so an export that is interrupted, or
    whose response never reaches anyone, is still on record. The export stops at that event:
    it includes its own record, and nothing written while it streams.
    """
    make_lines, content_type = FORMATS[fmt]
    recorded = record(
        origin=origin,
        action="audit.export",
        outcome=Outcome.SUCCESS,
        team=team,
        message=f"Exported the audit log as {fmt.upper()}.",
        details={"format": fmt, "filter": _filter_details(filters)},
    )
    # Oldest first, the chain's own order, so prev_mac of each row is the mac of the one before
    # it whenever the export is unfiltered.
    rows = events.filter(id__lte=recorded.pk).order_by("id").iterator(chunk_size=CHUNK_SIZE)
    scope = team.slug if team else "all-teams"
    stamp = f"{recorded.occurred_at.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    return Export(
        lines=_batched(make_lines(rows)),
        content_type=content_type,
        filename=f"audit-{scope}-{stamp}.{fmt}",
    )
