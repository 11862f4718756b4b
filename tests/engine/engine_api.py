"""A small Docker Engine API client over a unix socket (stdlib only: no dependency to pin).

Every request names its API path as moby's `api/server/router/*` routes do; the harness calls
the same endpoints the docker provider's Go client calls (terraform-provider-docker 4.x uses
`github.com/docker/docker/client`, whose methods are thin wrappers over these routes).
"""

from __future__ import annotations

import http.client
import json
import socket
import urllib.parse
from dataclasses import dataclass
from typing import Any

API_VERSION = "v1.41"  # Docker 20.10 (Debian bookworm's docker.io) serves API 1.41


class EngineError(RuntimeError):
    """A non-2xx answer from the engine, with its status and message."""

    def __init__(self, method: str, path: str, status: int, body: str) -> None:
        super().__init__(f"{method} {path}: HTTP {status}: {body.strip()[:2000]}")
        self.status = status
        self.body = body


class _UnixConnection(http.client.HTTPConnection):
    def __init__(self, socket_path: str, timeout: float) -> None:
        super().__init__("localhost", timeout=timeout)
        self._socket_path = socket_path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(self.timeout)
        sock.connect(self._socket_path)
        self.sock = sock


@dataclass
class Response:
    status: int
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


class Engine:
    """One daemon's API: `engine.get("/containers/json", all="1")`."""

    def __init__(self, socket_path: str, timeout: float = 120.0) -> None:
        self.socket_path = socket_path
        self.timeout = timeout

    def request(
        self,
        method: str,
        path: str,
        body: bytes | dict[str, Any] | list[Any] | None = None,
        content_type: str = "application/json",
        ok: tuple[int, ...] = (),
        timeout: float | None = None,
        query: dict[str, str] | None = None,
    ) -> Response:
        url = f"/{API_VERSION}{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data = json.dumps(body).encode() if isinstance(body, dict | list) else body
        conn = _UnixConnection(self.socket_path, timeout or self.timeout)
        try:
            headers = {"Content-Type": content_type} if data is not None else {}
            conn.request(method, url, body=data, headers=headers)
            reply = conn.getresponse()
            payload = reply.read()
        finally:
            conn.close()
        if reply.status >= 300 and reply.status not in ok:
            raise EngineError(method, path, reply.status, payload.decode(errors="replace"))
        return Response(reply.status, payload)

    def get(self, path: str, **query: str) -> Any:
        return self.request("GET", path, query=query).json()

    def post(self, path: str, body: dict[str, Any] | None = None, **query: str) -> Any:
        return self.request("POST", path, body=body, query=query).json()

    def ping(self) -> bool:
        try:
            return self.request("GET", "/_ping", timeout=2).body == b"OK"
        except (OSError, EngineError, http.client.HTTPException):
            return False

    def stream_lines(
        self, method: str, path: str, body: bytes, content_type: str, **query: str
    ) -> list[dict[str, Any]]:
        """An endpoint answering with JSON messages one per line (build, import, load): raise on an error one."""
        reply = self.request(method, path, body=body, content_type=content_type, timeout=1800, query=query)
        messages = [json.loads(line) for line in reply.body.splitlines() if line.strip()]
        for message in messages:
            if "error" in message:
                raise EngineError(method, path, reply.status, str(message["error"]))
        return messages
