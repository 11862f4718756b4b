"""Data volumes are protected in prod: neither `pulumi destroy` nor a replacement may delete them."""

from __future__ import annotations

from pulumi_policy import (
    EnforcementLevel,
    ReportViolation,
    StackValidationArgs,
    StackValidationPolicy,
)

from policy.values import PROD_STACK, VOLUME, describe, stack_of


def check_volumes_protected(args: StackValidationArgs, report: ReportViolation) -> None:
    for resource in args.resources:
        if resource.resource_type != VOLUME or stack_of(resource.props) != PROD_STACK:
            continue
        if not resource.opts.protect:
            what = describe(resource.resource_type, resource.name, resource.props)
            report(f"{what} is not protected: a destroy or replacement would delete its data; create it with "
                   f"StackContext.data_volume() and keep `pulumi config set protectData true` in prod.",
                   resource.urn)


volumes_protected = StackValidationPolicy(
    name="prod-data-volumes-protected",
    description="Every data volume of prod is protected (protect=True).",
    validate=check_volumes_protected,
    enforcement_level=EnforcementLevel.MANDATORY,
)
