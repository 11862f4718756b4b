"""Parse and validate a stack's settings, all problems at once, before any resource is declared.

`parse_settings` is pure (raw config strings in, `StackSettings` out) so it is tested without
Pulumi; `load_settings` feeds it from the running program through Pulumi's public config API
and the stack files beside the program, and attaches the secrets as secret `Output`s.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pulumi

from settings import grammar as g
from settings import grammar_edge as ge
from settings import stack as model
from settings.declare import parse_section, read_object
from settings.grammar import duration_seconds
from settings.neighbours import neighbour_ports, neighbour_subnets, stack_file
from settings.problems import Problems, fix_command
from settings.rules import check_rules
from settings.secrets import SECRET_KEYS, check_secrets
from settings.sections import OPTION_KEYS, SECTIONS, AlertingSettings, StackOptions
from settings.services import (
    PublishedPort,
    ServiceSettings,
    neighbour_holder,
    parse_services,
    port_clashes,
    same_binding,
)
from settings.sizing_checks import sizing_checks
from settings.snapshot_s3_rules import snapshot_s3_checks
from settings.subnets import GOSSIP_EXAMPLE, check_subnets

# The shortest rate() window of the rules (mixin/alerts.py, mixin/rules.py): rate() needs at least
# two samples in it, and four keep it stable when one scrape fails.
SHORTEST_RATE_WINDOW_SECONDS = 300
def _cross_checks(s: model.StackSettings, problems: Problems) -> None:
    """Rules between settings, each naming the key to change.

    A rule is skipped when one of the keys it reads is already reported: its value would be the
    default, not the operator's, and the message would mislead.
    """
    def rule(keys: tuple[str, ...], broken: bool, key: str, what: str, fix: str) -> None:
        if broken and not problems.about(*keys):
            problems.add(key, what, fix)

    # A publish.grafana entry that was given but is wrong is already reported under its own key.
    rule(("publish.grafana", "grafana.apiUrl"), s.services["grafana"].publish is None and not s.grafana.api_url,
         "publish.grafana", "Grafana must be published, or grafana.apiUrl set, for the Grafana provider",
         fix_command("publish.grafana.port", "3000"))
    es_memory, heap = s.services["elasticsearch"].memory_mb, s.logging.elasticsearch_heap_mb
    rule(("memoryMb.elasticsearch", "logging.elasticsearchHeapMb"), heap > es_memory // 2,
         "logging.elasticsearchHeapMb", f"({heap} MB) must be at most half of memoryMb.elasticsearch "
         f"({es_memory} MB): Elasticsearch needs the rest for the file cache",
         fix_command("logging.elasticsearchHeapMb", str(max(128, es_memory // 2))))
    a = s.alerting
    rule(("alerting.marketOpenHourUtc", "alerting.marketCloseHourUtc"),
         a.market_close_hour_utc == a.market_open_hour_utc, "alerting.marketCloseHourUtc",
         "must differ from alerting.marketOpenHourUtc (a session across midnight closes at an earlier hour, "
         "e.g. 22 to 6)", fix_command("alerting.marketCloseHourUtc", str((a.market_open_hour_utc + 8) % 24 or 24)))
    rule(("slackWebhookUrl", "alerting.emailTo"), not a.slack_enabled and not a.email_enabled,
         "slackWebhookUrl / alerting.emailTo", "no alert receiver: set a Slack webhook, e-mail recipients, or both",
         "pulumi config set --secret slackWebhookUrl https://hooks.slack.com/services/... or "
         + fix_command("alerting.emailTo[0]", "oncall@example.com"))
    rule(("smtpPassword", "alerting.smtpUsername"), "smtpPassword" in s.secrets_set and not a.smtp_username,
         "alerting.smtpUsername", "is required when smtpPassword is set (SMTP AUTH needs both)",
         fix_command("alerting.smtpUsername", "alerts@example.com"))
    rule(("grafana.secureCookies", "grafana.rootUrl"),
         s.grafana.secure_cookies and not s.grafana.root_url.startswith("https://"), "grafana.secureCookies",
         "needs an https:// grafana.rootUrl: browsers drop secure cookies over http, so nobody could log in",
         fix_command("grafana.secureCookies", "false"))
    rule(("prometheus.scrapeInterval",), duration_seconds(s.prometheus.scrape_interval) * 4
         > SHORTEST_RATE_WINDOW_SECONDS, "prometheus.scrapeInterval",
         f"({s.prometheus.scrape_interval}) must be at most 75s: the rules' 5m rate windows need four samples",
         fix_command("prometheus.scrapeInterval", "15s"))
    rule(("prometheus.evaluationInterval",), duration_seconds(s.prometheus.evaluation_interval)
         > SHORTEST_RATE_WINDOW_SECONDS, "prometheus.evaluationInterval",
         "must be at most 5m (the alerts' shortest `for`)", fix_command("prometheus.evaluationInterval", "15s"))


def _edge_checks(s: model.StackSettings, raw: Mapping[str, str], problems: Problems) -> None:
    """Every public URL is served by the edge: https, a DNS name, the edge's HTTPS port, a host each."""
    e = s.edge
    urls = {"grafana.rootUrl": s.grafana.root_url, "logging.kibanaPublicBaseUrl": s.logging.kibana_public_base_url,
            "edge.prometheusUrl": e.prometheus_url, "edge.alertmanagerUrl": e.alertmanager_url}
    hosts: dict[str, str] = {}
    port = "" if e.https_port == 443 else f":{e.https_port}"
    for key, url in urls.items():
        if not url or problems.about(key, "edge.httpsPort"):
            continue
        if ge.edge_url(url) or ge.edge_port(url) != e.https_port:
            problems.add(key, f"must be an https URL on a DNS name at the edge's HTTPS port ({e.https_port}), "
                         f"got {url!r}", fix_command(key, f"https://<name>.example.com{port}"))
            continue
        host = ge.edge_host(url)
        if host in hosts:
            problems.add(key, f"uses the host {host} of {hosts[host]}: each service needs its own host name",
                         fix_command(key, f"https://<another name>.example.com{port}"))
        hosts[host] = key
    if e.http_port == e.https_port and not problems.about("edge.httpPort", "edge.httpsPort"):
        problems.add("edge.httpPort", "must differ from edge.httpsPort", fix_command("edge.httpPort", "80"))
    if e.tls == "files":
        for key, pem in (("tlsCertificate", "fullchain.pem"), ("tlsKey", "privkey.pem")):
            if not raw.get(key):
                problems.add(key, "is required when edge.tls is files", f"pulumi config set --secret {key} < {pem}")
    # On a Swarm the peers gossip over the stack's overlay (components/alerting.py): no subnet to choose.
    if s.alerting.alertmanager_peers > 1 and not s.alerting.gossip_subnet and not s.swarm \
            and not problems.about("alerting.gossipSubnet", "alerting.alertmanagerPeers"):
        problems.add("alerting.gossipSubnet", "is required with 2 or more Alertmanager peers (their gossip network)",
                     fix_command("alerting.gossipSubnet", GOSSIP_EXAMPLE))


def _swarm_checks(s: model.StackSettings, problems: Problems) -> None:
    """What Swarm cannot do the way one Docker host does it (docs/scale-out.md)."""
    if not s.swarm:
        return
    if s.alerting.alertmanager_peers < 2 and not problems.about("alerting.alertmanagerPeers"):
        problems.add("alerting.alertmanagerPeers", "must be at least 2 with target swarm (one peer per node, so "
                     "alerts are still sent when a node is lost)", fix_command("alerting.alertmanagerPeers", "2"))
    if not s.swarm_node_subnet and not problems.about("swarmNodeSubnet"):
        problems.add("swarmNodeSubnet", "is required with target swarm (node-exporter runs on each node's host "
                     "network and listens only on the node's address in this subnet, never on every interface)",
                     "pulumi config set swarmNodeSubnet <subnet of the nodes' --advertise-addr, e.g. 172.16.20.0/24>")
    if s.edge.address != "0.0.0.0" and not problems.about("edge.address"):
        problems.add("edge.address", "must be 0.0.0.0 with target swarm (the routing mesh publishes the edge's "
                     "ports on every node)", fix_command("edge.address", "0.0.0.0"))
    for service, entry in s.services.items():
        # The routing mesh publishes on every interface of every node: a bind address cannot be honoured.
        if entry.publish is not None and entry.publish.bind_address != "0.0.0.0":
            problems.add(f"publish.{service}.address", "must be 0.0.0.0 with target swarm (Swarm publishes on "
                         "every node; keep a service private by not publishing it)",
                         f"pulumi config rm --path publish.{service}")


def _elasticsearch_cluster_checks(s: model.StackSettings, problems: Problems) -> None:
    """A 3-node Elasticsearch: only on a Swarm (one node per host), reached by its nodes' names only."""
    lg = s.logging
    if lg.elasticsearch_nodes == 3 and not s.swarm and not problems.about("logging.elasticsearchNodes", "target"):
        problems.add("logging.elasticsearchNodes", "3 needs target swarm (three nodes on three hosts; on one Docker "
                     "host a cluster adds no safety)", fix_command("logging.elasticsearchNodes", "1"))
    if lg.elasticsearch_bootstrap and lg.elasticsearch_nodes == 1 and not problems.about("logging.elasticsearchNodes"):
        problems.add("logging.elasticsearchBootstrap", "applies to a 3-node cluster only (logging.elasticsearchNodes "
                     "is 1)", "pulumi config rm --path logging.elasticsearchBootstrap")
    if lg.elasticsearch_nodes == 3 and s.services["elasticsearch"].publish is not None and s.swarm \
            and not problems.about("publish.elasticsearch"):
        # The nodes' tasks are found by DNS (endpoint mode dnsrr), which the routing mesh cannot publish.
        problems.add("publish.elasticsearch", "cannot be published with 3 Elasticsearch nodes (reach it through "
                     "Kibana)", "pulumi config rm --path publish.elasticsearch")
    if lg.elasticsearch_nodes == 3 and s.swarm and not lg.snapshot_s3_bucket \
            and not problems.about("logging.snapshotS3Bucket"):
        # The fs repository needs one directory every node shares; each node has its own volume.
        problems.add("logging.snapshotS3Bucket", "is required with 3 Elasticsearch nodes: a cluster keeps its "
                     "snapshots in S3 (each node's volume is its own, so no file system repository)",
                     fix_command("logging.snapshotS3Bucket", "<bucket>"))


def parse_settings(project: str, stack: str, raw: Mapping[str, str],
                   secret_keys: frozenset[str] | None = None,
                   neighbours: Mapping[str, Mapping[str, PublishedPort]] | None = None,
                   neighbour_subnets: Mapping[str, Mapping[str, str]] | None = None) -> model.StackSettings:
    """Validate the raw stack configuration (keys without the project prefix).

    `secret_keys` are the keys Pulumi holds encrypted; when given, a secret setting stored in
    plain text is an error. `neighbours` are the ports published by the other stacks that share
    this stack's Docker host, `neighbour_subnets` the subnets they chose (settings/subnets.py).
    """
    problems = Problems()
    for key in raw:
        if key not in model.TOP_LEVEL_KEYS:
            problems.add(key, f"is not a known setting of {project}",
                         f"pulumi config rm {key}  (known settings are listed in the README)")
    if wrong := g.es_name_part(stack):
        problems.add("(stack name)", f"'{stack}' {wrong}", f"pulumi stack rename {g.es_name_suggestion(stack)}")
    options = parse_section(StackOptions, "", {k: raw[k] for k in OPTION_KEYS if k in raw}, problems)
    sections: dict[str, Any] = {key: parse_section(cls, key, read_object(raw, key, problems), problems, f"{key}.")
                                for key, cls in SECTIONS.items()}
    services: dict[str, ServiceSettings] = parse_services(raw, problems)
    port_clashes(stack, services, neighbours or {}, problems)
    check_secrets(raw, problems, options.generate_missing_secrets, secret_keys)
    alerting: AlertingSettings = sections.pop("alerting")
    settings = model.StackSettings(
        project=project, stack=stack, services=services,
        alerting=AlertingSettings(**{**alerting.__dict__, "slack_enabled": bool(raw.get("slackWebhookUrl"))}),
        protect_data=options.protect_data, generate_missing_secrets=options.generate_missing_secrets,
        secrets_set=frozenset(k for k in SECRET_KEYS if raw.get(k)), target=options.target,
        swarm_node_subnet=options.swarm_node_subnet, swarm_address_pool=options.swarm_address_pool, **sections,
    )
    _cross_checks(settings, problems)
    _edge_checks(settings, raw, problems)
    _edge_port_clashes(settings, neighbours or {}, problems)
    _swarm_checks(settings, problems)
    check_subnets(settings, neighbour_subnets or {}, problems)
    snapshot_s3_checks(settings, raw, problems)
    _elasticsearch_cluster_checks(settings, problems)
    check_rules(settings, raw, problems)
    sizing_checks(settings, problems)
    problems.raise_if_any(stack)
    return settings


def _edge_port_clashes(s: model.StackSettings, neighbours: Mapping[str, Mapping[str, PublishedPort]],
                       problems: Problems) -> None:
    """The edge's two ports against every other port on the Docker host (as services.port_clashes)."""
    holders = [(neighbour_holder(other, name), port)
               for other, published in neighbours.items() for name, port in published.items()]
    holders += [(f"publish.{name}", v.publish) for name, v in s.services.items() if v.publish is not None]
    e = s.edge
    for key, port in (("edge.httpPort", PublishedPort(e.http_port, e.address)),
                      ("edge.httpsPort", PublishedPort(e.https_port, e.address))):
        if problems.about(key, "edge.address"):
            continue
        for holder, other in holders:
            if same_binding(port, other):
                problems.add(key, f"{port.bind_address}:{port.host_port} is already published by {holder} "
                             "on the same Docker host", fix_command(key, "<a free port>"))


# --------------------------------------------------------------------------- the running program


def load_settings(project_dir: Path | None = None) -> tuple[model.StackSettings, model.StackSecrets]:
    """Read and validate the stack configuration before any resource is declared."""
    project, stack = pulumi.get_project(), pulumi.get_stack()
    project_dir = project_dir or Path.cwd()
    prefix = f"{project}:"
    # Every key through Pulumi's public API: the declared ones, and whatever else the stack
    # holds (a typo) as the language host hands it over (PULUMI_CONFIG) or the stack file says.
    given = [*pulumi.runtime.get_config_env(), *stack_file(project_dir, stack)]
    names = set(model.TOP_LEVEL_KEYS) | {k[len(prefix):] for k in given if k.startswith(prefix)}
    raw: dict[str, str] = {}
    for name in names:
        value = pulumi.runtime.get_config(prefix + name)
        if value is not None:
            raw[name] = str(value)
    secret_keys = frozenset(name for name in raw if pulumi.runtime.is_config_secret(prefix + name))
    settings = parse_settings(project, stack, raw, secret_keys, neighbour_ports(project, stack, project_dir),
                              neighbour_subnets(project, stack, project_dir))
    config = pulumi.Config()
    secrets = {key: config.require_secret(key) for key in sorted(settings.secrets_set)}
    return settings, model.StackSecrets(values=secrets)
