"""`promtool test rules` cases for every alert, built from a stack's thresholds.

Each case feeds series above the threshold and expects: nothing while the `for` has not
elapsed, then the alert with its exact labels and annotations; and a separate input below
the threshold (or otherwise harmless) that stays silent. Inputs are chosen so the rendered
value is known exactly (e.g. usage half-way between the threshold and 100%).
"""

from __future__ import annotations

from typing import Any

from settings.model import StackSettings
from tests.config.alert_case import AlertCase
from tests.config.rule_cases_infra import (
    alertmanager_cases,
    container_cases,
    container_memory_cases,
    disk_fill_cases,
    host_cases,
    monitoring_cases,
)
from tests.config.rule_cases_logs import certificate_cases, logging_cases
from tests.config.rule_cases_platform import (
    api_cases,
    database_cases,
    slow_query_cases,
    trading_idle_cases,
    trading_order_cases,
)


def alert_cases(settings: StackSettings) -> list[AlertCase]:
    cases: list[AlertCase] = []
    for area in (host_cases, disk_fill_cases, container_cases, container_memory_cases,
                 api_cases, database_cases, slow_query_cases, trading_order_cases,
                 trading_idle_cases, monitoring_cases, alertmanager_cases):
        cases += area(settings)
    cases += logging_cases(settings)
    cases += certificate_cases()
    cases.append(AlertCase(
        "Watchdog", [], "10m", {"severity": "none", "component": "monitoring"}, "Alerting pipeline heartbeat",
        "Always firing (value 1) so the heartbeat receiver notices when alerting stops."))
    return cases


def promtool_tests(cases: list[AlertCase], runbook_base: str) -> list[dict[str, Any]]:
    """The `tests:` list of a promtool unit-test file."""
    tests: list[dict[str, Any]] = []
    for case in cases:
        expected = {
            "exp_labels": case.labels,
            "exp_annotations": {"summary": case.summary, "description": case.description,
                                "runbook_url": f"{runbook_base}#{case.alert.lower()}"},
        }
        checks: list[dict[str, Any]] = [{"eval_time": at, "alertname": case.alert, "exp_alerts": []}
                                        for at in case.silent_at]
        checks.append({"eval_time": case.fire_at, "alertname": case.alert, "exp_alerts": [expected]})
        tests.append({"name": f"{case.alert} fires", "interval": "1m", "input_series": case.series,
                      "alert_rule_test": checks})
        for i, (series, at) in enumerate(case.quiet):
            tests.append({"name": f"{case.alert} quiet {i}", "interval": "1m", "input_series": series,
                          "alert_rule_test": [{"eval_time": at, "alertname": case.alert, "exp_alerts": []}]})
    return tests


# The boundary tests' rule evaluation interval. An alert on a recording rule of another group
# starts its `for` one evaluation late when promtool happens to evaluate the alert's group first
# (the order varies between runs): at 15s steps, "silent 15s before `for` + 1m, firing 15s after"
# holds whichever group goes first, and a `for` one minute longer or shorter fails either way.
BOUNDARY_EVALUATION_INTERVAL = "15s"


def boundary_tests(cases: list[AlertCase], runbook_base: str) -> list[dict[str, Any]]:
    """Inputs just past each threshold: silent just under the `for`, firing just over it."""
    tests: list[dict[str, Any]] = []
    for case in cases:
        for i, edge in enumerate(case.just_above):
            expected = {"exp_labels": case.labels,
                        "exp_annotations": {"summary": case.summary, "description": edge.description,
                                            "runbook_url": f"{runbook_base}#{case.alert.lower()}"}}
            tests.append({"name": f"{case.alert} just above {i}", "interval": "1m", "input_series": edge.series,
                          "alert_rule_test": [{"eval_time": edge.silent_at, "alertname": case.alert, "exp_alerts": []},
                                              {"eval_time": edge.fire_at, "alertname": case.alert,
                                               "exp_alerts": [expected]}]})
    return tests
