"""Prometheus and Alertmanager always run with a web configuration (basic auth).

Without `--web.config.file`, anything on their network could query Prometheus or silence every
alert. The rule reads what the container runs: the flag in its command, and a file uploaded at
that path (components/auth.py renders it from the password secret).
"""

from __future__ import annotations

from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
)

from policy.values import CONTAINER, describe, mandatory, prop, service_of

FLAG = "--web.config.file="


def needs_web_config(service: str | None) -> bool:
    """Prometheus and every Alertmanager peer (alertmanager, alertmanager-1, ...)."""
    return service is not None and (service == "prometheus" or service.startswith("alertmanager"))


def check_web_config(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type != CONTAINER or not needs_web_config(service_of(args.props)):
        return
    what = describe(args.resource_type, args.name, args.props)
    paths = [str(c)[len(FLAG):] for c in prop(args.props, "command") or [] if str(c).startswith(FLAG)]
    uploaded = {str(u.get("file")) for u in prop(args.props, "uploads") or [] if isinstance(u, dict)}
    if not paths:
        report(f"{what} runs without {FLAG}<file>: it answers anyone without credentials; give it the web "
               f"configuration components/auth.py renders (web_config_upload).", None)
    elif paths[-1] not in uploaded:
        report(f"{what} reads its web configuration from {paths[-1]}, which is not among its uploads.", None)


web_config = mandatory(
    "prometheus-alertmanager-web-config",
    "Prometheus and Alertmanager always run with a basic-auth web configuration.",
    check_web_config,
)
