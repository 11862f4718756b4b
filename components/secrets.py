"""Generated passwords for a dev stack: a new developer gets a working stack without setup."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi
import pulumi_random as random

from components.service import TYPE_PREFIX
from settings.model import GENERATABLE_SECRETS, StackSettings


class GeneratedSecrets(pulumi.ComponentResource):
    """A RandomPassword for each generatable secret the stack did not set (result is secret)."""

    def __init__(self, name: str, settings: StackSettings, given: Mapping[str, pulumi.Output[str]],
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(f"{TYPE_PREFIX}:GeneratedSecrets", name, None, opts)
        self.generated: dict[str, pulumi.Output[str]] = {}
        if settings.generate_missing_secrets:
            for key in GENERATABLE_SECRETS:
                if key in given:
                    continue
                password = random.RandomPassword(
                    key, length=32, special=False, opts=pulumi.ResourceOptions(parent=self))
                self.generated[key] = pulumi.Output.secret(password.result)
        self.all: dict[str, pulumi.Output[str]] = {**given, **self.generated}
        self.register_outputs({key: value for key, value in self.generated.items()})
