"""A market session across midnight (22:00-06:00 UTC) is accepted and its alerts keep to it: promtool
runs NoTradingSignals for a silent engine at night (inside, fires) and at noon (outside, silent)."""

from __future__ import annotations

from pathlib import Path

from mixin import rules as rec
from mixin.alerts import alert_groups
from mixin.rule_files import render_rule_files
from tests.config.alert_case import AlertCase, s
from tests.config.rule_cases import promtool_tests
from tests.config.test_promtool import promtool, write_test
from tests.unit.test_alerting_settings import parse


def test_no_trading_signals_follows_a_session_across_midnight(tmp_path: Path) -> None:
    settings = parse(alerting={"marketOpenHourUtc": 22, "marketCloseHourUtc": 6})
    for name, text in render_rule_files(settings).items():
        (tmp_path / name).write_text(text)
    [group] = [g for g in alert_groups(settings) if any(r.alert == "NoTradingSignals" for r in g.rules)]
    idle = f"{settings.thresholds.trading_idle_minutes:g}m"
    case = AlertCase(
        "NoTradingSignals", [s('trading_signals_total{job="trading-engine",instance="te:8001",strategy="momentum",'
                               'signal="hold"}', "5+0x1800")],
        "23h", {"severity": "critical", "component": "trading", "job": "trading-engine"},
        "No trading signals during market hours",
        f"The trading engine produced 0 signals in the last {idle} of market hours (22:00-06:00 UTC).",
        # Outside the session: noon and just after the close; inside, after midnight, it fires again (below).
        silent_at=["12h", "6h30m", "21h50m"])
    tests = promtool_tests([case, AlertCase(case.alert, case.series, "3h", case.labels, case.summary,
                                            case.description)], settings.alerting.runbook_base_url)
    test_file = write_test(tmp_path, group.file, [rec.RECORDING_FILE, group.file], tests)
    result = promtool("test", "rules", test_file)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
