"""Test images standing for the pinned ones, built from Debian packages without any registry.

One root filesystem (tests/engine/images/build-rootfs.sh: debootstrap bookworm + Debian's
Prometheus, Alertmanager, exporters, Caddy, PostgreSQL, curl, busybox, python3) is cached as a
tarball named by the content hash of its recipe under CACHE, imported once into a daemon
(`docker import`), and each service image is a thin `docker build` on it that reproduces what the
program relies on in the pinned image (docs/images.md): user and group ids, paths and their owners
and modes, the tools healthchecks and scripts call, the entrypoint's behaviour. Five are
STAND-INS (no Debian package): tests/engine/images/standin.py serves their health endpoint after
reading and writing what the real one would.

Where a Debian version cannot honour what the program asks of the pinned one, the image says so in
DIFFERENCES (and docs/images.md, "Test images"); a flag the Debian binary lacks is dropped by that
image's wrapper *with a log line naming it*, never silently.
"""

from __future__ import annotations

import fcntl
import hashlib
import io
import os
import subprocess
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from settings.catalog import DEFAULT_IMAGES
from tests.engine.daemon import PrivateDaemon

HERE = Path(__file__).parent / "images"
RECIPE = HERE / "build-rootfs.sh"
STANDIN = HERE / "standin.py"
# CHRISTMAS_ENGINE_CACHE: another cache (e.g. to time a cold build without disturbing the shared one).
CACHE = Path(os.environ.get("CHRISTMAS_ENGINE_CACHE", "/var/cache/christmas-monitoring/engine"))


@dataclass(frozen=True)
class TestImage:
    service: str  # the catalog service whose pinned image it stands for
    dockerfile: str  # everything after FROM <base>
    standin: bool = False
    differences: tuple[str, ...] = ()
    files: dict[str, str] = field(default_factory=dict)

    @property
    def pinned(self) -> str:
        return DEFAULT_IMAGES[self.service]


# busybox applets the pinned busybox/alpine images have and Debian's minbase lacks (wget: most
# healthchecks; nc: Prometheus' and Alertmanager's, components/auth.py). /bin/sh stays Debian's dash
# (POSIX, like busybox ash for what the scripts use).
_BUSYBOX_WGET = "RUN ln -s /bin/busybox /usr/local/bin/wget && ln -s /bin/busybox /usr/local/bin/nc\n"
_NOBODY_DIRS = "RUN mkdir -p {dirs} && chown 65534:65534 {dirs} && chmod 0755 {dirs}\n"

# curlimages/curl's /entrypoint.sh: a first word that is an option or not a command goes to curl.
_CURL_ENTRYPOINT = """#!/bin/sh
set -e
if [ "${1#-}" != "${1}" ] || [ -z "$(command -v "${1}")" ]; then
  set -- curl "$@"
fi
exec "$@"
"""

# Elasticsearch's docker-entrypoint.sh, the parts the stack relies on: each *_FILE variable's file
# must be mode 400 or 600 and is read into the variable; a command other than eswrapper is exec'ed.
_ES_ENTRYPOINT = """#!/bin/bash
set -e
for var in $(compgen -e); do
  if [[ "$var" == *_FILE && "$var" != *__FILE ]]; then
    file="${!var}"
    mode=$(stat -L -c '%a' "$file")
    if [[ "$mode" != 400 && "$mode" != 600 ]]; then
      echo "ERROR: File $file from $var must have file permissions 400 or 600, but actually has: $mode" >&2
      exit 1
    fi
    name="${var%_FILE}"
    export "$name"="$(cat "$file")"
    unset "$var"
  fi
done
if [[ "$1" != "eswrapper" && "$(basename "$1")" != "elasticsearch" ]]; then
  exec "$@"
fi
exec /usr/local/bin/standin.py elasticsearch
"""

# Grafana's run.sh: every GF_*__FILE is read into GF_* (standin.py reads them; it fails if it cannot).
_GRAFANA_RUN = "#!/bin/sh\nexec /usr/local/bin/standin.py grafana \"$@\"\n"

# postgres_exporter 0.11.1 (Debian) has no --collector.stat_statements (v0.17.1 does): dropped with a line.
_PG_EXPORTER = """#!/bin/sh
for arg do
  shift
  case "$arg" in
    --collector.stat_statements)
      echo "test image: Debian postgres_exporter 0.11.1 has no $arg; dropped (DIFFERENCES)" >&2 ;;
    *) set -- "$@" "$arg" ;;
  esac
done
exec /usr/bin/prometheus-postgres-exporter "$@"
"""

IMAGES: tuple[TestImage, ...] = (
    TestImage("prometheus",
              _BUSYBOX_WGET + _NOBODY_DIRS.format(dirs="/etc/prometheus /prometheus")
              + "RUN ln -s /usr/bin/prometheus /bin/prometheus-v2 && rm -rf /var/lib/prometheus\n"
              "USER nobody\nWORKDIR /prometheus\nEXPOSE 9090\nVOLUME [\"/prometheus\"]\n"
              "ENTRYPOINT [\"/usr/bin/prometheus\"]\n"
              "CMD [\"--config.file=/etc/prometheus/prometheus.yml\", \"--storage.tsdb.path=/prometheus\"]\n",
              differences=("Prometheus 2.42 (Debian) for v3.5.0: v3-only configuration or flags are not honoured; "
                           "the program's rendered files are checked by promtool 2.42 in the unit tests",)),
    TestImage("alertmanager",
              _BUSYBOX_WGET + _NOBODY_DIRS.format(dirs="/etc/alertmanager /alertmanager")
              + "USER nobody\nWORKDIR /alertmanager\nEXPOSE 9093\nVOLUME [\"/alertmanager\"]\n"
              "ENTRYPOINT [\"/usr/bin/prometheus-alertmanager\"]\n"
              "CMD [\"--config.file=/etc/alertmanager/alertmanager.yml\", \"--storage.path=/alertmanager\"]\n",
              differences=("Alertmanager 0.25 (Debian) for v0.28.1: webhook url_file and other 0.26+ keys are "
                           "refused (the program does not use them; docs/images.md, Secrets)",)),
    TestImage("node-exporter",
              _BUSYBOX_WGET + "USER nobody\nEXPOSE 9100\nENTRYPOINT [\"/usr/bin/prometheus-node-exporter\"]\n",
              differences=("node_exporter 1.5 (Debian) for v1.9.1",)),
    TestImage("postgres-exporter",
              _BUSYBOX_WGET + "COPY postgres_exporter /usr/local/bin/postgres_exporter\n"
              "RUN chmod 0755 /usr/local/bin/postgres_exporter\n"
              "USER nobody\nEXPOSE 9187\nENTRYPOINT [\"/usr/local/bin/postgres_exporter\"]\n",
              files={"postgres_exporter": _PG_EXPORTER},
              differences=("postgres_exporter 0.11.1 (Debian) for v0.17.1: --collector.stat_statements "
                           "does not exist there and is dropped by the wrapper with a log line",)),
    TestImage("elasticsearch-exporter",
              # The program's entrypoint execs /bin/elasticsearch_exporter (the pinned image's path).
              _BUSYBOX_WGET + "RUN ln -s /usr/bin/prometheus-elasticsearch-exporter /bin/elasticsearch_exporter\n"
              "USER nobody\nEXPOSE 9114\nENTRYPOINT [\"/usr/bin/prometheus-elasticsearch-exporter\"]\n",
              differences=("elasticsearch_exporter 1.5 (Debian) for v1.11.0",)),
    TestImage("blackbox-exporter",
              _BUSYBOX_WGET + "RUN mkdir -p /etc/blackbox_exporter\nEXPOSE 9115\n"
              "ENTRYPOINT [\"/usr/bin/prometheus-blackbox-exporter\"]\n"
              "CMD [\"--config.file=/etc/blackbox_exporter/config.yml\"]\n",
              differences=("blackbox_exporter 0.23 (Debian) for v0.28.0",)),
    TestImage("edge",
              _BUSYBOX_WGET + "RUN mkdir -p /config/caddy /data/caddy /etc/caddy /usr/share/caddy\n"
              "ENV XDG_CONFIG_HOME=/config XDG_DATA_HOME=/data\nEXPOSE 80 443 2019\nWORKDIR /srv\n"
              "CMD [\"caddy\", \"run\", \"--config\", \"/etc/caddy/Caddyfile\", \"--adapter\", \"caddyfile\"]\n",
              differences=("Caddy 2.6.2 (Debian) for 2.11.2: Caddyfile directives newer than 2.6 are refused "
                           "(the unit tests `caddy validate` the rendered Caddyfile with the same 2.6)",)),
    TestImage("elastic-setup",
              "COPY entrypoint.sh /entrypoint.sh\nRUN chmod 0755 /entrypoint.sh"
              " && groupadd -o -g 101 curl_group && useradd -o -u 100 -g 101 -m -d /home/curl_user curl_user\n"
              "USER curl_user\nENTRYPOINT [\"/entrypoint.sh\"]\nCMD [\"curl\"]\n",
              files={"entrypoint.sh": _CURL_ENTRYPOINT},
              differences=("curl 7.88 (Debian) for curl 8.13.0; sh is dash, not busybox ash",)),
    TestImage("grafana",
              _BUSYBOX_WGET + "COPY run.sh /run.sh\n"
              "RUN chmod 0755 /run.sh && useradd -u 472 -g 0 -M -d /usr/share/grafana grafana"
              " && mkdir -p /var/lib/grafana /usr/share/grafana /etc/grafana/provisioning"
              " && chown 472:0 /var/lib/grafana && chmod 0770 /var/lib/grafana\n"
              "ENV GF_PATHS_DATA=/var/lib/grafana\nUSER 472\nEXPOSE 3000\nENTRYPOINT [\"/run.sh\"]\n",
              standin=True, files={"run.sh": _GRAFANA_RUN},
              differences=("STAND-IN: not Grafana. /api/health answers after it read every GF_*__FILE and "
                           "wrote /var/lib/grafana/grafana.db as uid 472; no dashboards, data sources or API",)),
    TestImage("elasticsearch",
              "COPY docker-entrypoint.sh /usr/local/bin/docker-entrypoint.sh\n"
              "RUN chmod 0755 /usr/local/bin/docker-entrypoint.sh && useradd -u 1000 -g 0 -M "
              "-d /usr/share/elasticsearch elasticsearch"
              " && mkdir -p /usr/share/elasticsearch/data /usr/share/elasticsearch/config /usr/share/elasticsearch/logs"
              " && chown -R 1000:0 /usr/share/elasticsearch && chmod 0775 /usr/share/elasticsearch/data"
              " /usr/share/elasticsearch/config /usr/share/elasticsearch/logs\n"
              "WORKDIR /usr/share/elasticsearch\nUSER 1000:0\nEXPOSE 9200 9300\n"
              "ENTRYPOINT [\"/usr/local/bin/docker-entrypoint.sh\"]\nCMD [\"eswrapper\"]\n",
              standin=True, files={"docker-entrypoint.sh": _ES_ENTRYPOINT},
              differences=("STAND-IN: not Elasticsearch. The entrypoint's *_FILE rule (mode 400/600) is "
                           "reproduced; the server checks the elastic password on every path but stores "
                           "nothing and answers every other request 200 {\"acknowledged\":true}; no tini",)),
    TestImage("kibana",
              "RUN useradd -u 1000 -g 0 -M -d /usr/share/kibana kibana && mkdir -p /usr/share/kibana/config"
              " /usr/share/kibana/data && chown -R 1000:0 /usr/share/kibana\n"
              "WORKDIR /usr/share/kibana\nUSER 1000:0\nEXPOSE 5601\n"
              "ENTRYPOINT [\"/usr/local/bin/standin.py\", \"kibana\"]\n",
              standin=True,
              differences=("STAND-IN: not Kibana. Reads kibana.yml as uid 1000, answers / with HTTP/1.1 302 Found",)),
    TestImage("fluent-bit",
              "RUN mkdir -p /fluent-bit/bin /fluent-bit/etc /fluent-bit/data"
              " && ln -s /usr/local/bin/standin.py /fluent-bit/bin/fluent-bit-standin\n"
              "COPY fluent-bit /fluent-bit/bin/fluent-bit\nRUN chmod 0755 /fluent-bit/bin/fluent-bit\n"
              "EXPOSE 2020\nCMD [\"/fluent-bit/bin/fluent-bit\", \"-c\", \"/fluent-bit/etc/fluent-bit.conf\"]\n",
              standin=True, files={"fluent-bit": "#!/bin/sh\nexec /usr/local/bin/standin.py fluent-bit \"$@\"\n"},
              differences=("STAND-IN: not Fluent Bit. Reads its configuration and @INCLUDEd files as root, writes "
                           "/fluent-bit/data, serves /api/v1/health; ships no log line",)),
    TestImage("cadvisor",
              _BUSYBOX_WGET + "EXPOSE 8080\nENTRYPOINT [\"/usr/local/bin/standin.py\", \"cadvisor\"]\n",
              standin=True,
              differences=("STAND-IN: not cAdvisor. Serves /healthz and one metric as root; reads no cgroup",)),
)


def rootfs_tarball(log: list[str] | None = None) -> Path:
    """The common root filesystem, built once per content of its recipe (a lock for parallel runs)."""
    digest = hashlib.sha256(RECIPE.read_bytes()).hexdigest()[:16]
    tarball = CACHE / f"rootfs-{digest}.tar"
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not tarball.exists():
            started = time.monotonic()
            done = subprocess.run(["bash", str(RECIPE), str(tarball), str(CACHE / "debs")],
                                  capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"building the test root filesystem failed:\n{done.stdout}\n{done.stderr}")
            if log is not None:
                log.append(f"rootfs built in {time.monotonic() - started:.0f}s")
        elif log is not None:
            log.append(f"rootfs reused: {tarball}")
    return tarball


def base_tag(tarball: Path) -> str:
    return f"cme-test/base:{tarball.stem.removeprefix('rootfs-')}"


def image_tag(image: TestImage, base: str) -> str:
    content = "\n".join([base, image.dockerfile, *sorted(image.files.items()).__repr__(),
                         STANDIN.read_text() if image.standin else ""])
    return f"cme-test/{image.service}:{hashlib.sha256(content.encode()).hexdigest()[:12]}"


def _has_image(daemon: PrivateDaemon, tag: str) -> bool:
    return daemon.client.request("GET", f"/images/{tag}/json", ok=(404,)).status == 200


def _context(image: TestImage, base: str) -> bytes:
    """The build context: Dockerfile, the stand-in server, the image's own files."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        files = {"Dockerfile": f"FROM {base}\nCOPY standin.py /usr/local/bin/standin.py\n"
                               "RUN chmod 0755 /usr/local/bin/standin.py\n"
                               f"LABEL org.christmas.test-image.stands-for=\"{image.pinned}\""
                               f" org.christmas.test-image.stand-in=\"{str(image.standin).lower()}\"\n"
                               + image.dockerfile,
                 "standin.py": STANDIN.read_text(), **image.files}
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def build_all(daemon: PrivateDaemon, log: list[str] | None = None) -> dict[str, str]:
    """Every test image in `daemon`: {pinned image: test image tag}."""
    tarball = rootfs_tarball(log)
    base = base_tag(tarball)
    if not _has_image(daemon, base):
        started = time.monotonic()
        repo, tag = base.split(":")
        with open(tarball, "rb") as handle:
            daemon.client.stream_lines("POST", "/images/create", handle.read(), "application/x-tar",
                                       fromSrc="-", repo=repo, tag=tag)
        if log is not None:
            log.append(f"base imported in {time.monotonic() - started:.0f}s")
    mapping: dict[str, str] = {}
    started = time.monotonic()
    for image in IMAGES:
        tag = image_tag(image, base)
        if not _has_image(daemon, tag):
            daemon.client.stream_lines("POST", "/build", _context(image, base), "application/x-tar", t=tag, rm="1")
        mapping[image.pinned] = tag
    if log is not None:
        log.append(f"{len(IMAGES)} service images ready in {time.monotonic() - started:.0f}s")
    return mapping
