"""API Performance: traffic, latency and errors of the platform API (the metric contract's http_* series)."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from mixin import rules as rec
from mixin.dashboards import common as c
from mixin.dashboards.common import Query
from settings.model import StackSettings


def build(settings: StackSettings) -> dash.Dashboard:
    t = settings.thresholds
    runbook = settings.alerting.runbook_base_url
    job = 'job=~"$job"'
    path = f'{job}, path=~"$endpoint"'
    latency = c.warn_crit(t.api_p95_latency_seconds / 2, t.api_p95_latency_seconds)
    errors = c.warn_crit(t.error_rate_percent / 200, t.error_rate_percent / 100)
    ev = settings.prometheus.evaluation_interval  # every panel here reads recorded series
    return (
        c.new_dashboard(c.API_PERFORMANCE, "Requests, latency and errors of the Christmas API.", runbook)
        .with_variable(c.variable("job", "Job", "label_values(http_requests_total, job)"))
        .with_variable(c.variable("instance", "Instance", 'label_values(http_requests_total{job=~"$job"}, instance)'))
        .with_variable(c.variable("endpoint", "Endpoint", 'label_values(http_requests_total{job=~"$job"}, path)'))
        .with_panel(c.single("Requests per second", "reqps", Query(f"sum({rec.HTTP_REQUESTS_RATE}{{{job}}})"),
                             c.thresholds((0.001, "green"), base="orange"),
                             "All requests to the selected jobs (orange when there is no traffic at all).",
                             min_interval=ev))
        .with_panel(c.single("Error ratio (5xx)", "percentunit",
                             Query(f"max({rec.HTTP_ERROR_RATIO}{{{job}}})"), errors,
                             links=[c.runbook_link(runbook, "HighErrorRate")], min_interval=ev))
        .with_panel(c.single("p95 latency", "s", Query(f"max({rec.HTTP_LATENCY_P95}{{{job}}})"), latency,
                             links=[c.runbook_link(runbook, "ApiHighLatency")], min_interval=ev))
        .with_panel(c.single("Average latency", "s", Query(f"max({rec.HTTP_LATENCY_MEAN}{{{job}}})"), latency,
                             min_interval=ev))
        .with_panel(c.graph("Requests per second by endpoint", "reqps",
                            [Query(f"sum by (path) ({rec.HTTP_REQUESTS_RATE_BY_PATH}{{{path}}})", "{{path}}")],
                            min_interval=ev))
        .with_panel(c.graph("Latency", "s",
                            [Query(f"max({rec.HTTP_LATENCY_MEAN}{{{job}}})", "average"),
                             Query(f"max({rec.HTTP_LATENCY_P50}{{{job}}})", "p50"),
                             Query(f"max({rec.HTTP_LATENCY_P95}{{{job}}})", "p95"),
                             Query(f'max({rec.HTTP_LATENCY_MAX_BY_INSTANCE}{{{job}, instance=~"$instance"}})', "max")],
                            latency,
                            "Average, median and p95 from the recording rules; max is the upper bound of "
                            "the highest histogram bucket that saw a request (on the selected instances).",
                            links=[c.runbook_link(runbook, "ApiHighLatency")], min_interval=ev))
        .with_panel(c.graph("Error rate by status code", "percentunit",
                            [Query(f'sum by (status) ({rec.HTTP_REQUESTS_RATE_BY_STATUS}{{{job}, status=~"[45].."}})'
                                   f" / scalar(sum({rec.HTTP_REQUESTS_RATE}{{{job}}}))", "{{status}}")],
                            errors, "Share of all requests answered with each 4xx/5xx code.",
                            links=[c.runbook_link(runbook, "HighErrorRate")], min_interval=ev))
        .with_panel(c.graph("Requests by status code", "reqps",
                            [Query(f"sum by (status) ({rec.HTTP_REQUESTS_RATE_BY_STATUS}{{{job}}})", "{{status}}")],
                            min_interval=ev))
        .with_panel(c.graph("p95 latency per endpoint", "s",
                            [Query(f"max by (path) ({rec.HTTP_LATENCY_P95_BY_PATH}{{{path}}})", "{{path}}")],
                            latency, width=24, min_interval=ev))
        .with_panel(c.graph("Backend processing time (p95) by operation", "s",
                            [Query(f"max by (operation) ({rec.BACKEND_P95_BY_OPERATION}{{{job}}})", "{{operation}}")],
                            latency, "p95 over all instances of the selected jobs.", width=24, min_interval=ev))
    )
