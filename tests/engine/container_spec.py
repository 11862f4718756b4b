"""ContainerCreate's body and the upload archives from a container's inputs, as the docker provider builds them.

terraform-provider-docker 4.x `resource_docker_container_funcs.go` `resourceDockerContainerCreate`
(Config, HostConfig) and `resource_docker_container_structures.go` (`portSetToDockerPorts`,
`volumeSetToDockerVolumes`: `volume:path:rw|ro`, `deviceSetToDockerDevices`); see tests/engine/deploy.py.
"""

from __future__ import annotations

import io
import tarfile
import time
from collections.abc import Iterable
from typing import Any

from tests.engine.daemon import PrivateDaemon

DEFAULT_DATA_ROOT = "/var/lib/docker"
# Config fields copied as they are when set: input name -> Engine API name.
_CONFIG_FIELDS = {"command": "Cmd", "entrypoints": "Entrypoint", "user": "User", "envs": "Env",
                  "workingDir": "WorkingDir", "hostname": "Hostname"}
_HOST_FIELDS = {"tmpfs": "Tmpfs", "securityOpts": "SecurityOpt", "networkMode": "NetworkMode", "pidMode": "PidMode",
                "groupAdds": "GroupAdd"}


def labels(items: Iterable[dict[str, str]] | None) -> dict[str, str]:
    return {item["label"]: item["value"] for item in items or []}


def duration_ns(text: str | None) -> int:
    """A Go duration as the provider parses it (`time.ParseDuration`): ms, s, m, h."""
    if not text:
        return 0
    units = {"ms": 10**6, "s": 10**9, "m": 60 * 10**9, "h": 3600 * 10**9}
    total, number, i = 0, "", 0
    while i < len(text):
        ch = text[i]
        if ch.isdigit() or ch == ".":
            number += ch
            i += 1
            continue
        unit = "ms" if text[i:i + 2] == "ms" else ch
        total += int(float(number) * units[unit])
        number = ""
        i += len(unit)
    return total


def host_path(path: str, daemon: PrivateDaemon) -> str:
    """The default daemon's data root is this daemon's (json-file logs, layers)."""
    if path == DEFAULT_DATA_ROOT or path.startswith(DEFAULT_DATA_ROOT + "/"):
        return str(daemon.data_root) + path[len(DEFAULT_DATA_ROOT):]
    return path


def container_body(inputs: dict[str, Any], daemon: PrivateDaemon) -> dict[str, Any]:
    """ContainerCreate's Config and HostConfig from the container's inputs (provider semantics)."""
    body: dict[str, Any] = {"Image": inputs["image"], "Labels": labels(inputs.get("labels")),
                            "HostConfig": _host_config(inputs, daemon)}
    body.update({api: inputs[name] for name, api in _CONFIG_FIELDS.items() if inputs.get(name)})
    if inputs.get("stopTimeout") is not None:
        body["StopTimeout"] = inputs["stopTimeout"]
    check = inputs.get("healthcheck")
    if check:
        body["Healthcheck"] = {"Test": check["tests"], "Interval": duration_ns(check.get("interval")),
                               "Timeout": duration_ns(check.get("timeout")),
                               "StartPeriod": duration_ns(check.get("startPeriod")),
                               "Retries": check.get("retries", 0)}
    ports = inputs.get("ports") or []
    if ports:
        body["ExposedPorts"] = {f"{p['internal']}/{p.get('protocol', 'tcp')}": {} for p in ports}
    return body


def _host_config(inputs: dict[str, Any], daemon: PrivateDaemon) -> dict[str, Any]:
    caps = inputs.get("capabilities") or {}
    host: dict[str, Any] = {
        "RestartPolicy": {"Name": inputs.get("restart", "no"), "MaximumRetryCount": inputs.get("maxRetryCount", 0)},
        "ReadonlyRootfs": bool(inputs.get("readOnly", False)),
        "Privileged": bool(inputs.get("privileged", False)),
        "LogConfig": {"Type": inputs.get("logDriver", "json-file"), "Config": inputs.get("logOpts") or {}},
        "CapAdd": caps.get("adds") or None, "CapDrop": caps.get("drops") or None,
    }
    host.update({api: inputs[name] for name, api in _HOST_FIELDS.items() if inputs.get(name)})
    bindings: dict[str, list[dict[str, str]]] = {}
    for p in inputs.get("ports") or []:
        bindings.setdefault(f"{p['internal']}/{p.get('protocol', 'tcp')}", []).append(
            {"HostIp": p.get("ip", "0.0.0.0"), "HostPort": str(p.get("external", ""))})
    if bindings:
        host["PortBindings"] = bindings
    binds = [f"{v.get('volumeName') or host_path(v.get('hostPath', ''), daemon)}:{v['containerPath']}:"
             f"{'ro' if v.get('readOnly') else 'rw'}" for v in inputs.get("volumes") or []]
    if binds:
        host["Binds"] = binds
    mounts = [_mount(m, daemon) for m in inputs.get("mounts") or []]
    if mounts:
        host["Mounts"] = mounts
    if inputs.get("devices"):
        host["Devices"] = [{"PathOnHost": d["hostPath"], "PathInContainer": d.get("containerPath", d["hostPath"]),
                            "CgroupPermissions": d.get("permissions", "rwm")} for d in inputs["devices"]]
    host.update(_limits(inputs))
    return host


def _mount(m: dict[str, Any], daemon: PrivateDaemon) -> dict[str, Any]:
    mount: dict[str, Any] = {"Type": m["type"], "Target": m["target"], "Source": host_path(m.get("source", ""), daemon),
                             "ReadOnly": bool(m.get("readOnly", False))}
    if m.get("bindOptions"):
        mount["BindOptions"] = {"Propagation": m["bindOptions"].get("propagation", "")}
    return mount


def _limits(inputs: dict[str, Any]) -> dict[str, int]:
    """Memory and MemorySwap in MB * 1024 * 1024 (a negative swap as it is), CPU quota and period."""
    limits: dict[str, int] = {}
    if inputs.get("memory"):
        limits["Memory"] = int(inputs["memory"]) * 1024 * 1024
    swap = int(inputs.get("memorySwap") or 0)
    if swap:
        limits["MemorySwap"] = swap * 1024 * 1024 if swap > 0 else swap
    if inputs.get("cpuQuota"):
        limits["CpuQuota"] = int(inputs["cpuQuota"])
    if inputs.get("cpuPeriod"):
        limits["CpuPeriod"] = int(inputs["cpuPeriod"])
    return limits


def upload_tar(upload: dict[str, Any]) -> bytes:
    """One upload as the provider archives it: one file entry, mode from `permissions` (octal) else 0644."""
    content = str(upload.get("content", "")).encode()
    info = tarfile.TarInfo(str(upload["file"]).lstrip("/"))
    info.size = len(content)
    info.mtime = int(time.time())
    if upload.get("permissions"):
        info.mode = int(str(upload["permissions"]), 8)
    else:
        info.mode = 0o744 if upload.get("executable") else 0o644
    info.uid = int(upload.get("owner") or 0)
    info.gid = int(upload.get("group") or 0)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()
