"""AWS apply rules."""
from __future__ import annotations

import json
import re

from offline.apply import Graph, ignored, known, rule

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
    # A stack may declare the account's Auto Scaling role existing (cells[].aws.autoscaling_service_role:
    # existing, a second stack in the account): then it is there before the key policy names it.
    existing = {"autoscaling.amazonaws.com"} if any(
        isinstance(c, dict) and c.get("cloud") == "aws" and (c.get("aws") or {}).get("autoscaling_service_role")
        == "existing" for c in (g.cfg("platform:cells") or [])) else set()
    for r in g.of_type("aws:kms/key:Key", "aws:kms/keyPolicy:KeyPolicy"):
        policy = (r["inputs"] or {}).get("policy")
        if not known(policy):
            continue
        text = policy if isinstance(policy, str) else json.dumps(policy)
        deps = g.deps(r["urn"])
        for service, role in sorted(set(_SLR.findall(text))):
            if service not in existing and not any(s == service and u in deps for s, u in slrs):
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


# --- deploys, but would not work -----------------------------------------------------------------

def _policy(value) -> dict:
    if isinstance(value, dict):
        return value
    try:
        return json.loads(value) if known(value) else {}
    except (TypeError, ValueError):
        return {}


def _statements(doc: dict) -> list[dict]:
    st = doc.get("Statement") or []
    return st if isinstance(st, list) else [st]


def _as_list(v) -> list:
    return v if isinstance(v, list) else [v]


def _pod_identity_roles(g: Graph) -> dict[str, dict]:
    """Roles bound by a Pod Identity association, by ARN -> the association."""
    return {(a["inputs"] or {}).get("roleArn"): a for a in g.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")}


@rule("aws-pod-identity-trust",
      "A Pod Identity role trusts pods.eks.amazonaws.com with sts:AssumeRole + sts:TagSession, scoped by the session "
      "tags Pod Identity sets (aws:RequestTag/kubernetes-namespace, kubernetes-service-account, eks-cluster-arn), "
      "not by an aws:SourceArn Pod Identity does not send",
      "https://docs.aws.amazon.com/eks/latest/userguide/pod-id-role.html")
def pod_identity_trust(g: Graph):
    bound = _pod_identity_roles(g)
    for role in g.of_type("aws:iam/role:Role"):
        assoc = bound.get((role.get("outputs") or {}).get("arn"))
        if assoc is None:
            continue
        for st in _statements(_policy((role["inputs"] or {}).get("assumeRolePolicy"))):
            if "pods.eks.amazonaws.com" not in _as_list((st.get("Principal") or {}).get("Service")):
                continue
            actions = set(_as_list(st.get("Action")))
            if not {"sts:AssumeRole", "sts:TagSession"} <= actions:
                yield role["urn"], (f"trust of a Pod Identity role allows {sorted(actions)}: EKS Pod Identity needs "
                                    "sts:AssumeRole and sts:TagSession (it tags the session), or no pod gets credentials")
            keys = {k for op in (st.get("Condition") or {}).values() if isinstance(op, dict) for k in op}
            if "aws:SourceArn" in keys:
                yield role["urn"], ("trust of a Pod Identity role conditions on aws:SourceArn: Pod Identity scopes by "
                                    "session tags (aws:RequestTag/eks-cluster-arn, kubernetes-namespace, "
                                    "kubernetes-service-account); the condition denies every pod")
            want = {"aws:RequestTag/kubernetes-namespace", "aws:RequestTag/kubernetes-service-account"}
            if not want <= keys:
                yield role["urn"], (f"trust of a Pod Identity role does not pin {sorted(want - keys)}: any Pod "
                                    "Identity association of the account could assume it"), "warning"


def _eks_cluster_of(g: Graph, resource: dict):
    """The EKS cluster name a Kubernetes object goes through (its provider's kubeconfig comes from it)."""
    provider = (resource.get("provider") or "").rsplit("::", 1)[0]
    clusters = {c["urn"]: c for c in g.of_type("aws:eks/cluster:Cluster")}
    for urn in g.deps_of_urns([provider]) & set(clusters):
        c = clusters[urn]
        return (c.get("outputs") or {}).get("name") or (c["inputs"] or {}).get("name")
    return None


@rule("aws-pod-identity-wait",
      "A Deployment whose service account has a Pod Identity association waits for the association, the "
      "eks-pod-identity-agent add-on and a node group (first pods would otherwise start without credentials)",
      "https://docs.aws.amazon.com/eks/latest/userguide/pod-id-agent-setup.html")
def pod_identity_wait(g: Graph):
    def on(cluster: str, type_: str, addon: str = None) -> set:
        return {r["urn"] for r in g.of_type(type_) if (r["inputs"] or {}).get("clusterName") == cluster
                and (addon is None or (r["inputs"] or {}).get("addonName") == addon)}

    for d in g.of_type("kubernetes:apps/v1:Deployment"):
        cluster = _eks_cluster_of(g, d)
        if cluster is None:
            continue
        inputs = d["inputs"] or {}
        ns = (inputs.get("metadata") or {}).get("namespace")
        sa = ((((inputs.get("spec") or {}).get("template") or {}).get("spec") or {}).get("serviceAccountName")
              or "default")
        mine = {a["urn"] for a in g.of_type("aws:eks/podIdentityAssociation:PodIdentityAssociation")
                if (a["inputs"] or {}).get("clusterName") == cluster
                and (a["inputs"] or {}).get("namespace") == ns and (a["inputs"] or {}).get("serviceAccount") == sa}
        if not mine:
            continue
        deps = g.deps(d["urn"])
        missing = [what for what, urns in (
            ("its Pod Identity association", mine),
            ("the eks-pod-identity-agent add-on", on(cluster, "aws:eks/addon:Addon", "eks-pod-identity-agent")),
            ("a node group", on(cluster, "aws:eks/nodeGroup:NodeGroup"))) if not urns & deps]
        if missing:
            yield d["urn"], (f"Deployment of {ns}/{sa} on {cluster} does not wait for {', '.join(missing)}: its "
                             "first pods can start without credentials (IMDS hop limit 1 leaves no fallback)")


@rule("aws-vpc-cni-network-policy",
      "NetworkPolicies on EKS are enforced only by a vpc-cni add-on with enableNetworkPolicy",
      "https://docs.aws.amazon.com/eks/latest/userguide/cni-network-policy-configure.html")
def vpc_cni_network_policy(g: Graph):
    if not g.of_type("kubernetes:networking.k8s.io/v1:NetworkPolicy"):
        return
    enforced = set()
    for a in g.of_type("aws:eks/addon:Addon"):
        inputs = a["inputs"] or {}
        if inputs.get("addonName") == "vpc-cni" and str(_policy(inputs.get("configurationValues")).get(
                "enableNetworkPolicy")).lower() == "true":
            enforced.add(inputs.get("clusterName"))
    for c in g.of_type("aws:eks/cluster:Cluster"):
        name = (c.get("outputs") or {}).get("name") or (c["inputs"] or {}).get("name")
        if name not in enforced:
            yield c["urn"], (f"EKS cluster {name!r} runs NetworkPolicies but no vpc-cni add-on with "
                             "configurationValues {\"enableNetworkPolicy\": \"true\"}: the policies are not enforced")


AUTOSCALER_CHARTS = ("cluster-autoscaler", "karpenter")


@rule("aws-eks-nodegroup-autoscaler",
      "A node group with min < max needs a node autoscaler (Cluster Autoscaler, Karpenter or EKS Auto Mode)",
      "https://docs.aws.amazon.com/eks/latest/best-practices/cas.html")
def nodegroup_autoscaler(g: Graph):
    scalers = [r for r in g.of_type("kubernetes:helm.sh/v3:Release", "kubernetes:helm.sh/v4:Chart")
               if any(c in str((r["inputs"] or {}).get("chart", "")) for c in AUTOSCALER_CHARTS)]
    auto_mode = any(((c["inputs"] or {}).get("computeConfig") or {}).get("enabled")
                    for c in g.of_type("aws:eks/cluster:Cluster"))
    if scalers or auto_mode:
        return
    # Only node groups of clusters this stack manages: another stack's cluster may run its own autoscaler.
    clusters = {(c.get("outputs") or {}).get("name") or (c["inputs"] or {}).get("name")
                for c in g.of_type("aws:eks/cluster:Cluster")}
    for r in g.of_type("aws:eks/nodeGroup:NodeGroup"):
        sc = (r["inputs"] or {}).get("scalingConfig") or {}
        if (r["inputs"] or {}).get("clusterName") not in clusters:
            continue
        if known(sc.get("minSize")) and known(sc.get("maxSize")) and sc["minSize"] < sc["maxSize"]:
            yield r["urn"], (f"node group scales {int(sc['minSize'])}..{int(sc['maxSize'])} but nothing scales it: no "
                             "cluster-autoscaler or karpenter release and no EKS Auto Mode; max_size means nothing")


@rule("aws-eks-addon-version-pinned",
      "EKS add-ons name their version (EKS otherwise picks the default one at create, and an update may move it)",
      "https://docs.aws.amazon.com/eks/latest/userguide/updating-an-add-on.html", level="warning")
def addon_pinned(g: Graph):
    for a in g.of_type("aws:eks/addon:Addon"):
        if not (a["inputs"] or {}).get("addonVersion"):
            yield a["urn"], f"add-on {(a['inputs'] or {}).get('addonName')!r} has no addonVersion"


@rule("aws-eks-upgrade-policy",
      "EKS clusters set upgradePolicy.supportType explicitly (EXTENDED support is billed per hour)",
      "https://docs.aws.amazon.com/eks/latest/userguide/view-upgrade-policy.html", level="warning")
def upgrade_policy(g: Graph):
    for c in g.of_type("aws:eks/cluster:Cluster"):
        if not ((c["inputs"] or {}).get("upgradePolicy") or {}).get("supportType"):
            yield c["urn"], "upgradePolicy.supportType is not set: the cluster silently moves to extended support"


# --- the managed collector -----------------------------------------------------------------------

AMP_SCRAPER_ROLE = "AWSServiceRoleForAmazonPrometheusScraper"


@rule("aws-amp-scraper-access-entry",
      "No EKS access entry for an AMP scraper's role on an API-mode cluster: AMP creates that entry itself and "
      "a second one for the same principal is refused (ResourceInUseException)",
      "https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-collector-how-to.html#AMP-collector-eks-setup")
def amp_scraper_access_entry(g: Graph):
    scrapers = {r["urn"] for r in g.of_type("aws:amp/scraper:Scraper")}
    for e in g.of_type("aws:eks/accessEntry:AccessEntry"):
        principal = (e["inputs"] or {}).get("principalArn")
        if (known(principal) and AMP_SCRAPER_ROLE in str(principal)) or (scrapers & g.deps(e["urn"])):
            yield e["urn"], (f"EKS access entry for an AMP scraper's role ({principal}): AMP creates the scraper's "
                             "entry itself on a cluster in API authentication mode; this one fails with "
                             "ResourceInUseException. Remove it.")


@rule("aws-amp-scraper-customer-key-workspace",
      "An AMP scraper writing to a workspace encrypted with a customer managed key needs a role configuration "
      "(source and target roles of the same account)",
      "https://docs.aws.amazon.com/prometheus/latest/userguide/AMP-collector-how-to.html#AMP-collector-create")
def amp_scraper_cmk(g: Graph):
    cmk_workspaces = {(w.get("outputs") or {}).get("arn") for w in g.of_type("aws:amp/workspace:Workspace")
                      if (w["inputs"] or {}).get("kmsKeyArn")}
    for s in g.of_type("aws:amp/scraper:Scraper"):
        inputs = s["inputs"] or {}
        target = ((inputs.get("destination") or {}).get("amp") or {}).get("workspaceArn")
        roles = inputs.get("roleConfiguration") or {}
        if target in cmk_workspaces and not (roles.get("sourceRoleArn") and roles.get("targetRoleArn")):
            yield s["urn"], (f"scraper writes to {target}, encrypted with a customer managed key, without "
                             "roleConfiguration (sourceRoleArn and targetRoleArn): AMP cannot write to the "
                             "workspace and no metric arrives")


@rule("aws-iam-policy-lint",
      "Every IAM policy document the program renders (role trust and inline policies, key, bucket and topic "
      "policies) has no parliament finding of MEDIUM or higher, unless deploy/aws-iam-lint-exceptions.yaml "
      "declares it with a reason",
      "https://github.com/duo-labs/parliament")
def iam_policy_lint(g: Graph):
    from .apply_iam import POLICY_INPUTS, lint

    for r in g.of_type(*POLICY_INPUTS):
        for field_, kind in POLICY_INPUTS[r["type"]]:
            doc = (r["inputs"] or {}).get(field_)
            if not known(doc) or doc in (None, ""):
                continue
            for f in lint(doc, kind, r["name"]):
                yield r["urn"], (f"{field_}: parliament {f['severity']} {f['issue']}: {f['detail'][:300]} (fix it, or "
                                 "declare it in deploy/aws-iam-lint-exceptions.yaml with its reason)")


# ---------------------------------------------------------------------------------------------
# The deployer's own cluster access (offline/apply/teardown.py, destroy-deployer-grant-order).

DEPLOYER_GRANTS = {"aws:eks/accessEntry:AccessEntry": "principalArn",
                   "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": "principalArn"}


def deployer_principals(deployer: dict) -> set[str]:
    return {deployer.get("aws_role_arn")} - {None}


def grant_clusters(g: Graph, grant: dict, clusters: list[dict]) -> list[dict]:
    """An access entry (or its policy association) reaches the EKS cluster it names."""
    from offline.apply.teardown import _refs

    inputs = grant.get("inputs") or {}
    return [c for c in clusters if c["type"] == "aws:eks/cluster:Cluster"
            and (inputs.get("clusterName") in _refs(c) | {(c.get("inputs") or {}).get("name")}
                 or c["urn"] in (grant.get("propertyDependencies") or {}).get("clusterName", []))]
