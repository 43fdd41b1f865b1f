"""A tiny CrossGuard pack for the offline engine's own tests.

- `no-public-read-bucket` (mandatory): an S3 bucket with a public-read ACL.
- `stack-has-provider` (advisory, stack policy): reports how many resources use an explicit provider,
  proving AnalyzeStack sees providers and parents.
"""
from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy, StackValidationPolicy


def _no_public_read(args, report_violation):
    if args.resource_type == "aws:s3/bucket:Bucket" and args.props.get("acl") in ("public-read", "public-read-write"):
        report_violation(f"bucket {args.name} is public ({args.props['acl']})")


def _explicit_providers(args, report_violation):
    with_provider = [r for r in args.resources if r.provider is not None]
    with_parent = [r for r in args.resources if r.parent is not None]
    report_violation(f"{len(with_provider)} resources with an explicit provider, {len(with_parent)} with a parent")


PolicyPack(
    name="sample",
    enforcement_level=EnforcementLevel.MANDATORY,
    policies=[
        ResourceValidationPolicy(name="no-public-read-bucket", description="S3 buckets are not public.",
                                 remediation_steps="Set the bucket's acl to private and serve objects through "
                                                   "a signed URL or a CDN origin access identity.",
                                 validate=_no_public_read),
        StackValidationPolicy(name="stack-has-provider", description="Counts explicit providers.",
                              enforcement_level=EnforcementLevel.ADVISORY, validate=_explicit_providers),
    ],
)
