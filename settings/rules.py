"""Rules across settings (and across what a setting means where it lands), each naming the key to
change and a fix that is itself valid. Called once by settings/load.parse_settings.

A rule is skipped when a key it reads is already reported: its value would be the default, not
the operator's, and a second message would repeat (or contradict) the first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from settings.material import check_tls_material
from settings.places import HOST_NETWORK_SERVICES, is_loopback
from settings.problems import Problems, fix_command

if TYPE_CHECKING:
    from settings.stack import StackSettings


def _host_network_publish(s: StackSettings, problems: Problems) -> None:
    """Docker discards a published port on a host-network container: the setting would do nothing."""
    for service in HOST_NETWORK_SERVICES:
        key = f"publish.{service}"
        if s.services[service].publish is not None and not problems.about(key):
            problems.add(key, f"cannot be published: {service} runs on the host's network, where Docker ignores "
                         "published ports (Prometheus scrapes it on the host's address)",
                         f"pulumi config rm --path {key}")


def _nothing_in_clear(s: StackSettings, raw: Mapping[str, str], problems: Problems) -> None:
    """Credentials only over TLS once they leave the host's loopback."""
    a = s.alerting
    # Alertmanager (smtp_require_tls) and Grafana (MandatoryStartTLS) send AUTH after STARTTLS only
    # when TLS is required; otherwise a server without STARTTLS gets the password in clear.
    if (a.smtp_username or raw.get("smtpPassword")) and not a.smtp_require_tls \
            and not problems.about("alerting.smtpRequireTls", "alerting.smtpUsername", "smtpPassword"):
        problems.add("alerting.smtpRequireTls", "must be true when SMTP authentication is set (alerting.smtpUsername"
                     " / smtpPassword): the password would otherwise cross the network in clear",
                     fix_command("alerting.smtpRequireTls", "true"))
    # The Grafana provider logs in as admin (basic auth) at every `pulumi up`.
    api = s.grafana.api_url
    if api and urlsplit(api).scheme == "http" and not is_loopback(urlsplit(api).hostname or "") \
            and not problems.about("grafana.apiUrl"):
        problems.add("grafana.apiUrl", "must be https unless it is on loopback: `pulumi up` sends Grafana's admin "
                     "password to it", fix_command("grafana.apiUrl", "https://grafana.example.com"))
    grafana = s.services["grafana"].publish
    if not api and grafana is not None and not is_loopback(grafana.bind_address) \
            and not problems.about("publish.grafana", "grafana.apiUrl"):
        problems.add("grafana.apiUrl", f"is required (https) when Grafana is published on {grafana.bind_address}: "
                     "`pulumi up` would send Grafana's admin password there over plain http",
                     fix_command("grafana.apiUrl", "https://grafana.example.com"))
    # A production stack (protectData) serves people through the edge only (TLS, basic auth); the
    # services' own ports speak plain http, so they stay on the host's loopback.
    if s.protect_data:
        for service, entry in s.services.items():
            key = f"publish.{service}"
            if entry.publish is not None and not entry.publish.bind_address.startswith("127.") \
                    and not problems.about(key, "protectData"):
                problems.add(f"{key}.address", f"must be a loopback address in a stack with protectData ({service} "
                             "speaks plain http; people reach it through the edge)",
                             f"pulumi config rm --path {key}" if s.swarm else
                             fix_command(f"{key}.address", "127.0.0.1"))


def _database_beside_a_dsn(raw: Mapping[str, str], problems: Problems) -> None:
    """postgres-exporter connects with postgresExporterDsn when it is set (components/metrics.py); the
    `database` section is then never read, and a verify-full there would silently not apply."""
    if raw.get("postgresExporterDsn") and raw.get("database") not in (None, "", "{}") \
            and not problems.about("database", "postgresExporterDsn"):
        problems.add("database", "is ignored because postgresExporterDsn is set (the exporter connects with the "
                     "DSN: put host, port, database and sslmode there)", "pulumi config rm database")


def check_rules(s: StackSettings, raw: Mapping[str, str], problems: Problems) -> None:
    _host_network_publish(s, problems)
    _nothing_in_clear(s, raw, problems)
    check_tls_material(s, raw, problems)
    _database_beside_a_dsn(raw, problems)
