"""One alert's promtool case: input series, when it fires (labels, annotations), when it stays silent."""

from __future__ import annotations

from dataclasses import dataclass, field

Series = list[dict[str, str]]


def s(metric: str, values: str) -> dict[str, str]:
    return {"series": metric, "values": values}


@dataclass
class JustAbove:
    """An input just past the threshold: silent just under the `for` (`silent_at`), firing just over it."""

    series: Series
    silent_at: str
    fire_at: str
    description: str


@dataclass
class AlertCase:
    alert: str
    series: Series
    fire_at: str
    labels: dict[str, str]
    summary: str
    description: str
    # Eval times (same input) at which nothing may fire: `for` not elapsed, outside market hours.
    silent_at: list[str] = field(default_factory=list)
    # (input, eval time) pairs below the threshold: nothing may fire.
    quiet: list[tuple[Series, str]] = field(default_factory=list)
    # Boundaries: inputs just past the threshold (with the `for` bracketed by one evaluation), and in
    # `quiet`, inputs just short of it.
    just_above: list[JustAbove] = field(default_factory=list)


def at_minute(minutes: float) -> str:
    """A promtool eval_time for a whole number of minutes."""
    return f"{int(minutes)}m"
