"""Images pinned: every image a container runs names an exact version, never `latest` or no tag."""

from __future__ import annotations

from pulumi_policy import (
    ReportViolation,
    ResourceValidationArgs,
)
from pulumi_policy.proxy import UnknownValueError

from policy.values import CONTAINER, REMOTE_IMAGE, describe, mandatory, prop, service_of


def pin_problem(image: str) -> str | None:
    """Why `image` is not pinned, or None. An image ID (`sha256:...`) or a digest pins exactly."""
    if image.startswith("sha256:") or "@sha256:" in image:
        return None
    last = image.rsplit("/", 1)[-1]
    if ":" not in last:
        return "has no tag (Docker would pull `latest`)"
    tag = last.rsplit(":", 1)[1]
    if tag.lower() == "latest":
        return "uses the moving tag `latest`"
    if not tag:
        return "has an empty tag"
    return None


def _fix(service: str | None) -> str:
    key = f"images.{service}" if service else "images.<service>"
    return (f"pin an exact version (e.g. prom/prometheus:v3.5.0) in settings/catalog.py, or "
            f"`pulumi config set --path {key} <image>:<version>`")


def check_images_pinned(args: ResourceValidationArgs, report: ReportViolation) -> None:
    if args.resource_type == REMOTE_IMAGE:
        image, service = prop(args.props, "name"), None
        # The Service component names its image `<service>-image`.
        service = args.name.removesuffix("-image") if args.name.endswith("-image") else None
    elif args.resource_type == CONTAINER:
        service = service_of(args.props)
        try:
            image = prop(args.props, "image")
        except UnknownValueError:
            # Not known during preview: the ID of a RemoteImage being pulled, checked on that RemoteImage.
            return
    else:
        return
    what = describe(args.resource_type, args.name, args.props)
    if not image:
        report(f"{what} names no image: {_fix(service)}.", None)
        return
    problem = pin_problem(str(image))
    if problem:
        report(f"{what}: image '{image}' {problem}; {_fix(service)}.", None)


images_pinned = mandatory(
    "images-pinned",
    "Every image is pinned to an exact version (no `latest`, no missing tag).",
    check_images_pinned,
)
