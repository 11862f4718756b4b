"""Alert rules as typed data (one rule, one group = one rule file) and the annotation formats they share."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Severity = Literal["critical", "warning", "none"]

# The current value in a description: a percentage, a count, seconds.
PCT = '{{ $value | printf "%.2f" }}'
NUM = '{{ $value | printf "%.0f" }}'
SEC = '{{ $value | printf "%.2f" }}s'


@dataclass(frozen=True, kw_only=True)
class AlertRule:
    alert: str
    expr: str
    severity: Severity
    summary: str
    description: str
    # "" = fires at the first evaluation where the expression holds.
    for_: str = ""
    # Static labels, e.g. the `job` of the service an aggregate alert is about (for inhibition).
    labels: tuple[tuple[str, str], ...] = ()

    def render(self, component: str, runbook_base_url: str) -> dict[str, Any]:
        rule: dict[str, Any] = {"alert": self.alert, "expr": self.expr}
        if self.for_:
            rule["for"] = self.for_
        rule["labels"] = {"severity": self.severity, "component": component, **dict(self.labels)}
        rule["annotations"] = {
            "summary": self.summary,
            "description": self.description,
            "runbook_url": runbook_url(runbook_base_url, self.alert),
        }
        return rule


@dataclass(frozen=True)
class AlertGroup:
    """One rule group and file; `component` labels every alert of the group."""

    component: str
    rules: tuple[AlertRule, ...]

    @property
    def name(self) -> str:
        return f"{self.component}.alerts"

    @property
    def file(self) -> str:
        return f"alerts-{self.component}.yml"


def runbook_url(base: str, alert: str) -> str:
    return f"{base}#{alert.lower()}"


def promql_number(value: float) -> str:
    """A threshold exactly as set: the shortest text that reads back as the same float (repr), never
    rounded as `:g` would (99.99999 became 100, a bound the alert could never cross)."""
    return repr(float(value)).removesuffix(".0")
