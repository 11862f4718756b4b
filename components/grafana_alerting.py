"""Grafana alerting as code: the contact point, the notification policy and the log alert rules.

Prometheus' alerts go through Alertmanager (render/alertmanager.py). What only the logs show (a
surge of ERROR/FATAL lines, the guide's slow-request lines) is evaluated by Grafana on the
Elasticsearch datasource (mixin/log_alerts.py) and sent by Grafana's own notifier: to Slack
through the contact point `slack-notifications` (the webhook a secret Output, never in plain
text), or by e-mail to `alerting.emailTo` where the stack has no Slack webhook.
"""

from __future__ import annotations

import pulumi
import pulumiverse_grafana as grafana

from components.context import StackContext
from components.service import TYPE_PREFIX
from mixin import log_alerts
from mixin.dashboards.common import ELASTICSEARCH_UID
from mixin.guide import GUIDE_EMAIL_RECEIVER, GUIDE_ROUTE, GUIDE_SLACK_RECEIVER


class GrafanaAlerting(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: StackContext, provider: grafana.Provider, folder: grafana.oss.Folder,
                 elasticsearch: grafana.oss.DataSource, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:GrafanaAlerting", name, None, opts)
        child = pulumi.ResourceOptions(parent=self, provider=provider)
        self.contact_point = self._contact_point(ctx, child)
        # The guide's grouping and timers; log alerts carry `service` rather than `job`.
        self.policy = grafana.alerting.NotificationPolicy(
            "notification-policy", contact_point=self.contact_point.name,
            group_bies=[*GUIDE_ROUTE["group_by"], "service"], group_wait=GUIDE_ROUTE["group_wait"],
            group_interval=GUIDE_ROUTE["group_interval"], repeat_interval=GUIDE_ROUTE["repeat_interval"],
            opts=child)
        self.rules = grafana.alerting.RuleGroup(
            "rule-group-logs", name=log_alerts.GROUP, folder_uid=folder.uid, interval_seconds=60,
            rules=[self._rule(alert) for alert in log_alerts.LOG_ALERTS],
            opts=pulumi.ResourceOptions(parent=self, provider=provider, depends_on=[self.policy, elasticsearch]))
        self.register_outputs({"contact_point": self.contact_point.name})

    @staticmethod
    def _contact_point(ctx: StackContext, child: pulumi.ResourceOptions) -> grafana.alerting.ContactPoint:
        webhook = ctx.secret("slackWebhookUrl")
        if webhook is not None:
            return grafana.alerting.ContactPoint(
                "contact-point-slack", name=GUIDE_SLACK_RECEIVER,
                slacks=[grafana.alerting.ContactPointSlackArgs(
                    url=pulumi.Output.secret(webhook), recipient=ctx.settings.alerting.slack_channel,
                    title="{{ len .Alerts.Firing }} firing: {{ .CommonLabels.alertname }}"
                          " ({{ .CommonLabels.service }})",
                    text="{{ range .Alerts }}{{ .Annotations.description }}\n{{ end }}")],
                opts=child)
        return grafana.alerting.ContactPoint(
            "contact-point-email", name=GUIDE_EMAIL_RECEIVER,
            emails=[grafana.alerting.ContactPointEmailArgs(addresses=list(ctx.settings.alerting.email_to))],
            opts=child)

    @staticmethod
    def _rule(alert: log_alerts.LogAlert) -> grafana.alerting.RuleGroupRuleArgs:
        return grafana.alerting.RuleGroupRuleArgs(
            uid=alert.uid, name=alert.name, condition="C", for_=alert.for_,
            # No log line in the window is a healthy service, not an unknown one.
            no_data_state="OK", exec_err_state="Error",
            labels={"severity": alert.severity, "component": "logs"},
            annotations={"summary": alert.summary, "description": alert.description},
            datas=[grafana.alerting.RuleGroupRuleDataArgs(
                ref_id=ref_id, datasource_uid=uid, model=model,
                relative_time_range=grafana.alerting.RuleGroupRuleDataRelativeTimeRangeArgs(from_=back, to=0))
                for ref_id, uid, model, back in log_alerts.stages(alert, ELASTICSEARCH_UID)])
