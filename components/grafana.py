"""PLACEHOLDER: Grafana area (issue 4 replaces this module)."""

from __future__ import annotations

from collections.abc import Sequence

import pulumi

from components.context import StackContext
from components.service import TYPE_PREFIX


class Grafana(pulumi.ComponentResource):
    def __init__(self, name: str, ctx: StackContext, depends_on: Sequence[pulumi.Resource] = (),
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:Grafana", name, None, opts)
        self.register_outputs({})
