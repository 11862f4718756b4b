"""The plan's cost baseline (issue 15): one resource, the same SDK modules the stack imports, the
same mocks harness. `make plan-cost` times it against the full prod plan in one run.

pulumiverse_grafana loads `oss`'s resource modules lazily, on the first attribute read
(pulumi/_utils.py `lazy_import`): reading the classes the stack declares loads the same SDK code
here as in the stack, so the ratio compares the program's own work, not an SDK import."""

from __future__ import annotations

import bcrypt  # noqa: F401  (imported by render/web_config.py)
import pulumi_docker as docker
import pulumi_random  # noqa: F401
import pulumi_tls  # noqa: F401  (the 3-node Elasticsearch's transport certificates)
import pulumiverse_grafana.oss
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

# The Grafana resources the stack declares (components/grafana.py).
GRAFANA_RESOURCES = (pulumiverse_grafana.oss.DataSource, pulumiverse_grafana.oss.Dashboard,
                     pulumiverse_grafana.oss.Folder)

if __name__ == "__main__":
    run_under_mocks(lambda: docker.Network("baseline", name="baseline"), "prod", {})
