"""A renderer never accepts less than the validator: whatever the settings accept for the ACME e-mail
renders into the Caddyfile (a `%` made render/caddy.py raise a traceback; the settings now refuse it)."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from render.caddy import CaddyConfig, Site, render_caddyfile
from settings import grammar_edge as ge
from tests.unit.test_alerting_settings import refused

LOCAL = st.from_regex(r"[A-Za-z0-9_%+-]{1,10}(\.[A-Za-z0-9_%+-]{1,6})?", fullmatch=True)


@settings(max_examples=80, deadline=None)
@given(local=LOCAL, domain=st.sampled_from(["example.com", "christmas-trading.com", "a-b.example.org"]))
def test_every_acme_email_the_settings_accept_renders(local: str, domain: str) -> None:
    address = f"{local}@{domain}"
    if ge.acme_email(address) is None:
        text = render_caddyfile(CaddyConfig(sites=[Site("grafana.example.com", "grafana:3000")], tls="acme",
                                            acme_email=address))
        assert f"email {address}" in text
    else:
        assert "%" in address


def test_a_percent_in_the_acme_email_is_refused_with_a_fix() -> None:
    refused("edge.acmeEmail", "without '%'", "fix: pulumi config set --path edge.acmeEmail ops@example.com",
            edge={"acmeEmail": "ops%team@example.com"})
