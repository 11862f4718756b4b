"""Image tags against the flags and fields the program writes for them.

`images.<service>` may name another release than the catalog's pin, but the program still writes
that service's flags, configuration fields and healthcheck for the pinned one. Each row below is
the oldest release checked to take what the program writes (and, where the program relies on one
major's behaviour, the newest major), with the upstream file that says so. A tag outside its row
fails the plan naming the key, with the pinned image as the fix.

The version is read from the tag (`v3.5.0`, `3.2.10-debug`, `8.18.2`). A digest alone
(`repo@sha256:...`) names no version the program could check, and the renderers derive versions
from the tag (Grafana's `prometheusVersion`, Kibana's saved objects): it is refused, and a tag
beside the digest (`repo:1.2.3@sha256:...`) is what is checked. Docker then pulls by the digest;
whether the digest really is that tag is not known before the pull.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from settings.catalog import CATALOG, SERVICES
from settings.problems import Problems, fix_command

Version = tuple[int, int, int]

# The release in a tag (settings/grammar.py `pinned_image` has already required x.y.z there), and
# the variant after it (`-debug`).
_TAG = re.compile(r"[^:@]+:v?(\d+)\.(\d+)\.(\d+)([.+_-][A-Za-z0-9._-]*)?(?:@sha256:[a-f0-9]{64})?")


@dataclass(frozen=True)
class Supported:
    """The releases of one image whose flags and fields the program writes."""

    floor: Version
    # The newest major the program is written for (None: no later major is known to change what it writes).
    major: int | None
    # What the program writes that the floor (or the major) is about, and where upstream says so.
    why: str
    # A suffix the tag must carry (the image variant the program relies on), "" for any, and why.
    variant: str = ""
    variant_why: str = ""
    # Another row whose version this one must equal.
    same_version_as: str | None = None


IMAGE_VERSIONS: dict[str, Supported] = {
    # Debian's prometheus 2.42 is the oldest release the program's flags and files are proven with here:
    # promtool 2.42 checks prometheus.yml and the rules (tests/config), the engine tests run it with the
    # program's flags (docs/images.md, "Test images"). The flags and configuration follow v3's docs.
    "prometheus": Supported((2, 42, 0), 3, "its flags and configuration are checked with Prometheus 2.42 "
                            "(promtool, tests/config) and written for v3"),
    # smtp_auth_password_file: config/config.go from v0.25.0 on (api_url_file and --web.config.file from
    # v0.22.0); Debian's amtool 0.25 checks alertmanager.yml (tests/config/test_amtool.py).
    "alertmanager": Supported((0, 25, 0), None, "smtp_auth_password_file exists from v0.25.0 "
                              "(config/config.go), api_url_file from v0.22.0"),
    # --collector.filesystem.mount-points-exclude: collector/filesystem_common.go from v1.2.0 on.
    "node-exporter": Supported((1, 2, 0), None, "--collector.filesystem.mount-points-exclude exists from "
                               "v1.2.0 (collector/filesystem_common.go)"),
    # docs/images.md, cadvisor: containers on Docker's containerd image store from v0.54.0 (issue #3643),
    # the containerd socket needed only for overlayfs from v0.56.0 (issue #3772); ghcr.io tags have no `v`.
    "cadvisor": Supported((0, 56, 0), None, "it finds containers on Docker's containerd image store and "
                          "starts without containerd's socket from v0.56.0 (google/cadvisor #3643, #3772)"),
    # --collector.stat_statements: collector/pg_stat_statements.go, first in v0.13.0 (commit fe960c6b).
    "postgres-exporter": Supported((0, 13, 0), None, "--collector.stat_statements exists from v0.13.0 "
                                   "(collector/pg_stat_statements.go)"),
    # The dashboards are built by grafana-foundation-sdk 11.6.0 (requirements.txt), which DESIGN.md pins
    # to the Grafana it deploys; GF_*__FILE (packaging/docker/run.sh) is far older.
    "grafana": Supported((11, 6, 0), 11, "the dashboards are built by grafana-foundation-sdk 11.6 "
                         "(requirements.txt) for Grafana 11.6"),
    # The settings, index templates, ILM policies and security calls are those of the 8.18 reference
    # (render/elasticsearch.py, render/kibana.py); older 8.x releases were not checked, 9.x changes them.
    "elasticsearch": Supported((8, 18, 0), 8, "its settings, templates and ILM policies are written from the "
                               "Elasticsearch 8.18 reference"),
    "kibana": Supported((8, 18, 0), 8, "kibana.yml and the saved objects are written from the Kibana 8.18 "
                        "reference", same_version_as="elasticsearch"),
    # The alerts read fluentbit_output_chunk_available_capacity_percent on /api/v2/metrics/prometheus:
    # src/flb_output.c from v3.0.0 on (v2's endpoint, src/http_server/api/v2/metrics.c, from v2.1.0).
    # The healthcheck runs curl, which only the -debug variant ships (the default image is distroless).
    "fluent-bit": Supported((3, 0, 0), None, "the alerts read fluentbit_output_chunk_available_capacity_percent, "
                            "served from v3.0.0 (src/flb_output.c)", variant="-debug",
                            variant_why="the healthcheck runs curl, which the default (distroless) image lacks"),
    # ES_USERNAME / ES_PASSWORD (the password file's only way in) and --es.uri/--es.all/--es.indices/
    # --es.timeout: main.go from v1.3.0 on (commit fa71388).
    "elasticsearch-exporter": Supported((1, 3, 0), None, "ES_USERNAME/ES_PASSWORD are read from v1.3.0 "
                                        "(main.go)"),
    # Debian's blackbox_exporter 0.23 checks the rendered modules (tests/config/test_blackbox.py).
    "blackbox-exporter": Supported((0, 23, 0), None, "its module file is checked with blackbox_exporter 0.23 "
                                   "(tests/config/test_blackbox.py)"),
    # The setup jobs' curl --fail-with-body: curl(1) (Debian's 7.88.1 manual), "--fail-with-body ... Added in
    # 7.76.0"; their other options (-K, --data-binary, --max-time) are older.
    "elastic-setup": Supported((7, 76, 0), None, "the setup jobs run curl --fail-with-body, added in 7.76.0"),
    # Debian's caddy 2.6.2 validates and adapts the Caddyfile (tests/config/test_caddy*.py); Caddy 2's
    # Caddyfile (a v3 is not released).
    "edge": Supported((2, 6, 2), 2, "the Caddyfile is validated with Caddy 2.6.2 (tests/config) and written "
                      "for Caddy 2"),
    # Only 0.4.1's image was read (FROM haproxy:3.2.4-alpine, Dockerfile); the program runs its own
    # haproxy.cfg in it, not checked against the HAProxy of older releases.
    "docker-api": Supported((0, 4, 1), None, "its haproxy.cfg is written for the HAProxy of 0.4.1 "
                            "(haproxy:3.2.4); older releases were not checked"),
}


def _check_rows() -> None:
    """A catalog row with an image of its own and no row here stops the program (docs/extending.md)."""
    missing = [service for service in SERVICES if service not in IMAGE_VERSIONS]
    if missing:
        raise ValueError(f"settings/image_versions.py: no releases declared for {', '.join(missing)}: add the oldest "
                         "release that takes the flags and fields the program writes for it")


_check_rows()


def tag_version(image: str) -> tuple[Version, str] | None:
    """The release and variant an image's tag names (`...fluent-bit:3.2.10-debug` -> ((3, 2, 10), "-debug")),
    None for a digest without a tag."""
    match = _TAG.fullmatch(image.rsplit("/", 1)[-1])
    if not match:
        return None
    major, minor, patch, variant = match.groups()
    return (int(major), int(minor), int(patch)), variant or ""


def shown(version: Version) -> str:
    return ".".join(str(n) for n in version)


def _outside(service: str, image: str) -> str | None:
    """What is wrong with `image` for `service`'s row, None when the program writes for it."""
    row = IMAGE_VERSIONS[service]
    found = tag_version(image)
    if found is None:
        return ("names no version (a digest alone): the program writes flags and fields for a release, "
                "so give the tag beside the digest (repository:1.2.3@sha256:...)")
    version, variant = found
    if version < row.floor:
        return f"({shown(version)}) is older than {shown(row.floor)}: {row.why}"
    if row.major is not None and version[0] > row.major:
        return f"({shown(version)}) is a later major than {row.major}: {row.why}"
    if row.variant and not variant.startswith(row.variant):
        return f"must be the {row.variant} variant: {row.variant_why}"
    return None


def _repository(image: str) -> str:
    return image.split("@")[0].rsplit(":", 1)[0]


def _fix(service: str, images: dict[str, str]) -> str:
    """The pinned image; for a row that shares another's version, this repository at that row's version
    when that one is accepted (the pinned tag would then differ from it)."""
    other = IMAGE_VERSIONS[service].same_version_as
    found = tag_version(images[other]) if other is not None and _outside(other, images[other]) is None else None
    if found is not None:
        return f"{_repository(CATALOG[service].image)}:{shown(found[0])}"
    return CATALOG[service].image


def check_image_versions(images: dict[str, str], problems: Problems) -> None:
    """Each image against its row, then the rows that must share a version."""
    for service in IMAGE_VERSIONS:
        key = f"images.{service}"
        wrong = None if problems.about(key) else _outside(service, images[service])
        if wrong:
            problems.add(key, f"{wrong}, got {images[service]!r}", fix_command(key, _fix(service, images)))
    for service, row in IMAGE_VERSIONS.items():
        if row.same_version_as is None:
            continue
        key, other = f"images.{service}", f"images.{row.same_version_as}"
        mine, theirs = tag_version(images[service]), tag_version(images[row.same_version_as])
        if problems.about(key, other) or mine is None or theirs is None or mine[0] == theirs[0]:
            continue
        problems.add(key, f"({shown(mine[0])}) must be the version of {other} ({shown(theirs[0])}): "
                     f"{service.capitalize()} refuses to run against another version",
                     fix_command(key, f"{_repository(images[service])}:{shown(theirs[0])}"))
