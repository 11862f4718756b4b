"""Trading Performance: signals, orders, trades and returns of the trading engine (the metric contract)."""

from __future__ import annotations

from grafana_foundation_sdk.builders import dashboard as dash

from mixin import rules as rec
from mixin.dashboards import common as c
from mixin.dashboards.common import Query
from settings.model import StackSettings


def build(settings: StackSettings) -> dash.Dashboard:
    t = settings.thresholds
    runbook = settings.alerting.runbook_base_url
    strat = 'strategy=~"$strategy"'
    failures = c.warn_crit(t.order_failure_percent / 200, t.order_failure_percent / 100)
    latency = c.warn_crit(t.order_latency_p95_seconds / 2, t.order_latency_p95_seconds)
    returns = c.thresholds((0, "green"), base="red")
    ev = settings.prometheus.evaluation_interval
    return (
        c.new_dashboard(c.TRADING_PERFORMANCE, "Signals, orders, trades and returns of the trading engine.",
                        runbook)
        .with_variable(c.variable("strategy", "Strategy", "label_values(trading_orders_total, strategy)"))
        .with_panel(c.single("Order failure ratio", "percentunit",
                             Query(f"max({rec.ORDER_FAILURE_RATIO}{{{strat}}})"), failures,
                             links=[c.runbook_link(runbook, "HighOrderFailureRate")], min_interval=ev))
        .with_panel(c.single("Order latency p95", "s", Query(f"max({rec.ORDER_LATENCY_P95}{{{strat}}})"), latency,
                             links=[c.runbook_link(runbook, "HighOrderLatency")], min_interval=ev))
        .with_panel(c.single("Realised P&L", "currencyUSD", Query(f"sum(trading_pnl_usd{{{strat}}})"), returns))
        .with_panel(c.single("Volume traded in range", "currencyUSD",
                             # The mean traded rate over the range (sampled once a panel interval) times
                             # the range: one recorded series per strategy and point, not every raw sample.
                             Query(f"avg_over_time(sum({rec.VOLUME_RATE}{{{strat}}})[$__range:$__interval])"
                                   " * $__range_s", instant=True),
                             c.thresholds((0.01, "green"), base="orange"),
                             "Notional traded over the dashboard's time range: the mean rate times the range "
                             "(orange: nothing traded).", min_interval=ev))
        .with_panel(c.graph("Signals per strategy", "ops",
                            [Query(f"sum by (signal) ({rec.SIGNALS_RATE_BY_SIGNAL}{{{strat}}})", "{{signal}}"),
                             Query(f"sum by (strategy) ({rec.SIGNALS_RATE}{{{strat}}})", "{{strategy}} all")],
                            description="Buy, sell and hold signals per second of the selected strategies, "
                                        "and all signals of each strategy.",
                            links=[c.runbook_link(runbook, "NoTradingSignals")], min_interval=ev))
        .with_panel(c.graph("Orders by status", "ops",
                            [Query(f'sum by (status) ({rec.ORDERS_RATE}{{{strat}, status=~"filled|failed|pending"}})',
                                   "{{status}}"),
                             Query(f'sum by (strategy, status) ({rec.ORDERS_RATE}{{{strat}, status="failed"}})',
                                   "failed {{strategy}}")],
                            description="Filled, failed and pending orders per second.",
                            links=[c.runbook_link(runbook, "HighOrderFailureRate")], min_interval=ev))
        .with_panel(c.graph("Trade volume over time (USD per hour)", "currencyUSD",
                            [Query(f"sum by (strategy) ({rec.VOLUME_RATE}{{{strat}}}) * 3600", "{{strategy}}")],
                            description="Notional traded, as an hourly rate.", min_interval=ev))
        .with_panel(c.graph("Trades per strategy", "ops",
                            [Query(f"sum by (strategy) ({rec.TRADES_RATE}{{{strat}}})", "{{strategy}}")],
                            links=[c.runbook_link(runbook, "NoTradesExecuted")], min_interval=ev))
        .with_panel(c.graph("Return per strategy", "percentunit",
                            [Query(f"max by (strategy) (trading_return_ratio{{{strat}}})", "{{strategy}}")],
                            returns, "Return of each strategy (0.01 = 1%)."))
        .with_panel(c.graph("Order latency (p95)", "s",
                            [Query(f"max by (strategy) ({rec.ORDER_LATENCY_P95}{{{strat}}})", "{{strategy}}")],
                            latency, links=[c.runbook_link(runbook, "HighOrderLatency")], min_interval=ev))
    )
