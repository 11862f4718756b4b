"""The policies of the pack, in the order `pulumi preview` reports them."""

from __future__ import annotations

from pulumi_policy import Policy

from policy.env_secrets import env_secrets
from policy.images import images_pinned
from policy.isolation import isolation
from policy.lifecycle import lifecycle
from policy.ports import ports_on_loopback
from policy.swarm_services import swarm_services
from policy.volumes import volumes_protected
from policy.web_config import web_config

PACK_NAME = "christmas-monitoring"

POLICIES: list[Policy] = [images_pinned, lifecycle, isolation, ports_on_loopback, volumes_protected, env_secrets,
                          web_config, swarm_services]
