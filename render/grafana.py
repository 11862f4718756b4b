"""Grafana's server settings, rendered as `GF_<SECTION>_<KEY>` environment variables.

Grafana reads every ini key from the environment, so no grafana.ini is uploaded. The passwords
are files: `GF_<SECTION>_<KEY>__FILE` names them, and the image's entrypoint
(packaging/docker/run.sh in Grafana 11.6) reads each into its variable before Grafana starts,
so `docker inspect` shows only the file names.
"""

from __future__ import annotations

from render import elasticsearch
from settings.catalog import CATALOG
from settings.model import StackSettings

DATA_PATH = CATALOG["grafana"].data_path
SECRETS_DIR = "/run/secrets/grafana"
ADMIN_PASSWORD_FILE = f"{SECRETS_DIR}/admin-password"
SMTP_PASSWORD_FILE = f"{SECRETS_DIR}/smtp-password"
# The image's user (uid 472, group root), who reads the password files.
UID = CATALOG["grafana"].user


def _bool(value: bool) -> str:
    return "true" if value else "false"


def grafana_env(settings: StackSettings, smtp_password: bool = False) -> dict[str, str]:
    """Every setting of the Grafana server; the passwords by file name (`smtp_password`: one is set)."""
    g = settings.grafana
    a = settings.alerting
    return {
        "GF_SERVER_ROOT_URL": g.root_url,
        "GF_SECURITY_ADMIN_USER": g.admin_user,
        "GF_SECURITY_ADMIN_PASSWORD__FILE": ADMIN_PASSWORD_FILE,
        # Only the admin (and what Pulumi creates) exists: no self sign-up, no anonymous viewers.
        "GF_USERS_ALLOW_SIGN_UP": "false",
        "GF_USERS_ALLOW_ORG_CREATE": "false",
        "GF_AUTH_ANONYMOUS_ENABLED": "false",
        "GF_SECURITY_COOKIE_SECURE": _bool(g.secure_cookies),
        "GF_SECURITY_DISABLE_GRAVATAR": "true",
        # The monitoring host does not phone home.
        "GF_ANALYTICS_REPORTING_ENABLED": "false",
        "GF_ANALYTICS_CHECK_FOR_UPDATES": "false",
        "GF_ANALYTICS_CHECK_FOR_PLUGIN_UPDATES": "false",
        # E-mail for the Grafana e-mail contact point.
        "GF_SMTP_ENABLED": _bool(a.email_enabled),
        "GF_SMTP_HOST": a.smtp_smarthost,
        "GF_SMTP_USER": a.smtp_username,
        "GF_SMTP_FROM_ADDRESS": a.email_from,
        "GF_SMTP_FROM_NAME": f"Christmas monitoring ({settings.stack})",
        "GF_SMTP_STARTTLS_POLICY": "MandatoryStartTLS" if a.smtp_require_tls else "OpportunisticStartTLS",
        "GF_PATHS_DATA": DATA_PATH,
        "GF_LOG_MODE": "console",
        **({"GF_SMTP_PASSWORD__FILE": SMTP_PASSWORD_FILE} if smtp_password else {}),
    }


def as_env_list(env: dict[str, str]) -> list[str]:
    """Docker's `KEY=value` form, in a stable order so the plan diffs well."""
    return [f"{key}={value}" for key, value in sorted(env.items())]


def datasource_json(settings: StackSettings) -> dict[str, dict[str, object]]:
    """jsonData of each datasource, by uid-less role."""
    return {
        # timeInterval = the scrape interval, so `$__rate_interval` covers at least four scrapes.
        "prometheus": {"httpMethod": "POST", "timeInterval": settings.prometheus.scrape_interval,
                       "prometheusType": "Prometheus"},
        "alertmanager": {"implementation": "prometheus", "handleGrafanaManagedAlerts": False},
        "elasticsearch": {"index": elasticsearch.INDEX_PATTERN, "timeField": "@timestamp", "logLevelField": "level",
                          "logMessageField": "message", "maxConcurrentShardRequests": 5},
    }


