"""Prometheus and Alertmanager through their HTTP APIs: targets, rules, reloads, cluster, notifications."""

from __future__ import annotations

import urllib.parse
from typing import Any

from doctor.report import Result, verdict
from doctor.stack import Target
from doctor.web import get_json

# Notification failures are counted over this window: an old failure, since fixed, no longer fails the check.
FAILURE_WINDOW = "15m"


def prometheus_api(t: Target, path: str) -> Any:
    answer = get_json(f"{t.endpoints.prometheus}{path}", auth=t.prometheus_auth())
    if answer.get("status") != "success":
        raise RuntimeError(f"Prometheus {path}: {answer.get('error')}")
    return answer["data"]


def query(t: Target, promql: str) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = prometheus_api(t, f"/api/v1/query?query={urllib.parse.quote(promql)}")["result"]
    return result


def check_targets(t: Target) -> list[Result]:
    targets = prometheus_api(t, "/api/v1/targets?state=active")["activeTargets"]
    down = [f"{x['labels'].get('job')} {x['labels'].get('instance')} ({x.get('lastError') or x['health']})"
            for x in targets if x["health"] != "up"]
    saw = f"{len(targets) - len(down)} of {len(targets)} up" + (f"; down: {'; '.join(down)}" if down else "")
    return [verdict("scrape targets up", bool(targets) and not down, saw,
                    "start the named service or fix its address (prometheus.appTargets / tradingTargets)",
                    t.link("runbook.md", "targetdown"))]


def check_rules(t: Target) -> list[Result]:
    groups = prometheus_api(t, "/api/v1/rules")["groups"]
    rules = [(g["name"], r) for g in groups for r in g["rules"]]
    broken = [f"{group}/{r.get('name')}: {r.get('lastError')}" for group, r in rules if r.get("health") == "err"]
    saw = f"{len(rules)} rules in {len(groups)} groups" + (f"; failing: {'; '.join(broken)}" if broken else "")
    return [verdict("rule evaluation", bool(rules) and not broken, saw,
                    "fix the expression (promtool test rules) or the series it reads",
                    t.link("runbook.md", "prometheusruleevaluationfailures"))]


def check_prometheus_reload(t: Target) -> list[Result]:
    info = prometheus_api(t, "/api/v1/status/runtimeinfo")
    ok = bool(info.get("reloadConfigSuccess"))
    return [verdict("Prometheus configuration loaded", ok,
                    f"last reload {'succeeded' if ok else 'FAILED'} ({info.get('lastConfigTime', '?')})",
                    "the running configuration is stale: read `docker logs` of Prometheus, fix, `pulumi up`",
                    t.link("runbook.md", "prometheusconfigreloadfailed"))]


def check_alertmanager_cluster(t: Target) -> list[Result]:
    expected = t.settings.alerting.alertmanager_peers
    status = get_json(f"{t.endpoints.alertmanager}/api/v2/status", auth=t.alertmanager_auth())
    cluster = status.get("cluster") or {}
    peers = cluster.get("peers") or []
    # A single peer runs without gossip (--cluster.listen-address=): Alertmanager reports the cluster disabled.
    size = len(peers) if expected > 1 else 1
    # "settling": the peers are still exchanging state (the first minute after a start); the count is the signal.
    ok = size == expected and (expected == 1 or cluster.get("status") in ("ready", "settling"))
    sent = prometheus_api(t, "/api/v1/alertmanagers")["activeAlertmanagers"]
    ok = ok and len(sent) == expected
    return [verdict("Alertmanager cluster", ok,
                    f"{size} of {expected} peers in the cluster ({cluster.get('status', 'disabled')}); "
                    f"Prometheus is configured for {len(sent)}",
                    "start the missing peer (docker start) and check the gossip port 9094 between peers",
                    t.link("operations.md", "4-alerts-not-arriving"))]


def check_notifications(t: Target) -> list[Result]:
    promql = (f"sum by (instance, integration) "
              f"(increase(alertmanager_notifications_failed_total[{FAILURE_WINDOW}]))")
    failing = [f"{s['metric'].get('integration')} on {s['metric'].get('instance')}: "
               f"{float(s['value'][1]):.0f} failed"
               for s in query(t, promql) if float(s["value"][1]) > 0]
    total = query(t, "sum(alertmanager_notifications_total)")
    sent = f"{float(total[0]['value'][1]):.0f} notifications sent since start" if total else "no notification yet"
    return [verdict("Alertmanager notifications", not failing,
                    "; ".join(failing) + f" (last {FAILURE_WINDOW})" if failing else sent,
                    "read Alertmanager's log (`docker logs ... | grep -i notify`); check the webhook / SMTP "
                    "credentials and the network path; then `make test-alert`",
                    t.link("runbook.md", "alertmanagernotificationsfailing"))]


def check_alerts(t: Target) -> list[Result]:
    """The alerts' state in Prometheus: the Watchdog must fire (the rules are evaluated and sent); a
    critical alert firing is a failure of the stack or of what it watches."""
    alerts = prometheus_api(t, "/api/v1/alerts")["alerts"]
    firing = [a for a in alerts if a.get("state") == "firing"]
    names = sorted({a["labels"]["alertname"] for a in firing if a["labels"].get("alertname") != "Watchdog"})
    critical = sorted({a["labels"]["alertname"] for a in firing if a["labels"].get("severity") == "critical"})
    watchdog = any(a["labels"].get("alertname") == "Watchdog" for a in firing)
    saw = (f"Watchdog {'firing' if watchdog else 'NOT firing'}; "
           + (f"firing: {', '.join(names)}" if names else "no other alert firing"))
    return [verdict("alerts in Prometheus", watchdog and not critical, saw,
                    "Watchdog silent: rule evaluation or the Alertmanager path is broken; a critical alert: "
                    "follow its runbook_url", t.link("operations.md", "4-alerts-not-arriving"))]
