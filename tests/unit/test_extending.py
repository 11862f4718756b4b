"""Adding a service (docs/extending.md): a catalog row without its scrape job, its runbook entry or an
exact image pin fails loudly, naming the row and what it lacks."""

from __future__ import annotations

import re
from pathlib import Path

from settings.catalog import CATALOG, SCRAPE_ORDER, catalog_problems
from settings.workload import Scrape, ServiceSpec

RUNBOOK = (Path(__file__).resolve().parents[2] / "docs" / "runbook.md").read_text()
EXPORTER = ServiceSpec("prom/unlisted-exporter:v1.0.0", 9199, 64, 0.25, "/metrics", "65534:65534")


def _target_down_section() -> str:
    found = re.search(r"^## TargetDown\n(.*?)(?=^## )", RUNBOOK, re.MULTILINE | re.DOTALL)
    assert found
    return found.group(1)


def runbook_missing(jobs: list[str]) -> list[str]:
    """The jobs the runbook's TargetDown section does not say anything about."""
    section = _target_down_section()
    return [job for job in jobs if f"`{job}`" not in section]


def test_the_planted_row_is_not_in_the_catalog():
    assert "unlisted-exporter" not in CATALOG


def test_the_catalog_as_it_is_has_no_problem():
    assert catalog_problems(CATALOG, SCRAPE_ORDER) == []


def test_an_exporter_row_without_a_scrape_job_is_refused():
    problems = catalog_problems({**CATALOG, "unlisted-exporter": EXPORTER}, SCRAPE_ORDER)
    assert len(problems) == 1 and "'unlisted-exporter' listens on 9199 but has no `scrape`" in problems[0]


def test_a_scraped_row_missing_from_the_job_order_is_refused():
    row = ServiceSpec(**{**EXPORTER.__dict__, "scrape": Scrape("unlisted-exporter")})
    problems = catalog_problems({**CATALOG, "unlisted-exporter": row}, SCRAPE_ORDER)
    assert len(problems) == 1 and "'unlisted-exporter' is scraped but not in SCRAPE_ORDER" in problems[0]
    assert catalog_problems({**CATALOG, "unlisted-exporter": row}, (*SCRAPE_ORDER, "unlisted-exporter")) == []


def test_a_row_without_an_exact_image_tag_is_refused():
    for image in ("prom/unlisted-exporter:latest", "prom/unlisted-exporter", "prom/unlisted-exporter:v1"):
        row = ServiceSpec(**{**EXPORTER.__dict__, "image": image, "unscraped": "a test"})
        problems = catalog_problems({**CATALOG, "unlisted-exporter": row}, SCRAPE_ORDER)
        assert len(problems) == 1 and f"image {image!r} must be an image with an exact version tag" in problems[0]


def test_every_scraped_job_has_its_runbook_entry():
    jobs = [spec.scrape.job for spec in CATALOG.values() if spec.scrape is not None]
    assert runbook_missing(jobs) == []
    assert runbook_missing([*jobs, "unlisted-exporter"]) == ["unlisted-exporter"]
