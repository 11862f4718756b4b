"""The settings grammars against the real programs that read the values (Debian's builds).

A predicate may be stricter than its consumer, never looser: whatever `settings.grammar`
accepts, the real program accepts too. The values are the corpus' bad ones, the good ones the
stacks use, and Hypothesis draws over each grammar's alphabet.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from settings import grammar as g


def prometheus_flag_accepts(flag: str, value: str, tmp: Path) -> bool:
    """Kingpin parses the flag before anything else; a refused value says so and exits."""
    result = subprocess.run(["prometheus", f"--{flag}={value}", "--config.file=/nonexistent",
                             f"--storage.tsdb.path={tmp}"], capture_output=True, text=True, timeout=20)
    return "parsing commandline arguments" not in result.stderr


def amtool_accepts_smarthost(value: str, tmp: Path) -> bool:
    config = {"global": {"smtp_smarthost": value, "smtp_from": "a@example.com"},
              "route": {"receiver": "mail"},
              "receivers": [{"name": "mail", "email_configs": [{"to": "b@example.com"}]}]}
    path = tmp / "alertmanager.yml"
    path.write_text(yaml.safe_dump(config))
    return subprocess.run(["amtool", "check-config", str(path)], capture_output=True, timeout=20).returncode == 0


DURATIONS = ["15s", "1m30s", "15d", "2w3d", "1y", "100ms", "30s1m", "12h1d", "1.5d", "15", "15S", "0", "0s",
             " 15s", "15s\n", "1h1h", "15sec", "P30D", "30 d", ""]
SIZES = ["50GB", "512MB", "1TB", "50GiB", "1.5GB", "50B", "50G", "50gb", "50", "50 GB", "-5GB", "0GB", "50iB",
         "50GB\n"]
SMARTHOSTS = ["smtp.example.com:587", "localhost:1025", "10.0.0.5:25", "[::1]:25", "smtp.example.com",
              ":587", "smtp example.com:587", "smtp.example.com:0", "smtp.example.com:70000"]


@pytest.mark.parametrize("value", DURATIONS)
def test_durations_accepted_here_are_accepted_by_prometheus(value, tmp_path):
    if g.prometheus_duration(value) is None:
        assert prometheus_flag_accepts("storage.tsdb.retention.time", value, tmp_path)


@pytest.mark.parametrize("value", SIZES)
def test_sizes_accepted_here_are_accepted_by_prometheus(value, tmp_path):
    if g.prometheus_size(value) is None:
        assert prometheus_flag_accepts("storage.tsdb.retention.size", value, tmp_path)


def test_the_issues_examples_are_refused_by_prometheus_and_by_us(tmp_path):
    for flag, value, check in (("storage.tsdb.retention.size", "50G", g.prometheus_size),
                               ("storage.tsdb.retention.time", "30s1m", g.prometheus_duration)):
        assert not prometheus_flag_accepts(flag, value, tmp_path)
        assert check(value) is not None


@pytest.mark.parametrize("value", SMARTHOSTS)
def test_smarthosts_accepted_here_are_accepted_by_alertmanager(value, tmp_path):
    if g.host_port(value) is None:
        assert amtool_accepts_smarthost(value, tmp_path)


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="0123456789.smhdwy", min_size=1, max_size=6))
def test_any_drawn_duration_we_accept_prometheus_accepts(tmp_path_factory, value):
    if g.prometheus_duration(value) is None:
        assert prometheus_flag_accepts("storage.tsdb.retention.time", value, tmp_path_factory.mktemp("d"))


@settings(max_examples=40, deadline=None)
@given(st.text(alphabet="0123456789.KMGTPiBb", min_size=1, max_size=6))
def test_any_drawn_size_we_accept_prometheus_accepts(tmp_path_factory, value):
    if g.prometheus_size(value) is None:
        assert prometheus_flag_accepts("storage.tsdb.retention.size", value, tmp_path_factory.mktemp("s"))


# Around the int64 bound of alecthomas/units: 8191PB fits, 8192PB (2**63) is refused here.
BOUNDARY_SIZES = ["8191PB", "8192PB", "9223372036854775807B", "512MB", "511MB", "1.99999999999999999999GB"]


@pytest.mark.parametrize("value", BOUNDARY_SIZES)
def test_boundary_sizes_accepted_here_are_accepted_by_prometheus(value, tmp_path):
    if g.prometheus_size(value) is None:
        assert prometheus_flag_accepts("storage.tsdb.retention.size", value, tmp_path)


def test_promtool_reads_thresholds_in_exponent_form(tmp_path):
    """_num writes repr(): 1e-09 and 1e+16 are PromQL number literals."""
    rules = tmp_path / "r.yml"
    rules.write_text(yaml.safe_dump({"groups": [{"name": "x", "rules": [
        {"alert": "Small", "expr": "up > 1e-09"}, {"alert": "Large", "expr": "up > 1e+16"}]}]}))
    assert subprocess.run(["promtool", "check", "rules", str(rules)], capture_output=True).returncode == 0
