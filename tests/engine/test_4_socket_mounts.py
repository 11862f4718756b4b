"""The Docker socket mounted read-only, on the engine: `:ro` does not limit the API (a unix socket is
connected to, not written as a file), so a root container with the socket drives the engine; only the
socket's own mode keeps another user out. docs/images.md "Docker socket mounts" lists who has it and why."""

from __future__ import annotations

import json

from tests.engine.daemon import PrivateDaemon

API = "http://engine/v1.41"


def _curl_image(images: dict[str, str]) -> str:
    return next(tag for pinned, tag in images.items() if pinned.startswith("curlimages/curl:"))


def _with_socket(engine: PrivateDaemon, image: str, user: str, *curl: str) -> tuple[int, str]:
    """curl, as `user`, in a container given this daemon's socket read-only as the program mounts it."""
    done = engine.docker("run", "--rm", "--network", "none", "--user", user,
                         "-v", f"{engine.socket}:/var/run/docker.sock:ro", "--entrypoint", "curl", image,
                         "-sS", "--unix-socket", "/var/run/docker.sock", *curl, check=False)
    return done.returncode, (done.stdout + done.stderr).decode(errors="replace")


def test_a_read_only_socket_mount_still_drives_the_engine_for_root_only(engine, images):
    image = _curl_image(images)
    code, listed = _with_socket(engine, image, "0:0", f"{API}/containers/json")
    assert code == 0 and isinstance(json.loads(listed), list), listed
    # Not only reads: root creates a container through the read-only mount (and could start a privileged one).
    body = json.dumps({"Image": image, "Cmd": ["true"]})
    code, created = _with_socket(engine, image, "0:0", "-X", "POST", "-H", "Content-Type: application/json",
                                 "-d", body, f"{API}/containers/create?name=socket-mount-proof")
    try:
        assert code == 0 and "Id" in json.loads(created), created
    finally:
        engine.docker("rm", "-f", "socket-mount-proof", check=False)
    # A user outside the socket's group (node-exporter's 65534, which sees the socket under its `/` mount)
    # cannot connect: curl exit 7.
    code, refused = _with_socket(engine, image, "65534:65534", f"{API}/containers/json")
    assert code == 7, refused
