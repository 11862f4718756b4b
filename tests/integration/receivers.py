"""Stand-ins for the notification channels: a Slack incoming webhook and an SMTP server, both recording."""

from __future__ import annotations

import email
import email.policy
import json
import threading
import time
from dataclasses import dataclass
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass(frozen=True)
class Received:
    at: float  # time.monotonic() on arrival
    path: str
    body: dict[str, Any]

    @property
    def attachment(self) -> dict[str, Any]:
        """The one Slack attachment Alertmanager posts per notification."""
        attachments: list[dict[str, Any]] = self.body.get("attachments") or []
        assert len(attachments) == 1, self.body
        return attachments[0]


class WebhookRecorder:
    """Records every JSON POST (Slack webhook on /slack, heartbeat on /heartbeat); answers like Slack: 200 "ok"."""

    def __init__(self, port: int) -> None:
        self.received: list[Received] = []
        self.lock = threading.Lock()
        # A test sets 500 to play a broken receiver (the request is still recorded).
        self.status = 200
        recorder = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                with recorder.lock:
                    recorder.received.append(Received(time.monotonic(), self.path, body))
                body = b"ok" if recorder.status == 200 else b"internal_error"
                self.send_response(recorder.status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{path}"

    def on(self, path: str) -> list[Received]:
        with self.lock:
            return [r for r in self.received if r.path == path]

    def start(self) -> None:
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass(frozen=True)
class Mail:
    at: float
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])


class _Recorder:
    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.lock = threading.Lock()

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        raw = envelope.original_content or b""
        message = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.lock:
            self.mails.append(Mail(time.monotonic(), str(envelope.mail_from),
                                   tuple(str(r) for r in envelope.rcpt_tos), message))
        return "250 Message accepted for delivery"


class SmtpRecorder:
    """An SMTP server on loopback (no TLS, no auth: the dev stack's `smtpRequireTls: false`)."""

    def __init__(self, port: int) -> None:
        self.handler = _Recorder()
        self.port = port
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=port)

    @property
    def mails(self) -> list[Mail]:
        with self.handler.lock:
            return list(self.handler.mails)

    def start(self) -> None:
        self.controller.start()

    def stop(self) -> None:
        self.controller.stop()
