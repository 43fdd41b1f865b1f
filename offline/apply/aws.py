"""AWS apply rules."""
from __future__ import annotations

import json
import re

from . import Graph, ignored, known, rule

ROUTE53_TAGGED = ("aws:route53/healthCheck:HealthCheck", "aws:route53/zone:Zone")
_R53_VALUE = re.compile(r"^[\w .:/=+\-@]*$", re.ASCII)


@rule("aws-route53-tag-charset",
      "Route 53 tag keys (128) and values (256) use only letters, digits, spaces and _ . : / = + - @",
      "https://docs.aws.amazon.com/Route53/latest/APIReference/API_Tag.html")
def route53_tags(g: Graph):
    for r in g.of_type(*ROUTE53_TAGGED):
        for k, v in ((r["inputs"] or {}).get("tags") or {}).items():
            if not _R53_VALUE.match(k) or len(k) > 128:
                yield r["urn"], f"tag key {k!r}: Route 53 allows letters, digits, spaces, _ . : / = + - @, 128 chars"
            if known(v) and (not _R53_VALUE.match(str(v)) or len(str(v)) > 256):
                bad = sorted({c for c in str(v) if not _R53_VALUE.match(c)})
                yield r["urn"], (f"tag {k}={v!r}: Route 53 tag values allow letters, digits, spaces and "
                                 f"_ . : / = + - @ (max 256); offending: {bad or 'length'}")


_SG_DESC = re.compile(r"^[a-zA-Z0-9. _\-:/()#,@\[\]+=&;{}!$*]*$")
SG_TYPES = ("aws:ec2/securityGroup:SecurityGroup", "aws:ec2/securityGroupRule:SecurityGroupRule",
            "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
            "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule", "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")


@rule("aws-sg-description-charset",
      "EC2 security group (rule) descriptions: a-zA-Z0-9. _-:/()#,@[]+=&;{}!$*, 255 chars",
      "https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_IpRange.html")
def sg_descriptions(g: Graph):
    for r in g.of_type(*SG_TYPES):
        inputs = r["inputs"] or {}
        texts = [("description", inputs.get("description"))]
        for side in ("ingress", "egress"):
            texts += [(f"{side}[{i}].description", rule_.get("description"))
                      for i, rule_ in enumerate(inputs.get(side) or []) if isinstance(rule_, dict)]
        for path, text in texts:
            if known(text) and (not _SG_DESC.match(str(text)) or len(str(text)) > 255):
                bad = sorted({c for c in str(text) if not _SG_DESC.match(c)})
                yield r["urn"], (f"{path} {text!r}: EC2 allows a-zA-Z0-9. _-:/()#,@[]+=&;{{}}!$* (max 255); "
                                 f"offending: {bad or 'length'}")


_SLR = re.compile(r"aws-service-role/([^/\"]+)/(AWSServiceRoleFor\w+)")


@rule("aws-kms-policy-service-linked-role",
      "A key policy naming a service-linked role needs that role to exist first (ServiceLinkedRole in the stack)",
      "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html")
def kms_slr(g: Graph):
    slrs = {((r["inputs"] or {}).get("awsServiceName"), r["urn"])
            for r in g.of_type("aws:iam/serviceLinkedRole:ServiceLinkedRole")}
    for r in g.of_type("aws:kms/key:Key", "aws:kms/keyPolicy:KeyPolicy"):
        policy = (r["inputs"] or {}).get("policy")
        if not known(policy):
            continue
        text = policy if isinstance(policy, str) else json.dumps(policy)
        deps = g.deps(r["urn"])
        for service, role in sorted(set(_SLR.findall(text))):
            if not any(s == service and u in deps for s, u in slrs):
                yield r["urn"], (f"key policy names {role} ({service}), which a fresh account does not have: "
                                 f"KMS rejects a policy whose principal does not exist; add an "
                                 f"aws:iam/serviceLinkedRole:ServiceLinkedRole for {service} and depend on it")


@rule("aws-eks-nodegroup-desired-size",
      "An EKS node group scaled by an autoscaler ignores scalingConfig.desiredSize",
      "https://docs.aws.amazon.com/eks/latest/APIReference/API_NodegroupScalingConfig.html", level="warning")
def eks_desired(g: Graph):
    for r in g.of_type("aws:eks/nodeGroup:NodeGroup"):
        sc = (r["inputs"] or {}).get("scalingConfig") or {}
        if sc.get("desiredSize") is not None and sc.get("minSize") != sc.get("maxSize") \
                and not ignored(r, "scalingConfig.desiredSize"):
            yield r["urn"], ("scalingConfig.desiredSize is set and min != max: every `up` resets what the "
                             "cluster autoscaler chose; add ignore_changes=['scalingConfig.desiredSize']")
