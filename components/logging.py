"""PLACEHOLDER: logging area (issue 5 replaces this module)."""

from __future__ import annotations

import pulumi

from components.context import StackContext
from components.service import TYPE_PREFIX


class Logging(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: StackContext, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:Logging", name, None, opts)
        # Resources Grafana waits for (Elasticsearch healthy, setup done) before its datasources.
        self.ready: list[pulumi.Resource] = []
        self.register_outputs({})
