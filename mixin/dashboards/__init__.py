"""The Grafana dashboards, one module each, built with grafana-foundation-sdk."""

from __future__ import annotations

from collections.abc import Callable

from grafana_foundation_sdk.builders import dashboard as dash

from mixin.dashboards import api_performance, database_performance, system_overview, trading_performance
from mixin.dashboards.common import (
    API_PERFORMANCE,
    DATABASE_PERFORMANCE,
    SYSTEM_OVERVIEW,
    TRADING_PERFORMANCE,
    DashboardRef,
    to_json,
)
from settings.model import StackSettings

BUILDERS: dict[DashboardRef, Callable[[StackSettings], dash.Dashboard]] = {
    SYSTEM_OVERVIEW: system_overview.build,
    API_PERFORMANCE: api_performance.build,
    DATABASE_PERFORMANCE: database_performance.build,
    TRADING_PERFORMANCE: trading_performance.build,
}


def render_dashboards(settings: StackSettings) -> dict[DashboardRef, str]:
    """Every dashboard's JSON model, ready for `grafana.oss.Dashboard(config_json=...)`."""
    return {ref: to_json(build(settings)) for ref, build in BUILDERS.items()}
