"""What the four dashboards share: datasource uids, panel helpers, links, variables, JSON.

Every dashboard is built with grafana-foundation-sdk's typed builders and serialised once here
(`to_json`), with sorted keys so a change to one panel is a small diff in `pulumi preview`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Protocol, Self, TypeVar

from grafana_foundation_sdk.builders import common as cb
from grafana_foundation_sdk.builders import dashboard as dash
from grafana_foundation_sdk.builders import elasticsearch as es_query
from grafana_foundation_sdk.builders import logs, prometheus, stat, statetimeline, timeseries
from grafana_foundation_sdk.cog import builder as cogbuilder
from grafana_foundation_sdk.cog import variants as cogvariants
from grafana_foundation_sdk.cog.encoder import JSONEncoder
from grafana_foundation_sdk.models import common as cm
from grafana_foundation_sdk.models import dashboard as dm

from mixin.alert_model import runbook_url
from mixin.rules import COARSE_INTERVAL, HOURLY_INTERVAL, copy_name

# Stable datasource uids: dashboards reference these, so they never change between stacks.
PROMETHEUS_UID = "prometheus"
ALERTMANAGER_UID = "alertmanager"
ELASTICSEARCH_UID = "elasticsearch-logs"

PROMETHEUS = dm.DataSourceRef(type_val="prometheus", uid=PROMETHEUS_UID)
ELASTICSEARCH = dm.DataSourceRef(type_val="elasticsearch", uid=ELASTICSEARCH_UID)

# Every dashboard carries this tag; the "Dashboards" link menu lists all dashboards with it.
TAG = "christmas"
# Points per Prometheus query (Grafana's default is the panel's width in pixels, ~1900 on a wide
# panel): about one point per two pixels of a half-width panel. Over 7 days that is a 20-minute
# step, so a panel reads ~500 samples per series it draws (issue 14; `make bench` measures it).
MAX_DATA_POINTS = 500
# Panels on the copies: a point per 5 minutes up to ~17 hours, then fewer, wider steps (each the
# mean or worst of its samples): over 7 days one point an hour, 168 a line. A graph of 60-180
# lines is drawn from series x points, so this is most of what such a panel costs over days.
COARSE_MAX_DATA_POINTS = 200
# The copy such a panel reads, chosen by the dashboard's time range: a hidden query variable,
# refreshed on every time range change, is the 5-minute copy's interval up to 36 hours and the
# hourly copy's beyond (`resolution_variable`). The panels read `<record>_every${resolution}` with
# `${resolution}` as their min interval, so a step is never shorter than the copy's sampling.
# 36 hours: the 5-minute copy of a panel of 180 lines (Signals per strategy) reads 180 x 433
# samples = 78k there (under issue 14's 100k); the hourly copy reads 180 x 169 = 30k over 7 days.
RESOLUTION = "resolution"
RESOLUTION_REF = "${resolution}"
HOURLY_FROM_SECONDS = 36 * 3600
# Elasticsearch query for the error-log panels (the `level` field Fluent Bit ships).
ERROR_LOG_QUERY = "level:(error OR ERROR OR fatal OR FATAL OR critical OR CRITICAL)"


@dataclass(frozen=True)
class DashboardRef:
    uid: str
    title: str
    folder: str
    description: str


# The four dashboards of the guide: uid (links survive a rebuild), title, folder, what each shows.
SYSTEM_OVERVIEW = DashboardRef("christmas-system-overview", "System Overview", "infrastructure",
                               "Host and container resources of the Christmas platform.")
API_PERFORMANCE = DashboardRef("christmas-api-performance", "API Performance", "platform",
                               "Requests, latency and errors of the Christmas API.")
DATABASE_PERFORMANCE = DashboardRef("christmas-database-performance", "Database Performance", "infrastructure",
                                    "PostgreSQL of the Christmas platform (postgres-exporter).")
TRADING_PERFORMANCE = DashboardRef("christmas-trading-performance", "Trading Performance", "platform",
                                   "Signals, orders, trades and returns of the trading engine.")
ALL_DASHBOARDS = (SYSTEM_OVERVIEW, API_PERFORMANCE, DATABASE_PERFORMANCE, TRADING_PERFORMANCE)
# Folder uid -> title.
FOLDERS: dict[str, str] = {"infrastructure": "Christmas - Infrastructure", "platform": "Christmas - Platform"}


@dataclass(frozen=True)
class Query:
    """One PromQL query of a panel and its legend."""

    expr: str
    legend: str = ""
    instant: bool = False


# --------------------------------------------------------------------------- panels


class _PanelBuilder(Protocol):
    def title(self, title: str) -> Self: ...
    def description(self, description: str) -> Self: ...
    def unit(self, unit: str) -> Self: ...
    def datasource(self, datasource: dm.DataSourceRef) -> Self: ...
    def with_target(self, target: cogbuilder.Builder[cogvariants.Dataquery]) -> Self: ...
    def thresholds(self, thresholds: cogbuilder.Builder[dm.ThresholdsConfig]) -> Self: ...
    def span(self, w: int) -> Self: ...
    def height(self, h: int) -> Self: ...
    def links(self, links: list[cogbuilder.Builder[dm.DashboardLink]]) -> Self: ...
    def max_data_points(self, max_data_points: float) -> Self: ...
    def interval(self, interval: str) -> Self: ...


P = TypeVar("P", bound=_PanelBuilder)


def thresholds(*steps: tuple[float, str], base: str = "green") -> dash.ThresholdsConfig:
    """Absolute thresholds: `base` below the first step, then each step's colour from its value up."""
    return dash.ThresholdsConfig().mode(dm.ThresholdsMode.ABSOLUTE).steps(
        [dm.Threshold(value=None, color=base)] + [dm.Threshold(value=v, color=c) for v, c in steps])


def warn_crit(warning: float, critical: float) -> dash.ThresholdsConfig:
    return thresholds((warning, "yellow"), (critical, "red"))


def runbook_link(runbook_base_url: str, alert: str) -> dash.DashboardLink:
    """A panel link to the runbook section of the alert that watches what the panel shows."""
    return (dash.DashboardLink(f"Runbook: {alert}").type(dm.DashboardLinkType.LINK)
            .url(runbook_url(runbook_base_url, alert)).target_blank(True))


def _prom_target(query: Query, ref: str) -> prometheus.Dataquery:
    target = (prometheus.Dataquery().expr(query.expr).ref_id(ref).datasource(PROMETHEUS)
              .legend_format(query.legend or "__auto"))
    return target.instant() if query.instant else target.range()


def _decorate(panel: P, title: str, unit: str, queries: Sequence[Query],
                                 limits: dash.ThresholdsConfig, description: str, width: int, height: int,
                                 links: Sequence[dash.DashboardLink], min_interval: str = "") -> P:
    # A stack's evaluation interval is never mistaken for a copy's, whatever its value.
    points = COARSE_MAX_DATA_POINTS if min_interval == RESOLUTION_REF else MAX_DATA_POINTS
    panel = (panel.title(title).description(description).unit(unit).datasource(PROMETHEUS)
             .thresholds(limits).span(width).height(height).max_data_points(points))
    if min_interval:
        # Recorded series have one sample per rule evaluation: a finer step only repeats them.
        # Grafana interpolates variables in it (`${resolution}`; see resolution_variable).
        panel = panel.interval(min_interval)
    for index, query in enumerate(queries):
        panel = panel.with_target(_prom_target(query, chr(ord("A") + index)))
    if links:
        panel = panel.links(list(links))
    return panel


def graph(title: str, unit: str, queries: Sequence[Query], limits: dash.ThresholdsConfig | None = None,
          description: str = "", width: int = 12, height: int = 8,
          links: Sequence[dash.DashboardLink] = (), min_interval: str = "") -> timeseries.Panel:
    """A time series; thresholds, when given, are drawn as coloured lines."""
    panel = timeseries.Panel().fill_opacity(10).legend(
        cb.VizLegendOptions().display_mode(cm.LegendDisplayMode.TABLE).placement(cm.LegendPlacement.BOTTOM)
        .show_legend(True).calcs(["mean", "max", "lastNotNull"]))
    if limits is not None:
        panel = panel.thresholds_style(cb.GraphThresholdsStyleConfig().mode(cm.GraphThresholdsStyleMode.LINE))
    return _decorate(panel, title, unit, queries, limits or thresholds(), description, width, height, links,
                     min_interval)


def single(title: str, unit: str, query: Query, limits: dash.ThresholdsConfig, description: str = "",
           width: int = 6, height: int = 5, links: Sequence[dash.DashboardLink] = (),
           min_interval: str = "") -> stat.Panel:
    """A single coloured number, the value now (background coloured by the thresholds).

    An instant query, no sparkline: over 7 days the sparkline read every sample of the week of each
    series behind the number (60 strategies: ~25 ms a panel on the bench's Prometheus, most of what
    such a panel cost; `make bench`). The graphs below show the history.
    """
    panel = (stat.Panel().color_mode(cm.BigValueColorMode.BACKGROUND).graph_mode(cm.BigValueGraphMode.NONE)
             .reduce_options(cb.ReduceDataOptions().calcs(["lastNotNull"]).values(False)))
    return _decorate(panel, title, unit, [replace(query, instant=True)], limits, description, width, height, links,
                     min_interval)


def states(title: str, unit: str, queries: Sequence[Query], limits: dash.ThresholdsConfig,
           mappings: Sequence[dm.ValueMapping] = (), description: str = "", width: int = 24,
           height: int = 8, min_interval: str = "") -> statetimeline.Panel:
    """A state timeline: one coloured band per series (up/down, healthy/stale)."""
    panel = statetimeline.Panel().show_value(cm.VisibilityMode.NEVER)
    if mappings:
        panel = panel.mappings(list(mappings))
    return _decorate(panel, title, unit, queries, limits, description, width, height, (), min_interval)


def per_step(function: str, selector: str) -> str:
    """`function(selector[$__interval])`: every sample of a copy inside each point's step.

    Panels reading a copy (`at_resolution`) set the copy's interval as their min interval, so a
    step is one sample at short zooms and the mean (or worst) of all samples in it over days: a
    spike between two points is never skipped (issue 14: no aliasing).
    """
    return f"{function}({selector}[$__interval])"


# What a graph on the copies says of its resolution (its description).
COPY_RESOLUTION = "5-minute resolution up to 36 hours, hourly beyond"


def mean_of_copy(record: str, selector: str) -> str:
    """The mean of each step over the copy of `record` the zoom picks (`at_resolution`)."""
    return per_step("avg_over_time", f"{at_resolution(record)}{{{selector}}}")


def at_resolution(record: str) -> str:
    """The copy of `record` the dashboard's zoom picks: `<record>_every${resolution}` (5m or 1h)."""
    return copy_name(record, RESOLUTION_REF)


def value_names(names: dict[str, tuple[str, str]]) -> dm.ValueMap:
    """Value -> (text, colour), e.g. {"1": ("up", "green"), "0": ("down", "red")}."""
    return dm.ValueMap(options={k: dm.ValueMappingResult(text=t, color=c) for k, (t, c) in names.items()})


def error_logs(title: str = "Error logs", query: str = ERROR_LOG_QUERY, width: int = 24,
               height: int = 10) -> logs.Panel:
    """Recent error lines from Elasticsearch (the Fluent Bit indices)."""
    target = (es_query.Dataquery().ref_id("A").datasource(ELASTICSEARCH).query(query).time_field("@timestamp")
              .metrics([es_query.Logs().id("1")]))
    return (logs.Panel().title(title).description(f"Log lines matching `{query}`, newest first.")
            .datasource(ELASTICSEARCH).with_target(target).show_time(True).wrap_log_message(True)
            .enable_log_details(True).sort_order(cm.LogsSortOrder.DESCENDING).span(width).height(height))


# --------------------------------------------------------------------------- dashboards


def variable(name: str, label: str, query: str, include_all: bool = True) -> dash.QueryVariable:
    """A multi-value template variable filled from Prometheus label values."""
    return (dash.QueryVariable(name).label(label).datasource(PROMETHEUS).query(query)
            .refresh(dm.VariableRefresh.ON_TIME_RANGE_CHANGED).sort(dm.VariableSort.ALPHABETICAL_ASC)
            .multi(True).include_all(include_all).all_value(".*"))


def resolution_variable() -> dash.QueryVariable:
    """Hidden: the copy interval for the time range, `1h` above HOURLY_FROM_SECONDS, else `5m`.

    Grafana 11.6 runs a Prometheus variable's query again on each time range change, with
    `$__range_s` set to the range in seconds (@grafana/prometheus variables.ts,
    datasource.ts `getRangeScopedVars`); `query_result(...)` is an instant query whose answer is
    one line per series, `{r="1h"} <value> <timestamp>` (metric_find_query.ts), and the regex's
    first group is the value (@grafana/scenes variants/query/utils.ts
    `metricNamesToVariableValues`). Sources cited in README "Benchmark".
    """
    above, below = (f'label_replace(vector($__range_s) {op} {HOURLY_FROM_SECONDS}, "r", "{value}", "", "")'
                    for op, value in ((">", HOURLY_INTERVAL), ("<=", COARSE_INTERVAL)))
    return (dash.QueryVariable(RESOLUTION).label("Resolution")
            .description("Copies the graphs read: 5-minute up to 36 hours, hourly beyond (issue 14).")
            .datasource(PROMETHEUS).query(f"query_result({above} or {below})").regex('/r="(\\w+)"/')
            .refresh(dm.VariableRefresh.ON_TIME_RANGE_CHANGED).hide(dm.VariableHide.HIDE_VARIABLE)
            .current(dm.VariableOption(text=COARSE_INTERVAL, value=COARSE_INTERVAL, selected=True)))


def new_dashboard(ref: DashboardRef, runbook_base_url: str) -> dash.Dashboard:
    """A dashboard with the shared header: uid, tags, refresh, and links to the others and the runbook."""
    return (dash.Dashboard(ref.title).uid(ref.uid).description(ref.description).tags([TAG])
            .time("now-6h", "now").refresh("30s").timezone("utc").tooltip(dm.DashboardCursorSync.CROSSHAIR)
            .link(dash.DashboardLink("Dashboards").type(dm.DashboardLinkType.DASHBOARDS).tags([TAG])
                  .as_dropdown(True).include_vars(False).keep_time(True))
            .link(dash.DashboardLink("Runbook").type(dm.DashboardLinkType.LINK).url(runbook_base_url)
                  .icon("doc").target_blank(True)))


def to_json(dashboard: dash.Dashboard) -> str:
    model = dashboard.build()
    # Stable panel ids (1, 2, ...) in layout order, so links to a panel survive a rebuild.
    for number, panel in enumerate(model.panels or [], start=1):
        if isinstance(panel, dm.Panel):
            panel.id_val = number
    return json.dumps(model, cls=JSONEncoder, sort_keys=True, indent=2)
