"""The guide's own timing, unshortened, on real Prometheus and Alertmanager (minutes: `make test-slow`).

The stack as rendered for dev: scrape and evaluation every 15s, HighErrorRate `for: 1m`, the route's
group_wait 30s (the guide's §4.1.2, §7.2 and §4.4.2). Half the API's requests start failing; the
Slack stand-in must receive HighErrorRate no earlier than `for` + group_wait (90 s) and no later than
a scrape + an evaluation + `for` + group_wait (120 s), plus 2 s for delivery.
"""

from __future__ import annotations

import time

import pytest
import yaml

from mixin.guide import GUIDE_PROMETHEUS_GLOBAL, GUIDE_ROUTE, guide_alert
from tests.integration.notifications import wait_for_slack
from tests.integration.processes import wait_until
from tests.integration.stack import start_stack

pytestmark = [pytest.mark.integration, pytest.mark.slow]
ERRORS = {"method": "GET", "path": "/orders", "status": "503"}


def seconds(duration: str) -> int:
    return int(duration[:-1]) * {"s": 1, "m": 60}[duration[-1]]


@pytest.mark.timeout(420)
def test_high_error_rate_reaches_slack_within_the_guides_time() -> None:
    stack = start_stack(logs="guide-timing", production_timing=True)
    try:
        # The running configuration is the guide's, not a test copy.
        assert stack.alertmanager_config["route"]["group_wait"] == GUIDE_ROUTE["group_wait"] == "30s"
        interval = seconds(GUIDE_PROMETHEUS_GLOBAL["scrape_interval"])
        assert stack.settings.prometheus.scrape_interval == stack.settings.prometheus.evaluation_interval == "15s"
        for_ = seconds(guide_alert("HighErrorRate").for_)
        rules = [r for text in stack.rule_files.values() for g in yaml.safe_load(text)["groups"] for r in g["rules"]]
        assert [r["for"] for r in rules if r.get("alert") == "HighErrorRate"] == ["1m"]
        # The API has answered a 503 before: the series exists (a client library creates it on first use).
        stack.exporter.api.set_rate("http_requests_total", ERRORS, 0)
        wait_until(lambda: stack.query('http_requests_total{job="api",status="503"}'), 3 * interval,
                   "the 503 series scraped")
        started = time.monotonic()
        stack.exporter.api.set_rate("http_requests_total", ERRORS, 60)
        message = wait_for_slack(stack, "HighErrorRate", "FIRING", 2 * interval + for_ + 30 + 60)
        took = message.received.at - started
        print(f"\nHighErrorRate with the guide's timing: {took:.1f}s after the errors began "
              f"(floor {for_ + 30}s, bound {2 * interval + for_ + 30}s)")
        assert for_ + 30 <= took <= 2 * interval + for_ + 30 + 2
    finally:
        stack.stop()
