"""What is monitored: alert rules, recording rules, dashboards and runbook links, side by side.

Built from the same settings (thresholds, intervals), like the monitoring mixins
(node-mixin, alertmanager-mixin); pure data, no Pulumi resource.
"""
