"""Run every check against a stack and print the checklist; exit 1 when any check fails (cron, CI)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from doctor import (
    checks_backups,
    checks_containers,
    checks_edge,
    checks_grafana,
    checks_logging,
    checks_logs,
    checks_metrics,
    checks_neighbours,
)
from doctor.report import Result, any_failed, failed, render
from doctor.stack import Target, load_target

Check = Callable[[Target], list[Result]]

# (what it checks, the function, where its fix is documented): the guide's §9 and §7.1 in order.
CHECKS: tuple[tuple[str, Check, str, str], ...] = (
    ("containers", checks_containers.check_containers, "operations.md", "2-is-every-service-up"),
    ("configuration", checks_containers.check_configuration, "operations.md", "3-container-logs"),
    ("disk", checks_containers.check_disk_free, "runbook.md", "diskspacelow"),
    ("stacks on this Docker host", checks_neighbours.check_neighbours, "operations.md", "2-is-every-service-up"),
    ("logs", checks_logs.check_logs, "operations.md", "3-container-logs"),
    ("scrape targets", checks_metrics.check_targets, "runbook.md", "targetdown"),
    ("rules", checks_metrics.check_rules, "runbook.md", "prometheusruleevaluationfailures"),
    ("Prometheus reload", checks_metrics.check_prometheus_reload, "runbook.md", "prometheusconfigreloadfailed"),
    ("alerts", checks_metrics.check_alerts, "operations.md", "4-alerts-not-arriving"),
    ("Alertmanager cluster", checks_metrics.check_alertmanager_cluster, "operations.md", "4-alerts-not-arriving"),
    ("notifications", checks_metrics.check_notifications, "runbook.md", "alertmanagernotificationsfailing"),
    ("Grafana datasources", checks_grafana.check_datasources, "operations.md", "7-grafana-datasources"),
    ("Elasticsearch", checks_logging.check_elasticsearch_health, "operations.md", "5-elasticsearch-health-and-logs"),
    ("log freshness", checks_logging.check_log_freshness, "operations.md", "5-elasticsearch-health-and-logs"),
    ("ILM", checks_logging.check_ilm, "operations.md", "5-elasticsearch-health-and-logs"),
    ("Fluent Bit", checks_logging.check_fluent_bit, "runbook.md", "fluentbitoutputretriesfailing"),
    ("certificates", checks_edge.check_certificates, "operations.md", "8-tls-certificates"),
    ("Elasticsearch snapshots", checks_backups.check_elasticsearch_snapshots, "operations.md",
     "6-data-and-disaster-recovery"),
    ("backups", checks_backups.check_backup_files, "operations.md", "6-data-and-disaster-recovery"),
)


def run_checks(t: Target, checks: Sequence[tuple[str, Check, str, str]] = CHECKS) -> list[Result]:
    t.refresh()
    results: list[Result] = []
    for name, check, document, anchor in checks:
        try:
            results += check(t)
        except Exception as error:  # one unreachable service must not hide every other check
            results.append(failed(name, f"could not check: {error}",
                                  "the service (or the Docker host) did not answer: is it running and reachable?",
                                  t.link(document, anchor)))
    return results


def main(argv: Sequence[str] | None = None, target: Target | None = None) -> int:
    parser = argparse.ArgumentParser(prog="doctor", description="Check a deployed christmas-monitoring stack.")
    parser.add_argument("stack", help="the Pulumi stack (dev, prod)")
    args = parser.parse_args(argv)
    t = target or load_target(args.stack)
    results = run_checks(t)
    title = f"christmas-monitoring doctor: stack {t.settings.stack} (docker host {t.docker.host})"
    sys.stdout.write(render(results, title))
    return 1 if any_failed(results) else 0
