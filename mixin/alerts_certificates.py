"""Alert rules of the public endpoints: their certificates and their answers, as the Blackbox exporter
(v0.28.0, render/blackbox.py) probes them."""

from __future__ import annotations

from mixin.alert_model import AlertGroup, AlertRule
from settings.material import CERTIFICATE_DAYS


def certificates_group() -> AlertGroup:
    # Series exist only for the endpoints served over https:// (render/blackbox.py): none in dev.
    return AlertGroup("certificates", (
        AlertRule(alert="CertificateExpiringSoon",
                  expr=f"(probe_ssl_earliest_cert_expiry - time()) / 86400 < {CERTIFICATE_DAYS}",
                  severity="warning", summary="TLS certificate expiring soon",
                  description=
                      "The certificate of {{ $labels.instance }} expires in {{ $value | printf \"%.1f\" }} days "
                  f"(threshold {CERTIFICATE_DAYS} days).", for_="10m"),
        AlertRule(alert="PublicEndpointDown", expr="probe_success == 0",
                  severity="warning", summary="Public endpoint failing",
                  description=
                      "{{ $labels.instance }} has failed its HTTPS probe for 5 minutes (probe_success = {{ $value }}): "
                  "unreachable, an error status, or a certificate the probe does not trust.", for_="5m"),
    ))
