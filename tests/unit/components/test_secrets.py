"""The generated passwords (components/secrets.py) under mocks: which secrets a stack generates, how strong
they are, and that a secret the operator set is used as set."""

from __future__ import annotations

import pulumi

from components.secrets import GeneratedSecrets
from offline.mocks import run_under_mocks, unwrap
from settings.model import GENERATABLE_SECRETS, SECRETS
from tests.conftest import stack_settings
from tests.unit.components.program import env, secret_uploads

PASSWORD = "random:index/randomPassword:RandomPassword"
SPECS = {spec.key: spec for spec in SECRETS}


def test_dev_generates_every_password_it_was_not_given_under_its_secrets_component(dev_run):
    passwords = {p.name: p for p in dev_run.of_type(PASSWORD)}
    # Pulumi.dev.yaml sets none of them: a new developer's `pulumi up` works without `pulumi config set`.
    assert set(passwords) == set(GENERATABLE_SECRETS) == {
        "grafanaAdminPassword", "elasticPassword", "kibanaSystemPassword", "elasticReaderPassword",
        "elasticWriterPassword", "kibanaEncryptionKey", "prometheusPassword", "alertmanagerPassword",
        "kibanaOperatorPassword"}
    [component] = dev_run.of_type("christmas:monitoring:GeneratedSecrets")
    assert {p.parent for p in passwords.values()} == {component.urn}


def test_each_generated_password_passes_the_check_a_set_one_must_pass(dev_run):
    for password in dev_run.of_type(PASSWORD):
        inputs = unwrap(password.inputs)
        spec = SPECS[password.name]
        # 32 letters and digits: no character a consumer would read as syntax (a DSN, a YAML file,
        # Kibana's ${...}); long enough for Kibana's 32-character encryption key; short enough for bcrypt.
        assert inputs == {"length": 32, "special": False}, password.name
        assert spec.min_length <= inputs["length"] <= 72, password.name
        assert spec.check("A" * inputs["length"]) is None, password.name


def _generated(settings_stack: str, given: dict[str, str]) -> tuple[list[str], dict[str, tuple[object, bool]]]:
    """The RandomPasswords declared and every secret the component hands the stack (exported to read them)."""
    settings = stack_settings(settings_stack)

    def body() -> None:
        secrets = GeneratedSecrets("secrets", settings, {k: pulumi.Output.secret(v) for k, v in given.items()})
        for key, value in secrets.all.items():
            pulumi.export(key, value)

    run = run_under_mocks(body, stack=settings_stack)
    return [p.name for p in run.of_type(PASSWORD)], run.exports


def test_a_password_the_operator_set_is_used_as_set_and_never_generated():
    names, secrets = _generated("dev", {"elasticPassword": "set-by-the-operator-1"})
    assert "elasticPassword" not in names and len(names) == len(GENERATABLE_SECRETS) - 1
    assert secrets["elasticPassword"] == ("set-by-the-operator-1", True)
    # Every secret the stack reads, set or generated, is a secret Output.
    assert set(secrets) == set(GENERATABLE_SECRETS) and all(secret for _value, secret in secrets.values())


def test_a_stack_that_does_not_generate_secrets_generates_none_even_when_one_is_missing():
    # prod: a missing password is the operator's to set (settings refuse the stack first; the component
    # itself never fills one in).
    names, secrets = _generated("prod", {})
    assert names == [] and secrets == {}


def test_the_password_dev_exports_is_the_one_the_service_reads(dev_run):
    # `pulumi stack output grafanaAdminPassword --show-secrets` (README) is how a developer logs in.
    value, secret = dev_run.exports["grafanaAdminPassword"]
    assert secret and value in dev_run.generated_secret_values
    admin_file = env(dev_run, "grafana")["GF_SECURITY_ADMIN_PASSWORD__FILE"]
    assert secret_uploads(dev_run, "grafana")[admin_file]["content"] == value
