"""The Blackbox exporter's configuration and the public endpoints it probes (pure).

One module, `https_cert`: a GET over HTTPS that must succeed with a certificate the system trusts;
each probe reports `probe_ssl_earliest_cert_expiry` (prober/prober.go at v0.28.0), which the
CertificateExpiringSoon alert reads, and `probe_success`. Probed: the https:// URLs operators
open (Grafana, Kibana, and Prometheus/Alertmanager when the edge exposes them) when their
certificates come from outside (`edge.tls` `acme` or `files`), i.e. can expire unnoticed. With
`internal` (Caddy's own CA, renewed by Caddy; dev) nothing is probed: no system trusts that CA.
"""

from __future__ import annotations

from typing import Any

from formats.yamlout import dump_yaml
from settings.catalog import CONTAINER_PORTS
from settings.model import StackSettings

CONFIG_PATH = "/etc/blackbox_exporter/config.yml"
MODULE = "https_cert"
ADDRESS = f"blackbox-exporter:{CONTAINER_PORTS['blackbox-exporter']}"


def public_https_endpoints(s: StackSettings) -> list[str]:
    if s.edge.tls == "internal":
        return []
    candidates = [s.grafana.root_url, s.logging.kibana_public_base_url, s.edge.prometheus_url,
                  s.edge.alertmanager_url, *(s.url_of(service) for service in s.services)]
    endpoints: list[str] = []
    for url in candidates:
        if url and url.startswith("https://") and url not in endpoints:
            endpoints.append(url)
    return endpoints


def blackbox_config() -> dict[str, Any]:
    return {"modules": {MODULE: {
        "prober": "http",
        "timeout": "10s",
        "http": {
            # 2xx after redirects (Grafana and Kibana answer / with a redirect to their login page);
            # 401 from Prometheus and Alertmanager behind the edge's basic auth: the edge answered.
            "method": "GET",
            "valid_status_codes": [200, 401],
            "follow_redirects": True,
            "fail_if_not_ssl": True,
            "preferred_ip_protocol": "ip4",
        },
    }}}


def render_blackbox_yml() -> str:
    return dump_yaml(blackbox_config())


def scrape_job(s: StackSettings) -> dict[str, Any] | None:
    """The Prometheus job probing each endpoint through the exporter (None: nothing public over HTTPS)."""
    endpoints = public_https_endpoints(s)
    if not endpoints:
        return None
    return {
        "job_name": "blackbox-https",
        "metrics_path": "/probe",
        "params": {"module": [MODULE]},
        "static_configs": [{"targets": endpoints}],
        # The target is the probed URL (label `instance`); the scrape goes to the exporter.
        "relabel_configs": [
            {"source_labels": ["__address__"], "target_label": "__param_target"},
            {"source_labels": ["__param_target"], "target_label": "instance"},
            {"target_label": "__address__", "replacement": ADDRESS},
        ],
    }
