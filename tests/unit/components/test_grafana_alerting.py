"""Grafana's log alerting (components/grafana_alerting.py) under mocks, beyond what test_grafana.py reads (the
contact point, the policy's timers, each rule's queries and thresholds): the resources' order and identity,
and the labels and states an on-call reads on each notification."""

from __future__ import annotations

from mixin import log_alerts
from offline.mocks import DeclaredResource, ProgramRun, unwrap


def _one(run: ProgramRun, kind: str) -> DeclaredResource:
    [resource] = run.of_type(f"grafana:alerting/{kind}")
    return resource


def test_the_rule_group_is_evaluated_every_minute_once_its_policy_and_datasource_exist(run):
    group = _one(run, "ruleGroup:RuleGroup")
    policy = _one(run, "notificationPolicy:NotificationPolicy")
    [elasticsearch] = [d for d in run.of_type("grafana:oss/dataSource:DataSource")
                       if unwrap(d.inputs)["uid"] == "elasticsearch-logs"]
    # A rule that fires before the policy exists goes to Grafana's default contact point, not the stack's.
    assert {policy.urn, elasticsearch.urn} <= set(group.dependencies)
    assert unwrap(group.inputs)["intervalSeconds"] == 60 and unwrap(group.inputs)["name"] == "logs"
    [component] = run.of_type("christmas:monitoring:GrafanaAlerting")
    assert {r.parent for r in (group, policy, _one(run, "contactPoint:ContactPoint"))} == {component.urn}


def test_each_log_rule_keeps_its_uid_and_tells_the_on_call_what_and_how_bad(run):
    rules = {r["name"]: r for r in unwrap(_one(run, "ruleGroup:RuleGroup").inputs)["rules"]}
    # The uid is the rule's identity in Grafana: a new one would drop its state and its silences.
    assert {name: r["uid"] for name, r in rules.items()} == {
        "LogErrorSurge": "christmas-log-errors", "SlowRequestsLogged": "christmas-log-slow-requests"}
    for alert in log_alerts.LOG_ALERTS:
        rule = rules[alert.name]
        assert rule["labels"] == {"severity": "warning", "component": "logs"}, alert.name
        assert rule["annotations"] == {"summary": alert.summary, "description": alert.description}, alert.name
        assert rule["annotations"]["summary"] and rule["annotations"]["description"], alert.name
        # Held 5 minutes before firing; a failing query is an error to see, not an OK.
        assert (rule["for"], rule["execErrState"], rule["noDataState"]) == ("5m", "Error", "OK"), alert.name


def test_the_slack_message_names_the_alert_and_the_service_the_rules_group_by(prod_run):
    [slack] = unwrap(_one(prod_run, "contactPoint:ContactPoint").inputs["slacks"])
    assert slack["title"] == ("{{ len .Alerts.Firing }} firing: {{ .CommonLabels.alertname }}"
                              " ({{ .CommonLabels.service }})")
    assert "{{ .Annotations.description }}" in slack["text"]
    # `service` is common to a notification only because the policy groups by it.
    assert "service" in unwrap(_one(prod_run, "notificationPolicy:NotificationPolicy").inputs)["groupBies"]
