"""The Grafana area under mocks (the real program, dev and prod): provider, container, datasources, alerting."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mixin.dashboards.common import ALL_DASHBOARDS, FOLDERS
from offline.mocks import PLACEHOLDERS, DeclaredResource, ProgramRun, is_secret, run_program, unwrap
from tests.conftest import stack_config

PROVIDER_TYPE = "pulumi:providers:grafana"
CONTAINER = "docker:index/container:Container"


@pytest.fixture(params=["dev", "prod"])
def run(request, dev_run, prod_run):
    return dev_run if request.param == "dev" else prod_run


def grafana_resources(run: ProgramRun) -> list[DeclaredResource]:
    return [r for r in run.resources if r.type.startswith("grafana:")]


def grafana_container(run: ProgramRun) -> DeclaredResource:
    (container,) = [c for c in run.containers() if unwrap(c.inputs)["name"].endswith("-grafana")]
    return container


def provider(run: ProgramRun) -> DeclaredResource:
    (p,) = run.of_type(PROVIDER_TYPE)
    return p


def env(run: ProgramRun) -> dict[str, str]:
    return dict(item.split("=", 1) for item in unwrap(grafana_container(run).inputs)["envs"])


def test_every_grafana_resource_uses_the_explicit_provider_created_after_the_container(run):
    p = provider(run)
    assert grafana_container(run).urn in p.dependencies
    resources = grafana_resources(run)
    assert len(resources) >= 3 + len(FOLDERS) + len(ALL_DASHBOARDS)
    for r in resources:
        assert r.provider.startswith(p.urn + "::"), f"{r.type} {r.name} does not use the stack's provider"


def test_provider_targets_this_stacks_grafana_with_secret_admin_auth(dev_run, prod_run):
    for r, password, port in ((prod_run, PLACEHOLDERS["grafanaAdminPassword"], 3000), (dev_run, None, 13000)):
        inputs = provider(r).inputs
        assert inputs["url"] == f"http://127.0.0.1:{port}"
        assert is_secret(inputs["auth"])
        user, _, secret = unwrap(inputs["auth"]).partition(":")
        assert user == "admin" and secret
        assert password is None or secret == password
        # The same password the container starts with (from its file), so the provider can log in.
        assert "GF_SECURITY_ADMIN_PASSWORD" not in env(r)
        assert secret_files(r)[env(r)["GF_SECURITY_ADMIN_PASSWORD__FILE"]] == secret


def secret_files(run) -> dict[str, str]:
    return {u["file"]: u["content"] for u in unwrap(grafana_container(run).inputs.get("uploads", []))}


def test_container_is_configured_from_settings(dev_run, prod_run):
    dev, prod = env(dev_run), env(prod_run)
    for e in (dev, prod):
        assert e["GF_USERS_ALLOW_SIGN_UP"] == "false" and e["GF_AUTH_ANONYMOUS_ENABLED"] == "false"
        assert e["GF_SECURITY_ADMIN_USER"] == "admin"
    assert (dev["GF_SERVER_ROOT_URL"], prod["GF_SERVER_ROOT_URL"]) == (
        "https://grafana.localhost:18443", "https://grafana.christmas-trading.com")
    assert (dev["GF_SECURITY_COOKIE_SECURE"], prod["GF_SECURITY_COOKIE_SECURE"]) == ("false", "true")
    assert prod["GF_SMTP_HOST"] == "smtp.christmas-trading.com:587"
    assert prod["GF_SMTP_USER"] == "alertmanager@christmas-trading.com"
    # Passwords are files the environment names (the image's entrypoint reads each *__FILE).
    assert "GF_SMTP_PASSWORD" not in prod
    assert secret_files(prod_run)[prod["GF_SMTP_PASSWORD__FILE"]] == PLACEHOLDERS["smtpPassword"]
    assert set(secret_files(prod_run)) == {prod["GF_SECURITY_ADMIN_PASSWORD__FILE"], prod["GF_SMTP_PASSWORD__FILE"]}
    # Readable by Grafana's uid only.
    uploads = unwrap(grafana_container(prod_run).inputs["uploads"])
    assert {(u["permissions"], u["owner"], u["group"]) for u in uploads} == {("0400", "472", "0")}


def test_container_keeps_its_data_on_a_volume_and_is_health_checked(run):
    inputs = unwrap(grafana_container(run).inputs)
    assert any(v.get("containerPath") == "/var/lib/grafana" and v.get("volumeName") for v in inputs["volumes"])
    assert inputs["healthcheck"]["tests"][-1].endswith(":3000/api/health")
    assert inputs["wait"] is True


def datasources(run: ProgramRun) -> dict[str, dict[str, Any]]:
    return {unwrap(d.inputs)["uid"]: d.inputs for d in run.of_type("grafana:oss/dataSource:DataSource")}


def test_datasources_have_stable_uids_and_point_at_the_stack_services(run):
    ds = {uid: unwrap(inputs) for uid, inputs in datasources(run).items()}
    assert set(ds) == {"prometheus", "alertmanager", "elasticsearch-logs"}
    # Prometheus through the edge's datasource guard (tests/unit/components/test_edge.py).
    assert ds["prometheus"]["url"] == "http://edge:9091" and ds["prometheus"]["isDefault"] is True
    assert json.loads(ds["alertmanager"]["jsonDataEncoded"])["implementation"] == "prometheus"
    logs = ds["elasticsearch-logs"]
    assert logs["url"] == "http://elasticsearch:9200"
    data = json.loads(logs["jsonDataEncoded"])
    assert (data["index"], data["timeField"], data["logLevelField"]) == ("logs-christmas-*", "@timestamp", "level")
    assert logs["basicAuthEnabled"] is True and logs["basicAuthUsername"] == "logs_reader"


def test_elasticsearch_reader_password_is_secret(prod_run):
    secure = datasources(prod_run)["elasticsearch-logs"]["secureJsonDataEncoded"]
    assert is_secret(secure)
    assert json.loads(unwrap(secure)) == {"basicAuthPassword": PLACEHOLDERS["elasticReaderPassword"]}


def test_dashboards_live_in_the_managed_folders(run):
    folders = {unwrap(f.inputs)["uid"] for f in run.of_type("grafana:oss/folder:Folder")}
    assert folders == set(FOLDERS)
    dashboards = {json.loads(unwrap(d.inputs)["configJson"])["uid"]: unwrap(d.inputs)["folder"]
                  for d in run.of_type("grafana:oss/dashboard:Dashboard")}
    assert dashboards == {ref.uid: ref.folder for ref in ALL_DASHBOARDS}




def _one(run: ProgramRun, kind: str) -> DeclaredResource:
    (resource,) = run.of_type(f"grafana:alerting/{kind}")
    return resource


def test_grafanas_slack_contact_point_holds_the_webhook_only_as_a_secret(prod_run):
    point = _one(prod_run, "contactPoint:ContactPoint")
    assert unwrap(point.inputs)["name"] == "slack-notifications"
    assert is_secret(point.inputs["slacks"]), "the webhook URL must stay a secret Output"
    (slack,) = unwrap(point.inputs["slacks"])
    assert (slack["url"], slack["recipient"]) == (PLACEHOLDERS["slackWebhookUrl"], "#alerts")


def test_without_a_slack_webhook_grafana_mails_the_stacks_recipients():
    config, secret_keys = stack_config("dev")
    config.pop("slackWebhookUrl", None)
    point = _one(run_program("dev", config, secret_keys - {"slackWebhookUrl"}), "contactPoint:ContactPoint")
    assert unwrap(point.inputs)["name"] == "email-notifications"
    assert unwrap(point.inputs)["emails"] == [{"addresses": ["dev-alerts@christmas.local"]}]


def test_the_notification_policy_routes_to_the_contact_point_with_the_guides_grouping_and_timers(run):
    policy = unwrap(_one(run, "notificationPolicy:NotificationPolicy").inputs)
    point = _one(run, "contactPoint:ContactPoint")
    assert policy["contactPoint"] == unwrap(point.inputs)["name"]
    assert (policy["groupWait"], policy["groupInterval"], policy["repeatInterval"]) == ("30s", "5m", "4h")
    assert policy["groupBies"][:2] == ["alertname", "job"] and "service" in policy["groupBies"]


def test_two_log_alert_rules_count_the_guides_queries_per_service_in_elasticsearch(run):
    group = _one(run, "ruleGroup:RuleGroup")
    inputs = unwrap(group.inputs)
    rules = {r["name"]: r for r in inputs["rules"]}
    assert set(rules) == {"LogErrorSurge", "SlowRequestsLogged"}
    (folder,) = [f for f in run.of_type("grafana:oss/folder:Folder") if unwrap(f.inputs)["uid"] == "platform"]
    assert inputs["folderUid"] == "platform" and folder.urn in group.dependencies
    queries = {}
    for name, rule in rules.items():
        stages = {d["refId"]: d for d in rule["datas"]}
        assert rule["condition"] == "C" and set(stages) == {"A", "B", "C"}
        query = json.loads(stages["A"]["model"])
        assert stages["A"]["datasourceUid"] == "elasticsearch-logs"
        assert stages["A"]["relativeTimeRange"] == {"from": 300, "to": 0}
        # Counted per service, bucketed in time as Grafana's alerting requires (date_histogram last).
        assert [a["type"] for a in query["bucketAggs"]] == ["terms", "date_histogram"]
        assert query["bucketAggs"][0]["field"] == "service" and query["metrics"] == [{"id": "1", "type": "count"}]
        assert json.loads(stages["B"]["model"])["type"] == "reduce"
        threshold = json.loads(stages["C"]["model"])
        assert threshold["type"] == "threshold" and threshold["expression"] == "B"
        assert stages["B"]["datasourceUid"] == stages["C"]["datasourceUid"] == "__expr__"
        assert rule["noDataState"] == "OK" and rule["labels"]["severity"] == "warning"
        queries[name] = (query["query"], threshold["conditions"][0]["evaluator"])
    assert queries == {"LogErrorSurge": ("level:ERROR OR level:FATAL", {"type": "gt", "params": [50]}),
                       "SlowRequestsLogged": ("message:*latency* AND latency_ms:>500", {"type": "gt", "params": [20]})}


def test_only_the_contact_point_holds_the_webhook(prod_run):
    webhook = PLACEHOLDERS["slackWebhookUrl"]
    holders = [r.name for r in prod_run.resources if r.type.startswith("grafana:")
               and webhook in json.dumps(unwrap(r.inputs))]
    assert holders == ["contact-point-slack"]


def test_prometheus_datasource_declares_type_and_the_deployed_version(run):
    """Grafana 11.6 answers `label_values(<selector>, <label>)` from `/api/v1/label/<label>/values`
    only for type Prometheus at version >= 2.24.0 (@grafana/prometheus `hasLabelsMatchAPISupport`);
    the version declared is the one the stack deploys."""
    ds = unwrap(datasources(run)["prometheus"])
    data = json.loads(ds["jsonDataEncoded"])
    (image,) = [unwrap(i.inputs)["name"] for i in run.of_type("docker:index/remoteImage:RemoteImage")
                if i.name == "prometheus-image"]
    assert data["prometheusType"] == "Prometheus"
    assert image.endswith(f":v{data['prometheusVersion']}"), (image, data)
    assert tuple(int(p) for p in data["prometheusVersion"].split(".")) >= (2, 24, 0)


@pytest.mark.parametrize(("image", "version"), [
    ("prom/prometheus:v3.5.0", "3.5.0"), ("registry.local:5000/prom/prometheus:2.53.4", "2.53.4"),
    ("prom/prometheus:v3.5.0@sha256:" + "a" * 64, "3.5.0"), ("prom/prometheus@sha256:" + "a" * 64, None)])
def test_prometheus_version_follows_an_overridden_image(dev_settings, image, version):
    from dataclasses import replace

    from render.grafana import prometheus_json

    services = {**dev_settings.services, "prometheus": replace(dev_settings.services["prometheus"], image=image)}
    data = prometheus_json(replace(dev_settings, services=services))
    assert data.get("prometheusVersion") == version and data["prometheusType"] == "Prometheus"
