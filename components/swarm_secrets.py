"""Secrets on a Swarm as files: the helpers components use to give a service its passwords.

On one host a password reaches a container as a secret environment variable; on a Swarm it is a
`docker.Secret` under /run/secrets (components/swarm_service.py turns secret uploads into them).
A consumer that reads `<NAME>_FILE` gets the file name (`file_secrets`); one that reads only its
environment starts through the loader of render/swarm_env.py (`secret_env_fields`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from components.context import StackContext
from components.service import Upload
from render.swarm_env import LOADER_PATH, SECRETS_DIR, render_env_loader

# ENTRYPOINT + CMD of the images whose own command the env loader runs (a Swarm entrypoint replaces the
# image's): docker-library/repo-info repos/kibana/remote/8.18.2.md; postgres_exporter v0.17.1 Dockerfile.
IMAGE_COMMANDS: dict[str, list[str]] = {
    "kibana": ["/bin/tini", "--", "/usr/local/bin/kibana-docker"],
    "postgres-exporter": ["/bin/postgres_exporter"],
}


@dataclass(frozen=True)
class SecretEnv:
    """What a service needs to get secrets as environment variables from Swarm secret files."""

    uploads: list[Upload]
    entrypoint: list[str]
    command: list[str]


def env_from_secrets(values: Mapping[str, pulumi.Output[str]], command: Sequence[str]) -> SecretEnv:
    """Each value a Swarm secret at /run/secrets/<NAME>, exported as NAME by the loader before `command`."""
    uploads = [Upload(f"{SECRETS_DIR}/{name}", value, secret=True) for name, value in values.items()]
    uploads.append(Upload(LOADER_PATH, render_env_loader(list(values))))
    return SecretEnv(uploads=uploads, entrypoint=["/bin/sh", LOADER_PATH], command=list(command))


def secret_env_fields(ctx: StackContext, secrets: Mapping[str, pulumi.Output[str]], *, uploads: Sequence[Upload] = (),
                      command: Sequence[str] | None = None, image_command: Sequence[str] = ()
                      ) -> tuple[dict[str, Any], list[str] | None]:
    """ServiceArgs fields (envs, uploads, command) and the entrypoint for a service that reads secrets from
    its environment: on one host a secret environment; on a Swarm, Swarm secrets exported by the loader,
    which then runs `image_command` + `command` (the image's own entrypoint and command)."""
    if not ctx.settings.swarm:
        return {"envs": ctx.secret_envs([], secrets), "uploads": list(uploads), "command": command}, None
    loader = env_from_secrets(secrets, [*image_command, *(command or [])])
    return {"envs": None, "uploads": [*uploads, *loader.uploads], "command": loader.command}, loader.entrypoint


def file_secrets(values: Mapping[str, pulumi.Output[str]], suffix: str) -> tuple[list[str], list[Upload]]:
    """For a consumer that reads `<NAME><suffix>=<file>` (Grafana `__FILE`, Elasticsearch `_FILE`): the
    environment entries naming the files, and the secret uploads (Swarm secrets) behind them."""
    env = [f"{name}{suffix}={SECRETS_DIR}/{name}" for name in values]
    uploads = [Upload(f"{SECRETS_DIR}/{name}", value, secret=True) for name, value in values.items()]
    return env, uploads
