"""The log pipeline: Elasticsearch health, the data stream's newest document, ILM errors, Fluent Bit's output.

Elasticsearch APIs (8.x reference): GET _cluster/health, GET _data_stream/<name>/_stats
(`maximum_timestamp`, epoch millis), GET <target>/_ilm/explain?only_errors=true.
Fluent Bit (3.2) HTTP server: GET /api/v1/metrics (per output: retries, retries_failed, errors)
and GET /api/v1/storage (per input: status.overlimit; chunks up/down), with storage.metrics On.
"""

from __future__ import annotations

import json
import time

from doctor.report import Result, skipped, verdict
from doctor.stack import Target
from render import fluent_bit
from settings import log_pipeline as logs

# Every container of the stack logs; a stream with nothing newer than this has stopped receiving.
MAX_LOG_AGE_SECONDS = 15 * 60


def check_elasticsearch_health(t: Target) -> list[Result]:
    health = t.elastic("/_cluster/health")
    status = health.get("status")
    # One node: replicas stay unassigned (yellow), which is expected; red = a primary shard is missing.
    return [verdict("Elasticsearch cluster health", status in ("green", "yellow"),
                    f"{status}, {health.get('active_primary_shards')} primary shards, "
                    f"{health.get('unassigned_shards')} unassigned",
                    "red: check disk space (_cat/allocation) and the container's logs",
                    t.link("operations.md", "5-elasticsearch-health-and-logs"))]


def check_log_freshness(t: Target) -> list[Result]:
    stream = logs.data_stream_name(t.settings)
    stats = t.elastic(f"/_data_stream/{stream}/_stats")
    rows = [d for d in stats.get("data_streams", []) if d.get("data_stream") == stream]
    link = t.link("operations.md", "5-elasticsearch-health-and-logs")
    fix = "check Fluent Bit (its health, output retries) and the writer user; see FluentBitOutputRetriesFailing"
    if not rows:
        return [verdict("newest log document", False, f"data stream {stream} does not exist", fix, link)]
    age = time.time() - rows[0]["maximum_timestamp"] / 1000
    return [verdict("newest log document", age <= MAX_LOG_AGE_SECONDS,
                    f"{stream}: newest document {age:.0f}s old (limit {MAX_LOG_AGE_SECONDS}s)", fix, link)]


def check_ilm(t: Target) -> list[Result]:
    stream = logs.data_stream_name(t.settings)
    explain = t.elastic(f"/{stream}/_ilm/explain?only_errors=true")
    errors = [f"{name}: {info.get('step')} {(info.get('step_info') or {}).get('reason', '')}".strip()
              for name, info in (explain.get("indices") or {}).items()]
    return [verdict("index lifecycle (ILM)", not errors,
                    "; ".join(errors) or f"no ILM error on {stream}'s backing indices",
                    "fix the cause in step_info, then POST <index>/_ilm/retry",
                    t.link("operations.md", "5-elasticsearch-health-and-logs"))]


def _fluent_bit_api(t: Target, path: str) -> dict[str, object] | None:
    container = t.container("fluent-bit")
    if container is None or container.state != "running":
        return None
    # Port 2020 is not published: ask from inside the container (its -debug image has curl).
    result = t.docker.exec(container.id, ["curl", "-fsS", "--max-time", "5", f"http://localhost:{fluent_bit.HTTP_PORT}{path}"])
    if result.exit_code != 0:
        raise RuntimeError(f"Fluent Bit {path}: {result.output.strip()[:200]}")
    found: dict[str, object] = json.loads(result.output)
    return found


def check_fluent_bit(t: Target) -> list[Result]:
    link = t.link("runbook.md", "fluentbitoutputretriesfailing")
    metrics = _fluent_bit_api(t, "/api/v1/metrics")
    storage = _fluent_bit_api(t, "/api/v1/storage")
    if metrics is None or storage is None:
        return [skipped("Fluent Bit output and buffer", "Fluent Bit is not running")]
    outputs: dict[str, dict[str, int]] = metrics.get("output", {})  # type: ignore[assignment]
    lost = {name: o.get("retries_failed", 0) + o.get("dropped_records", 0) for name, o in outputs.items()}
    retries = sum(o.get("retries", 0) for o in outputs.values())
    inputs: dict[str, dict[str, dict[str, object]]] = storage.get("input_chunks", {})  # type: ignore[assignment]
    full = [name for name, i in inputs.items() if i.get("status", {}).get("overlimit")]
    chunks = storage.get("storage_layer", {}).get("chunks", {})  # type: ignore[attr-defined]
    ok = not any(lost.values()) and not full
    saw = (f"retries {retries}, failed retries / dropped {sum(lost.values())}; "
           f"buffer {chunks.get('fs_chunks', '?')} chunks on disk" + (f"; over its limit: {full}" if full else ""))
    return [verdict("Fluent Bit output and buffer", ok, saw,
                    "Elasticsearch unreachable or refusing the writer: check its health and Fluent Bit's logs", link)]
