"""Prometheus is sized from measured figures (issue 24): the table, the stacks' defaults, the refusals."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from settings.model import SettingsError, parse_settings
from settings.sizing import HEADROOM, MEASURED, SizingFigures
from settings.sizing_checks import size_bytes
from tests.conftest import stack_config, stack_settings

PROJECT_DIR = Path(__file__).resolve().parents[2]


def test_the_figures_are_those_a_bench_run_measured():
    """MEASURED is the `sizing` of the run it names, as `make bench` wrote it (no hand-made figures)."""
    assert MEASURED.source.startswith("bench/results/"), MEASURED
    run = json.loads((PROJECT_DIR / MEASURED.source).read_text())
    assert SizingFigures(**run["sizing"]) == MEASURED
    assert [f["label"] for f in run["footprints"]] == ["1x", "3x"]
    assert MEASURED.anon_mb_per_1k_series > 0 and MEASURED.bytes_per_sample > 0 and MEASURED.cpu_per_1k_series > 0


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_each_stack_keeps_the_headroom_at_its_declared_size(stack):
    s = stack_settings(stack)
    series, memory = s.sizing.expected_series, s.services["prometheus"].memory_mb
    need = MEASURED.memory_need_mb(series)
    assert memory >= MEASURED.memory_limit_mb(series) and (memory - need) / memory >= HEADROOM, (memory, need)
    cpus = s.services["prometheus"].cpus
    assert cpus >= MEASURED.cpus(series), (cpus, MEASURED.cpus(series))
    days = {"7d": 7, "30d": 30}[s.prometheus.retention_time]
    size = size_bytes(s.prometheus.retention_size)
    assert size is not None and size >= MEASURED.disk_bytes(series, days)


def _parse(stack: str, **objects: dict[str, object]):
    config, secret_keys = stack_config(stack)
    for key, values in objects.items():
        config[key] = json.dumps({**json.loads(config.get(key, "{}")), **values})
    return parse_settings("christmas-monitoring", stack, config, frozenset(secret_keys))


def test_a_memory_limit_below_the_tables_need_is_refused_naming_the_figure():
    series = stack_settings("prod").sizing.expected_series
    limit = MEASURED.memory_limit_mb(series)
    with pytest.raises(SettingsError) as caught:
        _parse("prod", memoryMb={"prometheus": limit - 64})
    message = str(caught.value)
    assert "memoryMb.prometheus" in message and f"{limit} MB that {series:,} expected series need" in message
    assert f"pulumi config set --path memoryMb.prometheus {limit}" in message
    _parse("prod", memoryMb={"prometheus": limit})


def test_more_expected_series_need_more_memory_and_say_which_key_to_change():
    with pytest.raises(SettingsError) as caught:
        _parse("dev", sizing={"expectedSeries": 1_000_000})
    assert "memoryMb.prometheus" in str(caught.value) and "1,000,000 expected series" in str(caught.value)


def test_a_retention_size_below_the_retention_time_s_need_is_refused():
    with pytest.raises(SettingsError) as caught:
        _parse("prod", prometheus={"retentionSize": "1GB"})
    message = str(caught.value)
    assert "prometheus.retentionSize" in message and "GiB that" in message and "retentionTime (30d)" in message


def test_a_bad_expected_series_is_reported_by_its_key():
    with pytest.raises(SettingsError) as caught:
        _parse("dev", sizing={"expectedSeries": 5})
    assert "sizing.expectedSeries" in str(caught.value)


@pytest.mark.parametrize(("text", "value"), [("1KB", 1024), ("2GB", 2 * 2**30), ("1.5GiB", 1.5 * 2**30),
                                             ("512MB", 512 * 2**20), ("10", None)])
def test_sizes_are_read_as_prometheus_reads_them(text, value):
    assert size_bytes(text) == value
