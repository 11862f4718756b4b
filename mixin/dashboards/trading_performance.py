"""Trading Performance: signals, orders, trades and returns of the trading engine (the metric contract).

One function per panel; `build` composes them. The single numbers read the recorded series at
the stack's interval (their last value is the current one); the graphs that draw a line per
strategy read copies, the 5-minute one up to 36 hours and the hourly one beyond (`c.at_resolution`,
the hidden `resolution` variable), with the copy's interval as their min interval.
"""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import stat, timeseries

from mixin import rules as rec
from mixin.dashboards import common as c
from mixin.dashboards.common import Query, per_step
from settings.model import StackSettings

STRATEGY = 'strategy=~"$strategy"'
COARSE = c.RESOLUTION_REF  # min interval: the copy's interval the zoom picks
RES = c.COPY_RESOLUTION
RETURNS = c.thresholds((0, "green"), base="red")


def _mean(record: str, selector: str = STRATEGY) -> str:
    return c.mean_of_copy(record, selector)


def order_failure_ratio(*, limits: dash.ThresholdsConfig, runbook: str, interval: str) -> stat.Panel:
    return c.single("Order failure ratio", "percentunit", Query(f"max({rec.ORDER_FAILURE_RATIO}{{{STRATEGY}}})"),
                    limits, links=[c.runbook_link(runbook, "HighOrderFailureRate")], min_interval=interval)


def order_latency_now(*, limits: dash.ThresholdsConfig, runbook: str, interval: str) -> stat.Panel:
    return c.single("Order latency p95", "s", Query(f"max({rec.ORDER_LATENCY_P95}{{{STRATEGY}}})"), limits,
                    links=[c.runbook_link(runbook, "HighOrderLatency")], min_interval=interval)


def realised_pnl() -> stat.Panel:
    return c.single("Realised P&L", "currencyUSD", Query(f"sum(trading_pnl_usd{{{STRATEGY}}})"), RETURNS)


def volume_in_range() -> stat.Panel:
    # The mean traded rate over the range times the range, the mean taken over the copy the zoom
    # picks (one sample per strategy each 5 minutes up to 36 hours, each hour up to 14 days, each 3
    # hours beyond): over 7 days 60 strategies read 10,080 samples, over 30 days 14,400 (issue 24;
    # the subquery over the 5-minute record it replaces read ~127k over 7 days). Each copy is the mean rate of its own
    # window, so their mean is the range's mean rate.
    return c.single("Volume traded in range", "currencyUSD",
                    Query(f"sum(avg_over_time({c.at_resolution(rec.VOLUME_RATE)}{{{STRATEGY}}}[$__range]))"
                          " * $__range_s", instant=True),
                    c.thresholds((0.01, "green"), base="orange"),
                    "Notional traded over the dashboard's time range: the mean rate times the range "
                    "(orange: nothing traded).", min_interval=COARSE)


def signals(*, runbook: str) -> timeseries.Panel:
    return c.graph("Signals per strategy", "ops",
                   [Query(f"sum by (signal) ({_mean(rec.SIGNALS_RATE_BY_SIGNAL)})", "{{signal}}"),
                    Query(f"sum by (strategy) ({_mean(rec.SIGNALS_RATE)})", "{{strategy}} all")],
                   description="Buy, sell and hold signals per second of the selected strategies, and all "
                               f"signals of each strategy (mean of each point's step, {RES}).",
                   links=[c.runbook_link(runbook, "NoTradingSignals")], min_interval=COARSE)


def orders(*, runbook: str) -> timeseries.Panel:
    shown, failed = f'{STRATEGY}, status=~"filled|failed|pending"', f'{STRATEGY}, status="failed"'
    return c.graph("Orders by status", "ops",
                   [Query(f"sum by (status) ({_mean(rec.ORDERS_RATE, shown)})", "{{status}}"),
                    Query(f"sum by (strategy, status) ({_mean(rec.ORDERS_RATE, failed)})",
                          "failed {{strategy}}")],
                   description="Filled, failed and pending orders per second (mean of each point's step, "
                               f"{RES}).",
                   links=[c.runbook_link(runbook, "HighOrderFailureRate")], min_interval=COARSE)


def volume_over_time() -> timeseries.Panel:
    return c.graph("Trade volume over time (USD per hour)", "currencyUSD",
                   [Query(f"sum by (strategy) ({_mean(rec.VOLUME_RATE)}) * 3600", "{{strategy}}")],
                   description="Notional traded, as an hourly rate (mean of each point's step).",
                   min_interval=COARSE)


def trades(*, runbook: str) -> timeseries.Panel:
    return c.graph("Trades per strategy", "ops",
                   [Query(f"sum by (strategy) ({_mean(rec.TRADES_RATE)})", "{{strategy}}")],
                   links=[c.runbook_link(runbook, "NoTradesExecuted")], min_interval=COARSE)


def returns() -> timeseries.Panel:
    return c.graph("Return per strategy", "percentunit",
                   [Query(f"max by (strategy) ({_mean(rec.RETURN_RATIO)})",
                          "{{strategy}}")],
                   RETURNS, "Return of each strategy (0.01 = 1%), mean of each point's step.", min_interval=COARSE)


def order_latency(*, limits: dash.ThresholdsConfig, runbook: str) -> timeseries.Panel:
    worst = per_step("max_over_time", f"{c.at_resolution(rec.ORDER_LATENCY_P95)}{{{STRATEGY}}}")
    return c.graph("Order latency (p95)", "s", [Query(f"max by (strategy) ({worst})", "{{strategy}}")], limits,
                   "p95 of each 5 minutes, the worst in each point's step.",
                   links=[c.runbook_link(runbook, "HighOrderLatency")], min_interval=COARSE)


def build(settings: StackSettings) -> dash.Dashboard:
    t = settings.thresholds
    runbook = settings.alerting.runbook_base_url
    failures = c.warn_crit(t.order_failure_percent / 200, t.order_failure_percent / 100)
    latency = c.warn_crit(t.order_latency_p95_seconds / 2, t.order_latency_p95_seconds)
    ev = settings.prometheus.evaluation_interval
    return (
        c.new_dashboard(c.TRADING_PERFORMANCE, runbook)
        .with_variable(c.variable("strategy", "Strategy", "label_values(trading_orders_total, strategy)"))
        .with_variable(c.resolution_variable())
        .with_panel(order_failure_ratio(limits=failures, runbook=runbook, interval=ev))
        .with_panel(order_latency_now(limits=latency, runbook=runbook, interval=ev))
        .with_panel(realised_pnl())
        .with_panel(volume_in_range())
        .with_panel(signals(runbook=runbook))
        .with_panel(orders(runbook=runbook))
        .with_panel(volume_over_time())
        .with_panel(trades(runbook=runbook))
        .with_panel(returns())
        .with_panel(order_latency(limits=latency, runbook=runbook))
    )
