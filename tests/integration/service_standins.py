"""Stand-ins for what cannot run here, answering as the real APIs do for the requests `doctor` makes.

One HTTP server plays:
- cAdvisor and Grafana's /metrics, Fluent Bit's /api/v1/metrics/prometheus (Prometheus scrapes them: targets up);
- Grafana's GET /api/datasources/uid/<uid>/health (basic auth as the admin): like Grafana, it asks the
  datasource's backend (the real loopback Prometheus / Alertmanager; itself for Elasticsearch) and answers
  200 {"status": "OK"} or 400 {"status": "ERROR", "message": ...};
- Elasticsearch (basic auth as `elastic`): _cluster/health, _data_stream/<name>/_stats (maximum_timestamp),
  <stream>/_ilm/explain, _slm/policy/<id>, in the shapes of the 8.x reference;
- Fluent Bit's /api/v1/metrics and /api/v1/storage JSON (reached with curl "inside its container").
Faults are plain attributes a test flips (`log_lag_seconds`, `es_status`, ...).
"""

from __future__ import annotations

import base64
import json
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

FLUENT_BIT_PROMETHEUS = (
    "# HELP fluentbit_uptime Number of seconds that Fluent Bit has been running.\n"
    "# TYPE fluentbit_uptime counter\nfluentbit_uptime{hostname=\"fluent-bit\"} 60\n")
SCRAPE = "# HELP standin_up A stand-in answering the scrape.\n# TYPE standin_up gauge\nstandin_up 1\n"


class ServiceStandIns:
    def __init__(self, port: int, *, grafana_auth: tuple[str, str], elastic_auth: tuple[str, str],
                 datasource_backends: Mapping[str, tuple[str, tuple[str, str] | None]], stream: str,
                 slm_policy: str, containers: Sequence[str] = ()) -> None:
        self.containers = list(containers)
        self.grafana_auth = grafana_auth
        self.elastic_auth = elastic_auth
        self.datasource_backends = dict(datasource_backends)
        self.stream = stream
        self.slm_policy = slm_policy
        # Faults.
        self.es_status = "yellow"
        self.log_lag_seconds = 5.0
        self.ilm_errors: dict[str, Any] = {}
        self.output_retries_failed = 0
        self.snapshot_age_seconds = 3600.0
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, body, kind = standin.answer(self.path, self.headers.get("Authorization", ""))
                data = body.encode() if isinstance(body, str) else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    @staticmethod
    def _authorised(header: str, user_password: tuple[str, str]) -> bool:
        return header == "Basic " + base64.b64encode(":".join(user_password).encode()).decode()

    def answer(self, path: str, auth: str) -> tuple[int, Any, str]:
        text, js = "text/plain; version=0.0.4", "application/json"
        if path == "/metrics":
            return 200, self.scrape(), text
        if path == "/api/v1/metrics/prometheus":
            return 200, FLUENT_BIT_PROMETHEUS, text
        if path == "/api/v1/metrics":
            return 200, self.fluent_bit_metrics(), js
        if path == "/api/v1/storage":
            return 200, self.fluent_bit_storage(), js
        if path.startswith("/api/datasources/uid/"):
            if not self._authorised(auth, self.grafana_auth):
                return 401, {"message": "Unauthorized"}, js
            return self.datasource_health(path.split("/")[4])
        if not self._authorised(auth, self.elastic_auth):
            return 401, {"error": {"type": "security_exception"}, "status": 401}, js
        return self.elasticsearch(path)

    def scrape(self) -> str:
        """cAdvisor's and Grafana's /metrics: cAdvisor's last sighting of each container (name label)."""
        now = time.time()
        seen = "".join(f'container_last_seen{{name="{name}"}} {now:.3f}\n' for name in self.containers)
        return SCRAPE + "# HELP container_last_seen Last time a container was seen by the exporter\n" \
            "# TYPE container_last_seen gauge\n" + seen

    def datasource_health(self, uid: str) -> tuple[int, Any, str]:
        found = self.datasource_backends.get(uid)
        if found is None:
            return 404, {"message": "Data source not found"}, "application/json"
        backend, auth = found
        request = urllib.request.Request(backend)
        if auth is not None:
            request.add_header("Authorization", "Basic " + base64.b64encode(":".join(auth).encode()).decode())
        try:
            with urllib.request.urlopen(request, timeout=3):
                pass
        except (urllib.error.URLError, OSError) as error:
            return 400, {"status": "ERROR", "message": f"Post \"{backend}\": {error}"}, "application/json"
        return 200, {"status": "OK", "message": "Data source is working"}, "application/json"

    def elasticsearch(self, path: str) -> tuple[int, Any, str]:
        js = "application/json"
        now_ms = int(time.time() * 1000)
        if path.startswith("/_cluster/health"):
            return 200, {"cluster_name": "christmas-monitoring-dev-logs", "status": self.es_status,
                         "number_of_nodes": 1, "active_primary_shards": 12, "unassigned_shards": 3}, js
        if path == f"/_data_stream/{self.stream}/_stats":
            newest = now_ms - int(self.log_lag_seconds * 1000)
            return 200, {"_shards": {"total": 2, "successful": 1, "failed": 0}, "data_stream_count": 1,
                         "backing_indices": 1, "total_store_size_bytes": 1 << 20,
                         "data_streams": [{"data_stream": self.stream, "backing_indices": 1,
                                           "store_size_bytes": 1 << 20, "maximum_timestamp": newest}]}, js
        if path.startswith(f"/{self.stream}/_ilm/explain"):
            return 200, {"indices": self.ilm_errors}, js
        if path == f"/_slm/policy/{self.slm_policy}":
            taken = now_ms - int(self.snapshot_age_seconds * 1000)
            return 200, {self.slm_policy: {
                "version": 1, "modified_date_millis": now_ms - 86_400_000,
                "last_success": {"snapshot_name": "logs-christmas-dev-2026.11.28-abc", "start_time": taken - 900,
                                 "time": taken},
                "next_execution_millis": now_ms + 3_600_000, "stats": {"snapshots_taken": 3}}}, js
        return 404, {"error": {"type": "resource_not_found_exception", "reason": path}, "status": 404}, js

    def fluent_bit_metrics(self) -> dict[str, Any]:
        return {"input": {"tail.0": {"records": 1200, "bytes": 240_000, "files_opened": 12}},
                "filter": {},
                "output": {"es.0": {"proc_records": 1200, "proc_bytes": 240_000, "errors": 0, "retries": 2,
                                    "retries_failed": self.output_retries_failed, "dropped_records": 0,
                                    "retried_records": 20}}}

    @staticmethod
    def fluent_bit_storage() -> dict[str, Any]:
        return {"storage_layer": {"chunks": {"total_chunks": 2, "mem_chunks": 0, "fs_chunks": 2,
                                             "fs_chunks_up": 1, "fs_chunks_down": 1}},
                "input_chunks": {"tail.0": {"status": {"overlimit": False, "mem_size": "1.2M", "mem_limit": "0b"},
                                            "chunks": {"total": 2, "up": 1, "down": 1, "busy": 0,
                                                       "busy_size": "0b"}}}}
