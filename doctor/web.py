"""HTTP JSON/text requests to the stack's APIs; credentials travel in a header, never in a URL or a message."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class BasicAuth:
    user: str
    password: str

    def __repr__(self) -> str:  # never shown, even in a traceback's locals
        return f"BasicAuth(user={self.user!r}, password=<hidden>)"

    __str__ = __repr__

    def header(self) -> str:
        return "Basic " + base64.b64encode(f"{self.user}:{self.password}".encode()).decode()


class HttpError(Exception):
    """A request that failed: the message names the URL and status only (no credentials, no body secrets)."""


def request(url: str, *, auth: BasicAuth | None = None, data: Any = None, method: str | None = None,
            timeout: float = 10) -> bytes:
    body = None if data is None else json.dumps(data).encode()
    headers = {"Content-Type": "application/json"} if body is not None else {}
    if auth is not None:
        headers["Authorization"] = auth.header()
    req = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as response:
            payload: bytes = response.read()
            return payload
    except urllib.error.HTTPError as error:
        detail = error.read()[:300].decode(errors="replace")
        raise HttpError(f"{url}: HTTP {error.code} {detail}".strip()) from None
    except (urllib.error.URLError, OSError) as error:
        reason = getattr(error, "reason", error)
        raise HttpError(f"{url}: {reason}") from None


def get_json(url: str, *, auth: BasicAuth | None = None, timeout: float = 10) -> Any:
    return json.loads(request(url, auth=auth, timeout=timeout))


def post_json(url: str, data: Any, *, auth: BasicAuth | None = None, timeout: float = 10) -> bytes:
    return request(url, auth=auth, data=data, method="POST", timeout=timeout)


def get_text(url: str, *, auth: BasicAuth | None = None, timeout: float = 10) -> str:
    return request(url, auth=auth, timeout=timeout).decode(errors="replace")
