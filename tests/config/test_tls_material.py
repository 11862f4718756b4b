"""The edge's own certificate and key (`edge.tls: files`) parsed as Caddy parses them: every pair the
settings refuse is one Caddy refuses or every browser would, and the pairs they accept Caddy loads.

Certificates are made here with the `cryptography` package: a CA, an intermediate and leaves with
chosen names, dates and keys.
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from render.caddy import CaddyConfig
from settings import material
from settings.model import PROJECT, SettingsError, parse_settings
from tests.config.test_caddy import SITES, validate
from tests.conftest import stack_config

NOW = datetime.datetime.now(datetime.UTC)
HOSTS = ["grafana.christmas-trading.com", "kibana.christmas-trading.com"]  # what the prod edge serves
Key = ec.EllipticCurvePrivateKey


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def certificate(subject: str, key: Key, issuer: tuple[str, Key] | None = None, names: list[str] | None = None,
                days: tuple[int, int] = (-1, 90), ca: bool = False) -> x509.Certificate:
    issuer_name, issuer_key = issuer or (subject, key)
    builder = (x509.CertificateBuilder().subject_name(_name(subject)).issuer_name(_name(issuer_name))
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(NOW + datetime.timedelta(days=days[0]))
               .not_valid_after(NOW + datetime.timedelta(days=days[1]))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if names:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def pem(*certs: x509.Certificate) -> str:
    return "".join(c.public_bytes(serialization.Encoding.PEM).decode() for c in certs)


def key_pem(key: Key, password: bytes | None = None) -> str:
    encryption = serialization.BestAvailableEncryption(password) if password else serialization.NoEncryption()
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption).decode()


@pytest.fixture(scope="module")
def pki() -> dict[str, object]:
    root_key, inter_key, leaf_key, other_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(4))
    root = certificate("Christmas Test Root", root_key, ca=True, days=(-10, 3650))
    inter = certificate("Christmas Test Intermediate", inter_key, ("Christmas Test Root", root_key), ca=True,
                        days=(-10, 1000))
    issuer = ("Christmas Test Intermediate", inter_key)

    def leaf(names: list[str] = HOSTS, days: tuple[int, int] = (-1, 90)) -> x509.Certificate:
        return certificate(HOSTS[0], leaf_key, issuer, names, days)

    return {"root": root, "inter": inter, "leaf": leaf, "leaf_key": leaf_key, "other_key": other_key}


def problems(certificate_pem: str, private_key_pem: str) -> str:
    config, secret_keys = stack_config("prod")
    config["edge"] = json.dumps({**json.loads(config.get("edge", "{}")), "tls": "files"})
    given = {"tlsCertificate": certificate_pem, "tlsKey": private_key_pem}
    try:
        parse_settings(PROJECT, "prod", {**config, **given}, frozenset(secret_keys | set(given)))
    except SettingsError as error:
        return str(error)
    return ""


def test_a_full_chain_for_the_edges_hosts_is_accepted(pki) -> None:
    assert problems(pem(pki["leaf"](), pki["inter"]), key_pem(pki["leaf_key"])) == ""


def test_a_wildcard_covers_one_label(pki) -> None:
    assert problems(pem(pki["leaf"](["*.christmas-trading.com"]), pki["inter"]), key_pem(pki["leaf_key"])) == ""
    assert not material.covers(["*.christmas-trading.com"], "a.b.christmas-trading.com")
    assert not material.covers(["*.christmas-trading.com"], "christmas-trading.com")


@pytest.mark.parametrize(("case", "key", "fragment"), [
    ("another key", "tlsKey", "does not belong to the first certificate"),
    ("encrypted key", "tlsKey", "is encrypted"),
    ("expired", "tlsCertificate", "expired on"),
    ("expiring within the alert window", "tlsCertificate", "within CertificateExpiringSoon's 14 days"),
    ("not yet valid", "tlsCertificate", "is not valid before"),
    ("missing a host", "tlsCertificate", "does not name kibana.christmas-trading.com"),
    ("no subjectAltName", "tlsCertificate", "no subjectAltName"),
    ("chain out of order", "tlsCertificate", "is out of order"),
    ("not X.509", "tlsCertificate", "is not a PEM certificate chain that parses"),
    ("key not PEM", "tlsKey", "is not a PEM private key that parses"),
])
def test_each_broken_pair_is_refused_naming_its_key_once(pki, case: str, key: str, fragment: str) -> None:
    leaf, inter, leaf_key = pki["leaf"], pki["inter"], key_pem(pki["leaf_key"])
    certificate_pem, private_key_pem = {
        "another key": (pem(leaf(), inter), key_pem(pki["other_key"])),
        "encrypted key": (pem(leaf(), inter), key_pem(pki["leaf_key"], b"passphrase")),
        "expired": (pem(leaf(days=(-100, -1)), inter), leaf_key),
        "expiring within the alert window": (pem(leaf(days=(-80, 5)), inter), leaf_key),
        "not yet valid": (pem(leaf(days=(3, 90)), inter), leaf_key),
        "missing a host": (pem(leaf([HOSTS[0]]), inter), leaf_key),
        "no subjectAltName": (pem(leaf([]), inter), leaf_key),
        "chain out of order": (pem(inter, leaf()), leaf_key),
        "not X.509": ("-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n", leaf_key),
        "key not PEM": (pem(leaf(), inter), "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n"),
    }[case]
    message = problems(certificate_pem, private_key_pem)
    lines = [line for line in message.splitlines() if line.startswith("  - ")]
    assert len(lines) == 1 and lines[0].startswith(f"  - {key}: ") and fragment in lines[0], message
    assert f"fix: pulumi config set --secret {key} < " in message
    assert "PRIVATE KEY" not in message


def _write(tmp_path: Path, certificate_pem: str, private_key_pem: str) -> Path:
    tls_dir = tmp_path / "tls"
    tls_dir.mkdir()
    (tls_dir / "cert.pem").write_text(certificate_pem)
    (tls_dir / "key.pem").write_text(private_key_pem)
    return tls_dir


def test_caddy_loads_the_pair_the_settings_accept(pki, tmp_path: Path) -> None:
    tls_dir = _write(tmp_path, pem(pki["leaf"](), pki["inter"]), key_pem(pki["leaf_key"]))
    assert validate(CaddyConfig(sites=SITES, tls="files", tls_dir=str(tls_dir)), tmp_path).returncode == 0


@pytest.mark.parametrize("case", ["another key", "encrypted key"])
def test_caddy_refuses_the_keys_the_settings_refuse(pki, tmp_path: Path, case: str) -> None:
    key = key_pem(pki["other_key"]) if case == "another key" else key_pem(pki["leaf_key"], b"passphrase")
    tls_dir = _write(tmp_path, pem(pki["leaf"](), pki["inter"]), key)
    result = validate(CaddyConfig(sites=SITES, tls="files", tls_dir=str(tls_dir)), tmp_path)
    assert result.returncode != 0, result.stdout
