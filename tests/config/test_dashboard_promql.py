"""Every PromQL expression of every dashboard parses with promtool (Debian's prometheus package).

Grafana's template variables are substituted first ($__rate_interval -> 5m, $var -> .*), each
expression is wrapped in a recording rule, and `promtool check rules` parses the file.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from bench.grafana import substitute_variables
from bench.variables import QUERY_RESULT, each_combination
from formats.yamlout import dump_yaml
from offline.mocks import ProgramRun, unwrap

# Longest names first: `$__range_s` is not `$__range` followed by `_s`.
GRAFANA_INTERVALS = {"$__rate_interval": "5m", "$__interval_ms": "60000", "$__interval": "1m", "$__range_ms": "3600000",
                     "$__range_s": "3600", "$__range": "1h"}
VARIABLE = re.compile(r"\$\{?[A-Za-z_]\w*\}?")
LABEL_VALUES = re.compile(r"^label_values\((?:(.+),\s*)?\w+\)$")


def promtool() -> str:
    path = shutil.which("promtool")
    assert path, "promtool is required (Debian package `prometheus`; `make tools` installs it)"
    return path


def substitute(expr: str) -> str:
    for name, value in GRAFANA_INTERVALS.items():
        expr = expr.replace(name, value)
    # Every dashboard variable is used in a regex matcher (=~), where .* means "all".
    return VARIABLE.sub(".*", expr)


def expressions(run: ProgramRun) -> dict[str, str]:
    """Location -> PromQL, for every panel query (once per value of the time-range variables) and
    every variable's series selector or query."""
    found: dict[str, str] = {}
    for resource in run.of_type("grafana:oss/dashboard:Dashboard"):
        model = json.loads(unwrap(resource.inputs)["configJson"])
        for values in each_combination(model):
            for panel in model["panels"]:
                for target in panel["targets"]:
                    if "expr" in target:
                        found[f"{model['uid']} / {panel['title']} / {target['refId']} {values}"] = \
                            substitute_variables(target["expr"], values)
        for variable in model["templating"]["list"]:
            match = LABEL_VALUES.match(variable["query"]) or QUERY_RESULT.match(variable["query"])
            assert match, f"{model['uid']}: variable {variable['name']} is not label_values(...) or query_result(...)"
            if match.group(1):
                found[f"{model['uid']} / variable {variable['name']}"] = match.group(1)
    return found


def check_rules(expressions: dict[str, str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    rules = [{"record": f"dashboard:check_{i}:expr", "expr": substitute(expr)}
             for i, expr in enumerate(expressions.values())]
    path = tmp_path / "dashboards.rules.yml"
    path.write_text(dump_yaml({"groups": [{"name": "dashboards", "rules": rules}]}))
    return subprocess.run([promtool(), "check", "rules", str(path)], capture_output=True, text=True, check=False)


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_every_dashboard_expression_parses(stack, dev_run, prod_run, tmp_path):
    found = expressions(dev_run if stack == "dev" else prod_run)
    assert len(found) >= 50, f"only {len(found)} expressions found"
    result = check_rules(found, tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"SUCCESS: {len(found)} rules found" in result.stdout


def test_the_check_rejects_a_broken_expression(tmp_path):
    # The same path a dashboard query takes: a typo must fail it, or the test above proves nothing.
    result = check_rules({"broken": 'sum by (name) (rate(container_cpu_usage_seconds_total{name=~"$service"}'
                                    "[$__rate_interval])"}, tmp_path)
    assert result.returncode != 0
