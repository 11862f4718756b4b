"""The job each alert and recording rule selects, in one table (node-mixin's `_config` selectors):
a renamed job is one line here (or in its catalog row), and every rule follows.

The stack's own jobs are the catalog rows' scrape jobs (settings/catalog.py); the platform's are the
names it is scraped under (settings/catalog.py PLATFORM_JOBS, the Swarm's JOB_LABEL).
"""

from __future__ import annotations

from settings.catalog import PLATFORM_JOBS, scrape_of

# What a rule is about -> the Prometheus job whose series it reads.
JOBS: dict[str, str] = {
    "containers": scrape_of("cadvisor").job,
    "database": scrape_of("postgres-exporter").job,
    "api": PLATFORM_JOBS["api"],
    "trading": PLATFORM_JOBS["trading"],
}


def selector(about: str) -> str:
    """The label matcher of the job a rule is about, e.g. `job="api"`."""
    return f'job="{JOBS[about]}"'


def job_label(about: str) -> tuple[tuple[str, str], ...]:
    """A rule's static `job` label: the job an aggregate alert is about (for TargetDown's inhibition)."""
    return (("job", JOBS[about]),)
