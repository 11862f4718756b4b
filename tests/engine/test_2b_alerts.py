"""The guide's HighErrorRate through containers: the deployed dev stack's Prometheus (Debian's 2.42 in the
test image) scrapes an API stand-in answering half its requests with 500 from its first second, and its
Alertmanager (0.25) posts to a Slack stand-in and mails an SMTP stand-in, every hop over the stack's own
Docker networks and Docker's DNS. Measured: seconds from the API's start to each notification, against
the guide's bound (`for` + group_wait + one scrape and one evaluation interval) plus the one scrape
interval `rate()` needs for its second sample.

The stand-ins are Python programs in the test image (not part of the stack): the API on the targets
network as `api:8000` (dev's appTargets), Slack as `slack:8080` on the stack network (the Slack URL file
of the Alertmanager container is the one input changed: the real one is https://hooks.slack.com, out of
reach here), the mail catcher as `mailpit:1025` (dev's smtpSmarthost).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from mixin.guide import GUIDE_PROMETHEUS_GLOBAL, GUIDE_ROUTE, guide_alert
from offline.mocks import unwrap
from tests.engine.conftest import TIMINGS
from tests.engine.daemon import PrivateDaemon
from tests.engine.deploy import Deployment, create_container

SLACK_URL_FILE = "/etc/alertmanager/secrets/slack-api-url"
STAND_INS = ("dev-api-standin", "dev-slack-standin", "dev-mail-standin")

API = """
import http.server, time
START = time.time()
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        n = int((time.time() - START) * 10)  # 10 requests a second, half of them 500
        body = ("# TYPE http_requests_total counter\\n"
                f'http_requests_total{{status="200"}} {n}\\nhttp_requests_total{{status="500"}} {n}\\n').encode()
        self.send_response(200); self.send_header("Content-Type", "text/plain; version=0.0.4"); self.end_headers()
        self.wfile.write(body)
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("0.0.0.0", 8000), H).serve_forever()
"""

SLACK = """
import http.server, json, time
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0))).decode(errors="replace")
        with open("/tmp/received.log", "a") as log:
            log.write(json.dumps({"at": time.time(), "body": body}) + "\\n")
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *a): pass
http.server.ThreadingHTTPServer(("0.0.0.0", 8080), H).serve_forever()
"""

MAIL = """
import asyncio, json, time
async def session(reader, writer):
    writer.write(b"220 mail stand-in\\r\\n"); lines, data = [], False
    while line := await reader.readline():
        if data:
            if line.rstrip(b"\\r\\n") == b".":
                with open("/tmp/received.log", "a") as log:
                    log.write(json.dumps({"at": time.time(), "body": b"".join(lines).decode(errors="replace")}) + "\\n")
                lines, data = [], False; writer.write(b"250 queued\\r\\n")
            else:
                lines.append(line)
        else:
            verb = line[:4].upper()
            if verb == b"EHLO": writer.write(b"250-mail stand-in\\r\\n250 8BITMIME\\r\\n")
            elif verb == b"DATA": data = True; writer.write(b"354 end with .\\r\\n")
            elif verb == b"QUIT": writer.write(b"221 bye\\r\\n"); await writer.drain(); break
            else: writer.write(b"250 ok\\r\\n")
        await writer.drain()
    writer.close()
async def main():
    server = await asyncio.start_server(session, "0.0.0.0", 1025)
    await server.serve_forever()
asyncio.run(main())
"""


def _seconds(duration: str) -> int:
    return int(duration[:-1]) * {"s": 1, "m": 60}[duration[-1]]


def _network(engine: PrivateDaemon, purpose: str) -> str:
    filters = json.dumps({"label": ["com.christmas.monitoring.stack=dev",
                                    f"com.christmas.monitoring.purpose={purpose}"]})
    [network] = engine.client.get("/networks", filters=filters)
    name: str = network["Name"]
    return name


def _stand_in(engine: PrivateDaemon, image: str, name: str, alias: str, network: str, program: str) -> None:
    engine.docker("run", "-d", "--name", name, "--network", network, "--network-alias", alias,
                  "--user", "65534:65534", "--entrypoint", "python3", image, "-c", program)


def _received(engine: PrivateDaemon, name: str) -> list[dict[str, Any]]:
    done = engine.docker("exec", name, "cat", "/tmp/received.log", check=False)
    return [json.loads(line) for line in done.stdout.decode().splitlines() if line.strip()]


def _first(engine: PrivateDaemon, name: str, alert: str) -> float | None:
    """When the first notification naming `alert` as firing arrived, if one has."""
    for message in _received(engine, name):
        if alert in message["body"] and "FIRING" in message["body"].upper():
            at: float = message["at"]
            return at
    return None


@pytest.fixture
def stand_ins(engine: PrivateDaemon) -> Iterator[None]:
    yield
    for name in STAND_INS:
        engine.docker("rm", "-f", name, check=False)


def _alertmanager_posting_to(engine: PrivateDaemon, dev: Deployment, url: str) -> None:
    """Alertmanager replaced as Pulumi replaces it, its Slack URL file the one input changed."""
    [resource] = [c for c in dev.containers() if c.name == "alertmanager-container"]
    inputs = unwrap(resource.inputs)
    inputs["uploads"] = [{**u, "content": url} if u["file"] == SLACK_URL_FILE else u for u in inputs["uploads"]]
    engine.client.request("DELETE", f"/containers/{inputs['name']}", query={"force": "1"})
    assert create_container(engine, inputs).error == ""


def test_high_error_rate_reaches_slack_and_email_within_the_guides_bound(stacks, engine, images, stand_ins):
    dev = stacks["dev"]
    image = next(tag for pinned, tag in images.items() if pinned.startswith("grafana/grafana:"))
    stack_net, targets_net = _network(engine, "internal"), _network(engine, "targets")
    _stand_in(engine, image, "dev-slack-standin", "slack", stack_net, SLACK)
    _stand_in(engine, image, "dev-mail-standin", "mailpit", stack_net, MAIL)
    _alertmanager_posting_to(engine, dev, "http://slack:8080/hook")
    alert = guide_alert("HighErrorRate")
    interval = _seconds(GUIDE_PROMETHEUS_GLOBAL["scrape_interval"])
    evaluation = _seconds(GUIDE_PROMETHEUS_GLOBAL["evaluation_interval"])
    guide_bound = _seconds(alert.for_) + _seconds(GUIDE_ROUTE["group_wait"]) + interval + evaluation
    floor = _seconds(alert.for_) + _seconds(GUIDE_ROUTE["group_wait"])
    start = time.time()
    _stand_in(engine, image, "dev-api-standin", "api", targets_net, API)
    deadline = start + guide_bound + interval + 60
    slack = mail = None
    while time.time() < deadline and (slack is None or mail is None):
        slack = slack or _first(engine, "dev-slack-standin", alert.name)
        mail = mail or _first(engine, "dev-mail-standin", alert.name)
        time.sleep(1)
    assert slack is not None, f"no {alert.name} on Slack within {deadline - start:.0f}s"
    assert mail is not None, f"no {alert.name} by e-mail within {deadline - start:.0f}s"
    to_slack, to_mail = slack - start, mail - start
    TIMINGS.append(f"{alert.name} through containers: Slack {to_slack:.1f}s, e-mail {to_mail:.1f}s "
                   f"(guide's bound {guide_bound}s + {interval}s for rate()'s second sample)")
    print(TIMINGS[-1])
    for seconds in (to_slack, to_mail):
        assert floor <= seconds <= guide_bound + interval
