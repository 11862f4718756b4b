"""The setup jobs' scripts, run for real (dash and curl) against a recording stand-in for Elasticsearch and Kibana.

The stand-in answers like the real APIs on the paths the scripts use and records every request,
so these tests show what the jobs send, in which order, with which credentials, that a second
run sends the same requests, and that an error reply fails the job.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from render import backups as bk
from render import elastic_setup as setup
from render import elasticsearch, kibana
from tests.shell import POSIX_SH, assert_script_passes

# Quotes, a backslash, a dollar, a colon, a here-document end marker and template braces: passwords
# that would break naive shell, curl-config or JSON quoting, or end a here-document early.
ELASTIC = 'el"as\\tic$HOME:pw`x` {{ .x }}'
KIBANA_SYSTEM = "kibana-system-pw-123 CHRISTMAS_SETUP_EOF"
WRITER = "writer 'pw' $1 \"q\" $(id)"
READER = "reader-pw-1234567\\"
OPERATOR = "operator 'pw' \\ $x"


@dataclass
class Request:
    method: str
    path: str
    user: str
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class StandIn:
    url: str
    requests: list[Request] = field(default_factory=list)
    data_stream_exists: bool = False
    fail_path: str | None = None
    import_success: bool = True


@pytest.fixture
def stand_in() -> Iterator[StandIn]:
    state = StandIn(url="")

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            pass

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            auth = self.headers.get("Authorization", "")
            user = base64.b64decode(auth.removeprefix("Basic ")).decode() if auth.startswith("Basic ") else ""
            state.requests.append(Request(self.command, self.path, user, body, dict(self.headers)))
            status, reply = 200, dict[str, Any](acknowledged=True)
            if user != f"elastic:{ELASTIC}":
                status, reply = 401, {"error": "unauthorized"}
            elif self.path.startswith("/_data_stream/") and not state.data_stream_exists:
                status, reply = 404, {"error": "no such data stream"}
            elif state.fail_path and self.path.startswith(state.fail_path):
                status, reply = 400, {"error": {"type": "mapper_parsing_exception"}}
            elif self.path.startswith("/api/saved_objects/_import"):
                reply = {"successCount": 6, "success": state.import_success}
            payload = json.dumps(reply, separators=(",", ":")).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_PUT = do_POST = _handle  # noqa: N815 (http.server's method names)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def write_secrets(files: dict[str, str], directory: Path) -> None:
    """What the uploads do in the container: each secret file, mode 0400."""
    directory.mkdir(exist_ok=True)
    for name, content in files.items():
        (directory / name).write_text(content)
        (directory / name).chmod(0o400)


def run_script(script: str, stand_in: StandIn, tmp_path: Path, files: dict[str, str] | None = None,
               **env: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "setup.sh"
    path.write_text(script)
    default = setup.elastic_setup_files(ELASTIC, KIBANA_SYSTEM, WRITER, READER, OPERATOR)
    write_secrets(default if files is None else files, tmp_path / "secrets")
    environment = {**os.environ, "ES_URL": stand_in.url, "KIBANA_URL": stand_in.url,
                   "SETUP_WAIT_TRIES": "3", "SETUP_WAIT_DELAY": "0",
                   "SETUP_SECRETS_DIR": str(tmp_path / "secrets"), **env}
    return subprocess.run(["sh", str(path)], env=environment, capture_output=True, text=True, timeout=60,
                          check=False)


def elastic_script(settings) -> str:
    return setup.render_elastic_setup_script(settings)


def kibana_script(settings) -> str:
    return setup.render_kibana_setup_script(settings)


@pytest.mark.parametrize("tool", POSIX_SH)
def test_scripts_are_valid_posix_sh(dev_settings, tmp_path, tool):
    for script in (elastic_script(dev_settings), kibana_script(dev_settings)):
        assert_script_passes(tool, script, tmp_path)


def test_elastic_setup_sends_each_object_in_order_as_the_superuser(dev_settings, stand_in, tmp_path):
    result = run_script(elastic_script(dev_settings), stand_in, tmp_path)
    assert result.returncode == 0, result.stderr
    calls = [(r.method, r.path.split("?")[0]) for r in stand_in.requests]
    assert calls == [
        ("GET", "/_cluster/health"),
        ("POST", "/_security/user/kibana_system/_password"),
        ("PUT", f"/_security/role/{elasticsearch.WRITER_ROLE}"),
        ("PUT", f"/_security/role/{elasticsearch.READER_ROLE}"),
        ("PUT", "/_security/user/fluent_bit_writer"),
        ("PUT", "/_security/user/logs_reader"),
        ("PUT", "/_security/user/kibana_operator"),
        ("PUT", "/_ilm/policy/logs-christmas"),
        ("PUT", "/_index_template/logs-christmas"),
        ("PUT", f"/_snapshot/{bk.ES_REPOSITORY}"),
        ("PUT", f"/_slm/policy/{bk.SLM_POLICY}"),
        ("GET", "/_data_stream/logs-christmas-dev"),
    ]
    assert all(r.user == f"elastic:{ELASTIC}" for r in stand_in.requests)
    bodies = {r.path: r for r in stand_in.requests}
    # Passwords with quotes, backslashes and dollars arrive intact (quoted here-documents, JSON escaping).
    assert bodies["/_security/user/kibana_system/_password"].json() == {"password": KIBANA_SYSTEM}
    assert bodies["/_security/user/fluent_bit_writer"].json()["password"] == WRITER
    assert bodies["/_security/user/logs_reader"].json()["password"] == READER
    operator = bodies["/_security/user/kibana_operator"].json()
    assert operator["password"] == OPERATOR and operator["roles"] == [elasticsearch.OPERATOR_ROLE]
    assert bodies["/_ilm/policy/logs-christmas"].json() == elasticsearch.ilm_policy(dev_settings)
    assert bodies["/_index_template/logs-christmas"].json() == elasticsearch.index_template(dev_settings)
    assert bodies["/_index_template/logs-christmas"].headers["Content-Type"] == "application/json"
    assert bodies[f"/_snapshot/{bk.ES_REPOSITORY}"].json() == bk.snapshot_repository(dev_settings)
    assert bodies[f"/_slm/policy/{bk.SLM_POLICY}"].json() == bk.slm_policy(dev_settings)


def test_the_scripts_hold_no_secret_and_the_secret_files_are_gone_after_the_run(dev_settings, stand_in,
                                                                                 tmp_path):
    script = elastic_script(dev_settings)
    files = setup.elastic_setup_files(ELASTIC, KIBANA_SYSTEM, WRITER, READER, OPERATOR)
    for password in (ELASTIC, KIBANA_SYSTEM, WRITER, READER, OPERATOR):
        # (each arrives intact from its file: test_elastic_setup_sends_each_object_in_order...)
        assert password not in script and password not in kibana_script(dev_settings)
    # The names the component uploads are exactly the files the script reads and removes.
    assert tuple(files) == setup.ELASTIC_SETUP_FILES
    assert tuple(setup.kibana_setup_files(ELASTIC)) == setup.KIBANA_SETUP_FILES
    assert run_script(script, stand_in, tmp_path).returncode == 0
    assert list((tmp_path / "secrets").iterdir()) == []


def test_the_secret_files_are_removed_when_the_job_fails_too(dev_settings, stand_in, tmp_path):
    result = run_script(elastic_script(dev_settings), stand_in, tmp_path, ES_URL="http://127.0.0.1:9")
    assert result.returncode != 0
    assert list((tmp_path / "secrets").iterdir()) == []


def test_a_second_run_sends_the_same_requests_and_rolls_an_existing_stream_over(dev_settings, stand_in, tmp_path):
    script = elastic_script(dev_settings)
    assert run_script(script, stand_in, tmp_path).returncode == 0
    first = [(r.method, r.path, r.body) for r in stand_in.requests]
    stand_in.requests.clear()
    stand_in.data_stream_exists = True
    result = run_script(script, stand_in, tmp_path)
    assert result.returncode == 0, result.stderr
    second = [(r.method, r.path, r.body) for r in stand_in.requests]
    assert second[: len(first)] == first
    # With the stream there, it takes the (possibly new) template at its next write.
    assert second[len(first):] == [("POST", "/logs-christmas-dev/_rollover?lazy=true", b"")]


def test_an_error_reply_fails_the_job_with_the_reply(dev_settings, stand_in, tmp_path):
    stand_in.fail_path = "/_index_template/"
    result = run_script(elastic_script(dev_settings), stand_in, tmp_path)
    assert result.returncode != 0
    assert "mapper_parsing_exception" in result.stdout + result.stderr


def test_the_job_gives_up_when_elasticsearch_never_answers(dev_settings, stand_in, tmp_path):
    result = run_script(elastic_script(dev_settings), stand_in, tmp_path, ES_URL="http://127.0.0.1:9")
    assert result.returncode != 0
    assert "Elasticsearch is not ready after 3 tries" in result.stderr


def test_kibana_setup_imports_the_saved_objects_with_overwrite(dev_settings, stand_in, tmp_path):
    result = run_script(kibana_script(dev_settings), stand_in, tmp_path, setup.kibana_setup_files(ELASTIC))
    assert result.returncode == 0, result.stderr
    status, role, upload = stand_in.requests
    assert status.path == "/api/status"
    assert (role.method, role.path) == ("PUT", f"/api/security/role/{elasticsearch.OPERATOR_ROLE}")
    assert role.headers["kbn-xsrf"] == "true" and role.json() == kibana.operator_role()
    assert upload.method == "POST" and upload.path == "/api/saved_objects/_import?overwrite=true"
    assert upload.headers["kbn-xsrf"] == "true"
    assert 'filename="christmas-logs.ndjson"' in upload.body.decode()
    assert kibana.render_saved_objects_ndjson(dev_settings) in upload.body.decode()


def test_kibana_setup_fails_when_an_object_is_refused(dev_settings, stand_in, tmp_path):
    stand_in.import_success = False
    result = run_script(kibana_script(dev_settings), stand_in, tmp_path, setup.kibana_setup_files(ELASTIC))
    assert result.returncode != 0
    assert "Kibana refused some saved objects" in result.stderr
