"""Rules across settings (and across what a setting means where it lands), each naming the key to
change and a fix that is itself valid. Called once by settings/load.parse_settings.

A rule is skipped when a key it reads is already reported: its value would be the default, not
the operator's, and a second message would repeat (or contradict) the first.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from settings.places import HOST_NETWORK_SERVICES
from settings.problems import Problems

if TYPE_CHECKING:
    from settings.stack import StackSettings


def _host_network_publish(s: StackSettings, problems: Problems) -> None:
    """Docker discards a published port on a host-network container: the setting would do nothing."""
    for service in HOST_NETWORK_SERVICES:
        key = f"publish.{service}"
        if s.services[service].publish is not None and not problems.about(key):
            problems.add(key, f"cannot be published: {service} runs on the host's network, where Docker ignores "
                         "published ports (Prometheus scrapes it on the host's address)",
                         f"pulumi config rm --path {key}")


def check_rules(s: StackSettings, raw: Mapping[str, str], problems: Problems) -> None:
    _host_network_publish(s, problems)
