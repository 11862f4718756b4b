"""API Performance: traffic, latency and errors of the platform API (the metric contract's http_* series).

One function per panel; `build` composes them. Every panel reads recorded series, so each sets
the evaluation interval as its min interval (`interval`).
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import stat, timeseries

from mixin import rules as rec
from mixin.dashboards import common as c
from mixin.dashboards.common import Query
from settings.model import StackSettings

JOB = 'job=~"$job"'
PATH = f'{JOB}, path=~"$endpoint"'


def requests(*, interval: str) -> stat.Panel:
    return c.single("Requests per second", "reqps", Query(f"sum({rec.HTTP_REQUESTS_RATE}{{{JOB}}})"),
                    c.thresholds((0.001, "green"), base="orange"),
                    "All requests to the selected jobs (orange when there is no traffic at all).",
                    min_interval=interval)


def error_ratio(*, limits: dash.ThresholdsConfig, runbook: str, interval: str) -> stat.Panel:
    return c.single("Error ratio (5xx)", "percentunit", Query(f"max({rec.HTTP_ERROR_RATIO}{{{JOB}}})"), limits,
                    links=[c.runbook_link(runbook, "HighErrorRate")], min_interval=interval)


def p95_now(*, limits: dash.ThresholdsConfig, runbook: str, interval: str) -> stat.Panel:
    return c.single("p95 latency", "s", Query(f"max({rec.HTTP_LATENCY_P95}{{{JOB}}})"), limits,
                    links=[c.runbook_link(runbook, "ApiHighLatency")], min_interval=interval)


def mean_now(*, limits: dash.ThresholdsConfig, interval: str) -> stat.Panel:
    return c.single("Average latency", "s", Query(f"max({rec.HTTP_LATENCY_MEAN}{{{JOB}}})"), limits,
                    min_interval=interval)


def requests_by_endpoint(*, interval: str) -> timeseries.Panel:
    return c.graph("Requests per second by endpoint", "reqps",
                   [Query(f"sum by (path) ({rec.HTTP_REQUESTS_RATE_BY_PATH}{{{PATH}}})", "{{path}}")],
                   min_interval=interval)


def latency(*, limits: dash.ThresholdsConfig, runbook: str, interval: str) -> timeseries.Panel:
    return c.graph("Latency", "s",
                   [Query(f"max({rec.HTTP_LATENCY_MEAN}{{{JOB}}})", "average"),
                    Query(f"max({rec.HTTP_LATENCY_P50}{{{JOB}}})", "p50"),
                    Query(f"max({rec.HTTP_LATENCY_P95}{{{JOB}}})", "p95"),
                    Query(f'max({rec.HTTP_LATENCY_MAX_BY_INSTANCE}{{{JOB}, instance=~"$instance"}})', "max")],
                   limits,
                   "Average, median and p95 from the recording rules; max is the upper bound of "
                   "the highest histogram bucket that saw a request (on the selected instances).",
                   links=[c.runbook_link(runbook, "ApiHighLatency")], min_interval=interval)


def error_rate_by_status(*, limits: dash.ThresholdsConfig, runbook: str, interval: str) -> timeseries.Panel:
    return c.graph("Error rate by status code", "percentunit",
                   [Query(f'sum by (status) ({rec.HTTP_REQUESTS_RATE_BY_STATUS}{{{JOB}, status=~"[45].."}})'
                          f" / scalar(sum({rec.HTTP_REQUESTS_RATE}{{{JOB}}}))", "{{status}}")],
                   limits, "Share of all requests answered with each 4xx/5xx code.",
                   links=[c.runbook_link(runbook, "HighErrorRate")], min_interval=interval)


def requests_by_status(*, interval: str) -> timeseries.Panel:
    return c.graph("Requests by status code", "reqps",
                   [Query(f"sum by (status) ({rec.HTTP_REQUESTS_RATE_BY_STATUS}{{{JOB}}})", "{{status}}")],
                   min_interval=interval)


def p95_by_endpoint(*, limits: dash.ThresholdsConfig, interval: str) -> timeseries.Panel:
    return c.graph("p95 latency per endpoint", "s",
                   [Query(f"max by (path) ({rec.HTTP_LATENCY_P95_BY_PATH}{{{PATH}}})", "{{path}}")],
                   limits, width=24, min_interval=interval)


def backend_p95(*, limits: dash.ThresholdsConfig, interval: str) -> timeseries.Panel:
    return c.graph("Backend processing time (p95) by operation", "s",
                   [Query(f"max by (operation) ({rec.BACKEND_P95_BY_OPERATION}{{{JOB}}})", "{{operation}}")],
                   limits, "p95 over all instances of the selected jobs.", width=24, min_interval=interval)


def build(settings: StackSettings) -> dash.Dashboard:
    t = settings.thresholds
    runbook = settings.alerting.runbook_base_url
    slow = c.warn_crit(t.api_p95_latency_seconds / 2, t.api_p95_latency_seconds)
    errors = c.warn_crit(t.error_rate_percent / 200, t.error_rate_percent / 100)
    ev = settings.prometheus.evaluation_interval
    return (
        c.new_dashboard(c.API_PERFORMANCE, runbook)
        .with_variable(c.variable("job", "Job", "label_values(http_requests_total, job)"))
        .with_variable(c.variable("instance", "Instance", 'label_values(http_requests_total{job=~"$job"}, instance)'))
        .with_variable(c.variable("endpoint", "Endpoint", 'label_values(http_requests_total{job=~"$job"}, path)'))
        .with_panel(requests(interval=ev))
        .with_panel(error_ratio(limits=errors, runbook=runbook, interval=ev))
        .with_panel(p95_now(limits=slow, runbook=runbook, interval=ev))
        .with_panel(mean_now(limits=slow, interval=ev))
        .with_panel(requests_by_endpoint(interval=ev))
        .with_panel(latency(limits=slow, runbook=runbook, interval=ev))
        .with_panel(error_rate_by_status(limits=errors, runbook=runbook, interval=ev))
        .with_panel(requests_by_status(interval=ev))
        .with_panel(p95_by_endpoint(limits=slow, interval=ev))
        .with_panel(backend_p95(limits=slow, interval=ev))
    )
