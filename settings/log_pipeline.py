"""The log pipeline's fixed values and names, read by its renderers (render/fluent_bit.py,
render/elasticsearch*.py) and by the rules about it (mixin/alerts*.py) alike."""

from __future__ import annotations

import re

from settings.stack import StackSettings

# Retries of one chunk: waits drawn from [SCHEDULER_BASE, min(SCHEDULER_CAP, base * 2^n)] s
# (src/flb_scheduler.c, backoff_full_jitter), so about 2.5 minutes each once capped: 96 retries
# ride out an Elasticsearch outage of about 4 hours. Then the chunk is dropped and counted
# (retries_failed, dropped_records): the alerts see it. `no_limits` would never count anything.
RETRY_LIMIT = 96
SCHEDULER_BASE = 5
SCHEDULER_CAP = 300

# One name for the template, the lifecycle policy and Kibana's data view; the data streams are
# `<LOGS_NAME>-<stack>`.
LOGS_NAME = "logs-christmas"
# A cluster has three nodes (logging.elasticsearchNodes: 1 or 3).
NODE_COUNT = 3


def data_stream_name(s: StackSettings) -> str:
    return f"{LOGS_NAME}-{s.stack}"


def backing_index_regex(s: StackSettings) -> str:
    """The backing indices of the stack's data stream (.ds-<stream>-<date>-<generation>): a regex (RE2)."""
    return re.escape(f".ds-{data_stream_name(s)}-") + ".+"


def is_cluster(s: StackSettings) -> bool:
    return s.logging.elasticsearch_nodes == NODE_COUNT


def node_services() -> list[str]:
    """The Swarm services (and node names) of the cluster: elasticsearch-1 .. elasticsearch-3."""
    return [f"elasticsearch-{i}" for i in range(1, NODE_COUNT + 1)]
