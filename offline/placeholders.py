"""Stand-ins for secrets and for what providers compute, in the offline plan and the tests.

Each has the shape its consumer expects and says REDACTED or PLACEHOLDER, so nobody mistakes it for
a real value and no real secret ever enters a run.
"""

from __future__ import annotations

from settings.stand_ins import DEFAULT_PLACEHOLDER as DEFAULT_PLACEHOLDER
from settings.stand_ins import PLACEHOLDERS as PLACEHOLDERS


def generated_placeholder(name: str) -> str:
    """What the mocks answer for a generated password (RandomPassword `name`)."""
    return f"REDACTED-generated-{name}"


def _pem(kind: str, text: str) -> str:
    return f"-----BEGIN {kind}-----\n{text}\n-----END {kind}-----\n"


def tls_placeholders(type_: str, name: str) -> dict[str, str]:
    """What the tls provider computes, as stand-ins of the same PEM shape that say so (never a real key)."""
    kind = type_.rsplit(":", 1)[-1]
    if kind == "PrivateKey":
        return {"privateKeyPem": _pem("RSA PRIVATE KEY", f"REDACTED-private-key-{name}"),
                "privateKeyPemPkcs8": _pem("PRIVATE KEY", f"REDACTED-private-key-{name}"),
                "publicKeyPem": _pem("PUBLIC KEY", f"PLACEHOLDER-public-key-{name}")}
    if kind == "CertRequest":
        return {"certRequestPem": _pem("CERTIFICATE REQUEST", f"PLACEHOLDER-request-{name}")}
    return {"certPem": _pem("CERTIFICATE", f"PLACEHOLDER-certificate-{name}")}
