"""The plan's cost baseline (issue 15): one resource, the same SDK modules the stack imports, the
same mocks harness. `make plan-cost` times it against the full prod plan in one run."""

from __future__ import annotations

import bcrypt  # noqa: F401  (imported by render/web_config.py)
import pulumi_docker as docker
import pulumi_random  # noqa: F401
import pulumiverse_grafana.oss  # noqa: F401  (the Grafana resources the stack declares live here)
import yaml  # noqa: F401
from grafana_foundation_sdk.builders import (  # noqa: F401
    common,
    dashboard,
    elasticsearch,
    logs,
    prometheus,
    stat,
    statetimeline,
    timeseries,
)

from offline.mocks import run_under_mocks

if __name__ == "__main__":
    run_under_mocks(lambda: docker.Network("baseline", name="baseline"), "prod", {})
