"""The entrypoint that turns Swarm secret files into environment variables (pure).

For consumers that read a secret only from their environment (Kibana's `${VAR}` in kibana.yml,
Fluent Bit's `${VAR}` in its configuration, postgres-exporter's DATA_SOURCE_NAME): on a Swarm the
value is a Swarm secret, so it is in no service spec; this script exports each named file under
/run/secrets as the variable of the same name and then runs the service's own command. Each value
is read by `cat` into an assignment, which the shell neither splits nor globs: it never parses it.
POSIX sh; shellcheck-clean.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence

LOADER_PATH = "/etc/christmas-monitoring/env-from-secrets.sh"
SECRETS_DIR = "/run/secrets"
_ENV_NAME = re.compile(r"[A-Z_][A-Z0-9_]*")

_TEMPLATE = """#!/bin/sh
# Exports each secret file named below as the environment variable of the same name, then runs the
# service's command (render/swarm_env.py says why).
set -eu
{exports}
exec "$@"
"""


def render_env_loader(names: Sequence[str], secrets_dir: str = SECRETS_DIR) -> str:
    bad = [n for n in names if not _ENV_NAME.fullmatch(n)]
    if bad or not names:
        raise ValueError(f"not environment variable names: {bad or 'none given'}")
    # An assignment does not split or glob what `cat` prints: the value arrives as it is in the file.
    exports = "\n".join(f"{name}=$(cat {shlex.quote(f'{secrets_dir}/{name}')})\nexport {name}" for name in names)
    return _TEMPLATE.format(exports=exports)
