"""The events-per-day chart above the auditor's list, drawn on the server as SVG.

Geometry is worked out here, so the template only places shapes and no JavaScript library
(nor a Content Security Policy exception for one) is needed. The page stays light: one path
per outcome draws every bar's segment of that outcome, in whole units, and each day gets one
transparent column carrying its counts as a tooltip.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db.models import QuerySet

from .models import AuditEvent, Outcome
from .selectors import audit_event_daily_counts

DAYS = 30
# Units of the SVG's viewBox; the SVG stretches to the width of its card.
BAR_WIDTH = 10
BAR_GAP = 4
PLOT_HEIGHT = 60
# A single denial beside a thousand successes must still be visible: that is the point.
MIN_SEGMENT = 2
# Bottom to top: successes are the base, failures and denials sit on top where they catch the eye.
STACK = (Outcome.SUCCESS, Outcome.FAILURE, Outcome.DENIED)
_NOUNS = {
    Outcome.SUCCESS: ("success", "successes"),
    Outcome.FAILURE: ("failure", "failures"),
    Outcome.DENIED: ("denied", "denied"),
}


@dataclass(frozen=True)
class Segment:
    outcome: str
    count: int
    y: int
    height: int


@dataclass(frozen=True)
class Day:
    day: date
    label: str
    x: int
    success: int
    failure: int
    denied: int
    segments: list[Segment]
    summary: str


@dataclass(frozen=True)
class Bars:
    """Every day's segment of one outcome, as the outline of one SVG path."""

    outcome: str
    path: str


@dataclass(frozen=True)
class LegendEntry:
    outcome: str
    label: str
    count: int


@dataclass(frozen=True)
class Chart:
    first: date
    last: date
    days: list[Day]
    bars: list[Bars]
    legend: list[LegendEntry]
    summary: str
    width: int = DAYS * (BAR_WIDTH + BAR_GAP) - BAR_GAP
    height: int = PLOT_HEIGHT
    bar_width: int = BAR_WIDTH


def counted(outcome: str, n: int) -> str:
    one, many = _NOUNS[Outcome(outcome)]
    return f"{n} {one if n == 1 else many}"


def _phrase(counts: dict[Outcome, int]) -> str:
    return ", ".join(counted(outcome, counts[outcome]) for outcome in STACK)


def audit_event_chart(
    *, events: QuerySet[AuditEvent], until: date | None = None, today: date | None = None
) -> Chart:
    """Events per UTC day and outcome over the 30 days that end today, or at the filter's
    `until` when that is earlier (so a filter on last year still shows its own month): the
    chart's geometry, its tooltips and the sentence it comes down to."""
    today = today or datetime.now(UTC).date()
    last = min(until, today) if until else today
    first = last - timedelta(days=DAYS - 1)
    counts = audit_event_daily_counts(events=events, first=first, last=last)
    window = [first + timedelta(days=n) for n in range(DAYS)]
    per_day = [(day, {o: counts.get((day, o), 0) for o in STACK}) for day in window]
    peak = max((sum(c.values()) for _, c in per_day), default=0)
    # Leave room for the minimum heights, so a stack never pokes out of the plot: rounding
    # adds at most half a unit to a segment, never more than a minimum height does.
    scale = (PLOT_HEIGHT - len(STACK) * MIN_SEGMENT) / peak if peak else 0.0

    days = []
    for n, (day, day_counts) in enumerate(per_day):
        segments, bottom = [], PLOT_HEIGHT
        for outcome in STACK:
            if count := day_counts[outcome]:
                # Whole units: decimals would only add bytes, not anything a person can see.
                height = max(round(count * scale), MIN_SEGMENT)
                bottom -= height
                segments.append(Segment(outcome, count, bottom, height))
        label = f"{day:%Y-%m-%d}"
        days.append(
            Day(
                day=day,
                label=label,
                x=n * (BAR_WIDTH + BAR_GAP),
                success=day_counts[Outcome.SUCCESS],
                failure=day_counts[Outcome.FAILURE],
                denied=day_counts[Outcome.DENIED],
                segments=segments,
                summary=f"{label}: {_phrase(day_counts)}",
            )
        )
    bars = [
        Bars(outcome, path)
        for outcome in STACK
        if (
            path := "".join(
                f"M{d.x} {s.y}h{BAR_WIDTH}v{s.height}h-{BAR_WIDTH}z"
                for d in days
                for s in d.segments
                if s.outcome == outcome
            )
        )
    ]

    totals = {o: sum(c[o] for _, c in per_day) for o in STACK}
    legend = [LegendEntry(o.value, o.label, totals[o]) for o in STACK]
    span = f"From {first:%Y-%m-%d} to {last:%Y-%m-%d} (UTC)"
    if peak:
        busiest_day, busiest = max(per_day, key=lambda item: sum(item[1].values()))
        summary = (
            f"{span}: {_phrase(totals)}. The busiest day was {busiest_day:%Y-%m-%d} with "
            f"{_phrase(busiest)}."
        )
    else:
        summary = f"{span}: no events match these filters."
    return Chart(first=first, last=last, days=days, bars=bars, legend=legend, summary=summary)
