"""docs/metrics.md names every raw metric the dashboards and alert rules query."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from mixin.dashboards import render_dashboards
from mixin.rule_files import render_rule_files
from tests.conftest import stack_settings

DOC = (Path(__file__).resolve().parents[2] / "docs" / "metrics.md").read_text()
# A raw series name: not part of a recording rule's `level:metric:operations` name.
METRIC = re.compile(r"(?<![:\w])((?:node|container|pg|http|backend|trading|prometheus|alertmanager|fluentbit|"
                    r"elasticsearch|probe)"
                    r"_[a-z_]+)(?![:\w])")
HISTOGRAM_SUFFIXES = ("_bucket", "_sum", "_count")


def expressions(value: Any) -> Iterator[str]:
    """Every PromQL `expr` in a dashboard or rule file (descriptions and titles are not queries)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("expr", "query") and isinstance(item, str):
                yield item
            else:
                yield from expressions(item)
    elif isinstance(value, list):
        for item in value:
            yield from expressions(item)


def documented(name: str) -> bool:
    for suffix in ("", *HISTOGRAM_SUFFIXES):
        base = name.removesuffix(suffix) if suffix else name
        if re.search(rf"`{re.escape(base)}[`{{]", DOC):
            return True
    return False


def test_every_metric_queried_by_dashboards_and_rules_is_in_the_contract():
    settings = stack_settings("prod")
    documents = [json.loads(d) for d in render_dashboards(settings).values()]
    documents += [yaml.safe_load(text) for text in render_rule_files(settings).values()]
    used = {m for doc in documents for expr in expressions(doc) for m in METRIC.findall(expr)}
    assert len(used) > 30
    assert sorted(m for m in used if not documented(m)) == []
