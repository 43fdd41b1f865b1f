"""The AWS regional cell under the offline engine: dev and prod-aws-us-west-2 run once each, plus a
stack with two AWS cells; every property the cell promises is asserted on the captured inputs by wire name."""
from __future__ import annotations

import importlib
import copy
import json

import pytest

import schema_check
from offline_helpers import preview_config, preview_stack, stack_config

CELL = "aws-us-west-2"
SECOND = "aws-eu-central-1"
HTTPS_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
NODE_PORT = 30080


@pytest.fixture(scope="module")
def dev(tmp_path_factory):
    # Unmasked outputs: the cell contract's values (the masked form is checked on prod).
    run = preview_stack("dev", tmp_path_factory.mktemp("dev"), extra=("--unmasked-outputs",))
    assert run.report is not None and run.returncode == 0, run.stderr[-3000:]
    return run


@pytest.fixture(scope="module")
def prod(tmp_path_factory):
    run = preview_stack("prod-aws-us-west-2", tmp_path_factory.mktemp("prod"))
    assert run.report is not None and run.returncode == 0, run.stderr[-3000:]
    return run


def _two_aws_cells_config() -> dict:
    config = copy.deepcopy(stack_config("dev"))
    first = next(c for c in config["platform:cells"] if c["cloud"] == "aws")
    second = {**copy.deepcopy(first), "name": SECOND, "region": "eu-central-1", "residency": "eu",
              "role": "secondary", "network_cidr": "10.60.0.0/16",
              "cluster": {"min_nodes": 1, "max_nodes": 2, "api_allowed_cidrs": []},
              "bucket": {"noncurrent_version_days": 7}}
    config["platform:cells"] = [first, second]
    return config


@pytest.fixture(scope="module")
def two(tmp_path_factory):
    run = preview_config(_two_aws_cells_config(), tmp_path_factory.mktemp("two"))
    assert run.report is not None and run.returncode == 0, run.stderr[-3000:]
    return run


@pytest.fixture(params=["dev", "prod"])
def run(request):
    return request.getfixturevalue(request.param)


# --- helpers ---------------------------------------------------------------------------------

def in_cell(run, cell: str = CELL) -> list[dict]:
    root = run.one("platform:aws:Cell", cell)
    return [r for r in run.resources if root in run.ancestors(r)]


def of(run, type_: str, cell: str = CELL) -> list[dict]:
    return [r for r in in_cell(run, cell) if r["type"] == type_]


def one(run, type_: str, cell: str = CELL, name: str | None = None) -> dict:
    found = [r for r in of(run, type_, cell) if name is None or r["name"] == name]
    assert len(found) == 1, f"{type_} {name or ''}: {[r['name'] for r in found]}"
    return found[0]


def policy(resource: dict, key: str = "policy") -> list[dict]:
    return json.loads(resource["inputs"][key])["Statement"]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def key_arn(run, cell: str = CELL) -> str:
    return one(run, "aws:kms/key:Key", cell, name=f"{cell}-key")["outputs"]["arn"]  # the cell key (the SLO alert topic has its own)


def models_bucket(run, cell: str = CELL) -> dict:
    return one(run, "aws:s3/bucket:Bucket", cell, name=f"{cell}-models")


def logs_bucket(run, cell: str = CELL) -> dict:
    return one(run, "aws:s3/bucket:Bucket", cell, name=f"{cell}-alb-logs")


def setting(run, type_: str, bucket: dict, cell: str = CELL) -> dict:
    found = [r for r in of(run, type_, cell) if r["inputs"]["bucket"] == bucket["id"]]
    assert len(found) == 1, f"{type_} for {bucket['id']}: {len(found)}"
    return found[0]


def subnets(run, tier: str, cell: str = CELL) -> list[dict]:
    return [s for s in of(run, "aws:ec2/subnet:Subnet", cell) if s["inputs"]["tags"].get("tier") == tier]


# --- network ---------------------------------------------------------------------------------

def test_vpc_has_dns_and_public_and_private_subnets_in_two_zones(run):
    vpc = one(run, "aws:ec2/vpc:Vpc")
    assert vpc["inputs"]["cidrBlock"] == "10.10.0.0/16"
    assert vpc["inputs"]["enableDnsSupport"] is True and vpc["inputs"]["enableDnsHostnames"] is True
    public, private = subnets(run, "public"), subnets(run, "private")
    assert len(public) == 2 and len(private) == 2
    for tier, role_tag in ((public, "kubernetes.io/role/elb"), (private, "kubernetes.io/role/internal-elb")):
        # Zones from the getAvailabilityZones invoke (mocked: us-west-2a, b, c), one subnet per zone.
        assert sorted(s["inputs"]["availabilityZone"] for s in tier) == ["us-west-2a", "us-west-2b"]
        for s in tier:
            assert s["inputs"]["vpcId"] == vpc["id"]
            assert s["inputs"]["mapPublicIpOnLaunch"] is False
            assert s["inputs"]["tags"][role_tag] == "1"
            assert s["inputs"]["tags"]["kubernetes.io/cluster/" + one(run, "aws:eks/cluster:Cluster")["inputs"]["name"]] == "shared"


def test_routes_public_through_the_internet_gateway_and_private_through_nat_per_zone(run):
    vpc = one(run, "aws:ec2/vpc:Vpc")
    igw = one(run, "aws:ec2/internetGateway:InternetGateway")
    assert igw["inputs"]["vpcId"] == vpc["id"]
    nats = of(run, "aws:ec2/natGateway:NatGateway")
    public_ids = {s["id"] for s in subnets(run, "public")}
    assert len(nats) == 2 and {n["inputs"]["subnetId"] for n in nats} == public_ids
    eips = {e["outputs"]["allocationId"] for e in of(run, "aws:ec2/eip:Eip")}
    assert {n["inputs"]["allocationId"] for n in nats} == eips
    routes = of(run, "aws:ec2/route:Route")
    assert all(r["inputs"]["destinationCidrBlock"] == "0.0.0.0/0" for r in routes)
    assert sum(1 for r in routes if r["inputs"].get("gatewayId") == igw["id"]) == 1
    assert {r["inputs"].get("natGatewayId") for r in routes} - {None} == {n["id"] for n in nats}
    # Every subnet is associated with a route table: public ones with the IGW's, private ones with their NAT's.
    rt_of = {a["inputs"]["subnetId"]: a["inputs"]["routeTableId"]
             for a in of(run, "aws:ec2/routeTableAssociation:RouteTableAssociation")}
    route_of = {r["inputs"]["routeTableId"]: r["inputs"] for r in routes}
    for s in subnets(run, "public"):
        assert route_of[rt_of[s["id"]]].get("gatewayId") == igw["id"]
    nat_az = {n["id"]: next(p["inputs"]["availabilityZone"] for p in subnets(run, "public")
                            if p["id"] == n["inputs"]["subnetId"]) for n in nats}
    for s in subnets(run, "private"):
        assert nat_az[route_of[rt_of[s["id"]]]["natGatewayId"]] == s["inputs"]["availabilityZone"]


def test_flow_logs_capture_all_traffic_into_an_encrypted_log_group(run):
    flow = one(run, "aws:ec2/flowLog:FlowLog")
    group = one(run, "aws:cloudwatch/logGroup:LogGroup", name=f"{CELL}-flow-logs")
    assert flow["inputs"]["vpcId"] == one(run, "aws:ec2/vpc:Vpc")["id"]
    assert flow["inputs"]["trafficType"] == "ALL"
    assert flow["inputs"]["logDestinationType"] == "cloud-watch-logs"
    assert flow["inputs"]["logDestination"] == group["outputs"]["arn"]
    assert group["inputs"]["kmsKeyId"] == key_arn(run)
    assert group["inputs"]["retentionInDays"] >= 365
    role = next(r for r in of(run, "aws:iam/role:Role") if r["outputs"]["arn"] == flow["inputs"]["iamRoleArn"])
    assert policy(role, "assumeRolePolicy")[0]["Principal"] == {"Service": "vpc-flow-logs.amazonaws.com"}


def test_default_security_group_admits_nothing(run):
    sg = one(run, "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup")
    assert sg["inputs"]["vpcId"] == one(run, "aws:ec2/vpc:Vpc")["id"]
    assert sg["inputs"]["ingress"] == [] and sg["inputs"]["egress"] == []


# --- key -------------------------------------------------------------------------------------

def test_key_rotates_has_an_alias_and_a_policy_without_kms_star_or_anonymous_principals(run):
    key = one(run, "aws:kms/key:Key", name=f"{CELL}-key")
    assert key["inputs"]["enableKeyRotation"] is True
    assert key["inputs"]["multiRegion"] is False
    alias = one(run, "aws:kms/alias:Alias")
    assert alias["inputs"]["targetKeyId"] == key["outputs"]["keyId"]
    assert alias["inputs"]["name"].startswith("alias/") and CELL in alias["inputs"]["name"]
    statements = policy(key)
    for st in statements:
        actions = as_list(st["Action"])
        assert "kms:*" not in actions and "*" not in actions, st
        assert st["Principal"] != "*" and "*" not in as_list(st["Principal"].get("AWS", [])), st
    root = next(st for st in statements if st["Principal"].get("AWS") == "arn:aws:iam::123456789012:root")
    # The account keeps the right to change the key policy: KMS's lock-out safety check passes.
    assert "kms:Put*" in root["Action"]
    logs = next(st for st in statements if st["Principal"].get("Service") == "logs.us-west-2.amazonaws.com")
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"] == \
        "arn:aws:logs:us-west-2:123456789012:log-group:*"


# --- bucket ----------------------------------------------------------------------------------

def test_models_bucket_is_kms_encrypted_with_the_cell_key_and_bucket_key(run):
    bucket = models_bucket(run)
    sse = setting(run, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                  bucket)
    (rule,) = sse["inputs"]["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "aws:kms",
                                                          "kmsMasterKeyId": key_arn(run)}
    assert rule["bucketKeyEnabled"] is True


@pytest.mark.parametrize("which", ["models", "alb-logs"])
def test_buckets_are_versioned_private_owner_enforced_tls_only_with_lifecycle(run, which):
    bucket = models_bucket(run) if which == "models" else logs_bucket(run)
    # platform:teardown: a destroyable stack (dev) force-destroys its buckets (a versioned,
    # non-empty bucket would otherwise stop `pulumi destroy`), a protected one (prod) keeps (and protects) them.
    disposable = bucket["inputs"]["tags"]["environment"] != "prod"
    assert bucket["inputs"].get("forceDestroy") is disposable
    versioning = setting(run, "aws:s3/bucketVersioning:BucketVersioning", bucket)
    assert versioning["inputs"]["versioningConfiguration"]["status"] == "Enabled"
    pab = setting(run, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", bucket)
    for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets"):
        assert pab["inputs"][flag] is True, flag
    ownership = setting(run, "aws:s3/bucketOwnershipControls:BucketOwnershipControls", bucket)
    assert ownership["inputs"]["rule"] == {"objectOwnership": "BucketOwnerEnforced"}
    statements = policy(setting(run, "aws:s3/bucketPolicy:BucketPolicy", bucket))
    arn = bucket["outputs"]["arn"]
    deny = next(st for st in statements
                if st["Effect"] == "Deny" and st.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false")
    assert deny["Principal"] == "*" and deny["Action"] == "s3:*"
    assert sorted(deny["Resource"]) == [arn, f"{arn}/*"]
    (rule,) = setting(run, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration", bucket)["inputs"]["rules"]
    assert rule["status"] == "Enabled"
    assert rule["noncurrentVersionExpiration"]["noncurrentDays"] == 30  # the config default
    if which == "alb-logs":
        assert rule["expiration"]["days"] == 365
    assert rule["abortIncompleteMultipartUpload"]["daysAfterInitiation"] > 0


def test_alb_log_bucket_uses_s3_managed_keys_and_admits_only_elb_log_delivery(run):
    bucket = logs_bucket(run)
    sse = setting(run, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                  bucket)
    assert sse["inputs"]["rules"][0]["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    allows = [st for st in policy(setting(run, "aws:s3/bucketPolicy:BucketPolicy", bucket)) if st["Effect"] == "Allow"]
    # The ELB log-delivery account of us-west-2, writing under the ALB's prefix in this account only.
    assert allows == [{"Sid": "ElbWritesAccessLogs", "Effect": "Allow",
                       "Principal": {"AWS": "arn:aws:iam::797873946194:root"}, "Action": "s3:PutObject",
                       "Resource": f"{bucket['outputs']['arn']}/{CELL}/AWSLogs/123456789012/*"}]


# --- cluster ---------------------------------------------------------------------------------

def test_cluster_encrypts_secrets_with_the_cell_key_logs_everything_and_restricts_the_endpoint(run):
    cluster = one(run, "aws:eks/cluster:Cluster")
    inputs = cluster["inputs"]
    assert inputs["encryptionConfig"]["resources"] == ["secrets"]
    assert inputs["encryptionConfig"]["provider"]["keyArn"] == key_arn(run)
    assert set(inputs["enabledClusterLogTypes"]) == {"api", "audit", "authenticator", "controllerManager",
                                                    "scheduler"}
    vpc = inputs["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True
    assert vpc["endpointPublicAccess"] is True and vpc["publicAccessCidrs"] == ["203.0.113.0/24"]
    assert sorted(vpc["subnetIds"]) == sorted(s["id"] for s in subnets(run, "private"))
    assert inputs["accessConfig"]["authenticationMode"] == "API"  # access entries, no aws-auth ConfigMap
    group = one(run, "aws:cloudwatch/logGroup:LogGroup", name=f"{CELL}-control-plane")
    assert group["inputs"]["name"] == f"/aws/eks/{inputs['name']}/cluster"
    assert group["inputs"]["kmsKeyId"] == key_arn(run)
    assert group["urn"] in cluster["dependencies"]  # exists before EKS would create it unencrypted
    # The cluster role may use the key for the secrets, and only that key.
    role = next(r for r in of(run, "aws:iam/role:Role") if r["outputs"]["arn"] == inputs["roleArn"])
    kms = [st for rp in of(run, "aws:iam/rolePolicy:RolePolicy") if rp["inputs"]["role"] == role["id"]
           for st in policy(rp)]
    assert kms and all(st["Resource"] == key_arn(run) for st in kms)


def test_node_group_runs_in_private_subnets_with_imdsv2_and_encrypted_volumes(run):
    group = one(run, "aws:eks/nodeGroup:NodeGroup")
    template = one(run, "aws:ec2/launchTemplate:LaunchTemplate")
    cluster = one(run, "aws:eks/cluster:Cluster")
    assert group["inputs"]["clusterName"] == cluster["outputs"]["name"]
    assert sorted(group["inputs"]["subnetIds"]) == sorted(s["id"] for s in subnets(run, "private"))
    assert group["inputs"]["launchTemplate"] == {"id": template["id"], "version": "1"}
    meta = template["inputs"]["metadataOptions"]
    assert meta["httpTokens"] == "required" and meta["httpPutResponseHopLimit"] == 1
    (device,) = template["inputs"]["blockDeviceMappings"]
    assert device["ebs"]["encrypted"] == "true" and device["ebs"]["kmsKeyId"] == key_arn(run)
    size = group["inputs"]["scalingConfig"]
    expected = (2, 4) if run.report["stack"] == "dev" else (3, 10)
    assert (size["minSize"], size["maxSize"]) == expected and size["desiredSize"] == expected[0]
    # Nodes get the cell labels through the launch template's tag specifications.
    specs = {t["resourceType"]: t["tags"] for t in template["inputs"]["tagSpecifications"]}
    assert specs["instance"]["cell"] == CELL and specs["volume"]["residency"] == "us"


def test_pod_identity_binds_the_workload_role_to_the_inference_service_account(run):
    cluster = one(run, "aws:eks/cluster:Cluster")
    addons = {a["inputs"]["addonName"]: a for a in of(run, "aws:eks/addon:Addon")}
    # The pod identity agent hands out the role's credentials; metrics-server feeds the workload's HPA;
    # vpc-cni, kube-proxy and CoreDNS are EKS-managed add-ons too (pinned, see the add-on test).
    assert set(addons) == {"eks-pod-identity-agent", "metrics-server", "vpc-cni", "kube-proxy", "coredns"}
    for addon in addons.values():
        assert addon["inputs"]["clusterName"] == cluster["outputs"]["name"]
    assoc = one(run, "aws:eks/podIdentityAssociation:PodIdentityAssociation", name=f"{CELL}-workload")
    role = one(run, "aws:iam/role:Role", name=f"{CELL}-workload")
    assert assoc["inputs"] == {**assoc["inputs"], "clusterName": cluster["outputs"]["name"], "namespace": "inference",
                               "serviceAccount": "inference", "roleArn": role["outputs"]["arn"]}
    (trust,) = policy(role, "assumeRolePolicy")
    assert trust["Principal"] == {"Service": "pods.eks.amazonaws.com"}
    assert sorted(trust["Action"]) == ["sts:AssumeRole", "sts:TagSession"]
    # Scoped by the session tags Pod Identity sets (EKS docs, pod-id-role / pod-id-abac), not by an
    # aws:SourceArn equal to the cluster ARN (which Pod Identity does not send: every pod was denied).
    assert trust["Condition"] == {"StringEquals": {
        "aws:RequestTag/eks-cluster-arn": cluster["outputs"]["arn"],
        "aws:RequestTag/kubernetes-namespace": "inference",
        "aws:RequestTag/kubernetes-service-account": "inference"}}


def test_workload_role_reads_its_bucket_and_decrypts_with_its_key_and_nothing_else(run):
    role = one(run, "aws:iam/role:Role", name=f"{CELL}-workload")
    statements = [st for rp in of(run, "aws:iam/rolePolicy:RolePolicy") if rp["inputs"]["role"] == role["id"]
                  for st in policy(rp)]
    assert not role["inputs"].get("managedPolicyArns")
    assert not [a for a in of(run, "aws:iam/rolePolicyAttachment:RolePolicyAttachment")
                if a["inputs"]["role"] == role["outputs"]["name"]]
    arn = models_bucket(run)["outputs"]["arn"]
    granted = {(a, r) for st in statements for a in as_list(st["Action"]) for r in as_list(st["Resource"])}
    assert all(st["Effect"] == "Allow" for st in statements)
    assert granted == {("s3:ListBucket", arn), ("s3:GetObject", f"{arn}/*"), ("s3:GetObjectVersion", f"{arn}/*"),
                       ("kms:Decrypt", key_arn(run))}


# --- load balancer ---------------------------------------------------------------------------

def test_alb_is_internet_facing_in_public_subnets_drops_invalid_headers_and_logs(run):
    alb = one(run, "aws:lb/loadBalancer:LoadBalancer")
    inputs = alb["inputs"]
    assert inputs["loadBalancerType"] == "application" and inputs["internal"] is False
    assert sorted(inputs["subnets"]) == sorted(s["id"] for s in subnets(run, "public"))
    assert inputs["dropInvalidHeaderFields"] is True
    assert inputs["accessLogs"] == {"enabled": True, "bucket": logs_bucket(run)["outputs"]["bucket"], "prefix": CELL}
    policy_urn = setting(run, "aws:s3/bucketPolicy:BucketPolicy", logs_bucket(run))["urn"]
    assert policy_urn in alb["dependencies"]


def test_https_listener_uses_a_tls12_policy_and_a_dns_validated_certificate(run):
    alb = one(run, "aws:lb/loadBalancer:LoadBalancer")
    listeners = {l["inputs"]["port"]: l["inputs"] for l in of(run, "aws:lb/listener:Listener")}
    assert set(listeners) == {443, 80}
    https = listeners[443]
    assert https["protocol"] == "HTTPS" and https["sslPolicy"] == HTTPS_POLICY
    assert https["loadBalancerArn"] == alb["id"]
    cert = one(run, "aws:acm/certificate:Certificate")
    domain = "dev.inference.example.com" if run.report["stack"] == "dev" else "inference.example.com"
    # One certificate for the cell's own name (health checks) and the public name (the global records).
    assert cert["inputs"]["domainName"] == f"{CELL}.{domain}" and cert["inputs"]["validationMethod"] == "DNS"
    assert cert["inputs"]["subjectAlternativeNames"] == [f"api.{domain}"]
    validation = one(run, "aws:acm/certificateValidation:CertificateValidation")
    assert validation["inputs"]["certificateArn"] == cert["outputs"]["arn"] == https["certificateArn"]
    options = {o["domainName"]: o for o in cert["outputs"]["domainValidationOptions"]}
    assert set(options) == {f"{CELL}.{domain}", f"api.{domain}"}
    records = {r["name"]: r for r in of(run, "aws:route53/record:Record")}
    assert set(records) == {f"{CELL}-cert-validation", f"{CELL}-cert-validation-domain"}
    zone = (run.one("aws:route53/zone:Zone")["outputs"]["zoneId"] if run.report["stack"] == "dev"
            else "Z0PRODEXAMPLE01")
    for record_name, name in ((f"{CELL}-cert-validation", f"{CELL}.{domain}"),
                              (f"{CELL}-cert-validation-domain", f"api.{domain}")):
        record, option = records[record_name]["inputs"], options[name]
        assert (record["name"], record["type"], record["records"], record["zoneId"]) == (
            option["resourceRecordName"], option["resourceRecordType"], [option["resourceRecordValue"]], zone)
    # ACM issues only once every name's record exists: the validation waits for both.
    assert sorted(validation["inputs"]["validationRecordFqdns"]) == sorted(
        r["outputs"]["fqdn"] for r in records.values())
    (action,) = https["defaultActions"]
    assert action["type"] == "forward"
    assert action["targetGroupArn"] == one(run, "aws:lb/targetGroup:TargetGroup")["outputs"]["arn"]


def test_http_listener_only_redirects_to_https(run):
    http = next(l["inputs"] for l in of(run, "aws:lb/listener:Listener") if l["inputs"]["port"] == 80)
    assert http["protocol"] == "HTTP" and "certificateArn" not in http
    (action,) = http["defaultActions"]
    assert action["type"] == "redirect" and "targetGroupArn" not in action and "forward" not in action
    assert action["redirect"] == {"protocol": "HTTPS", "port": "443", "statusCode": "HTTP_301"}


def test_alb_reaches_the_nodes_on_the_node_port_through_the_node_groups_autoscaling_group(run):
    tg = one(run, "aws:lb/targetGroup:TargetGroup")
    assert tg["inputs"]["targetType"] == "instance" and tg["inputs"]["port"] == NODE_PORT
    assert tg["inputs"]["vpcId"] == one(run, "aws:ec2/vpc:Vpc")["id"]
    health = tg["inputs"]["healthCheck"]
    assert health["path"] == "/health" and health["port"] == "traffic-port" and health["enabled"] is True
    attachment = one(run, "aws:autoscaling/attachment:Attachment")
    group = one(run, "aws:eks/nodeGroup:NodeGroup")
    assert attachment["inputs"]["lbTargetGroupArn"] == tg["outputs"]["arn"]
    assert attachment["inputs"]["autoscalingGroupName"] == \
        group["outputs"]["resources"][0]["autoscalingGroups"][0]["name"]
    # Security groups: internet -> ALB on 443/80; ALB -> nodes (cluster security group) on the NodePort only.
    alb_sg = one(run, "aws:ec2/securityGroup:SecurityGroup")
    cluster_sg = one(run, "aws:eks/cluster:Cluster")["outputs"]["vpcConfig"]["clusterSecurityGroupId"]
    assert one(run, "aws:lb/loadBalancer:LoadBalancer")["inputs"]["securityGroups"] == [alb_sg["id"]]
    ingress = [r["inputs"] for r in of(run, "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule")]
    assert sorted((r["fromPort"], r.get("cidrIpv4")) for r in ingress if r["securityGroupId"] == alb_sg["id"]) == [
        (80, "0.0.0.0/0"), (443, "0.0.0.0/0")]
    (to_nodes,) = [r for r in ingress if r["securityGroupId"] == cluster_sg]
    assert (to_nodes["fromPort"], to_nodes["toPort"], to_nodes["referencedSecurityGroupId"]) == (
        NODE_PORT, NODE_PORT, alb_sg["id"])
    (egress,) = [r["inputs"] for r in of(run, "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule")]
    assert (egress["securityGroupId"], egress["fromPort"], egress["referencedSecurityGroupId"]) == (
        alb_sg["id"], NODE_PORT, cluster_sg)


# --- contract, parentage, providers, labels, protection ---------------------------------------

def test_cell_outputs_carry_the_whole_contract(dev):
    out = dev.report["outputs"][CELL]
    alb = one(dev, "aws:lb/loadBalancer:LoadBalancer")["outputs"]
    cluster = one(dev, "aws:eks/cluster:Cluster")["outputs"]
    assert out["endpoint_hostname"] == alb["dnsName"] and out["alias_zone_id"] == alb["zoneId"] == "Z1H1FL5HABSF5"
    # The name its certificate covers, which prod-global checks against its own public name.
    assert out["public_name"] == "api.dev.inference.example.com"
    assert out["public_name"] in one(dev, "aws:acm/certificate:Certificate")["inputs"]["subjectAlternativeNames"]
    assert out["bucket_uri"] == f"s3://{models_bucket(dev)['outputs']['bucket']}"
    assert out["cluster_name"] == cluster["name"] == "dev-aws-us-west-2"
    assert out["workload_identity"] == one(dev, "aws:iam/role:Role", name=f"{CELL}-workload")["outputs"]["arn"]
    assert (out["residency"], out["region"], out["cloud"], out["name"], out["health_path"]) == (
        "us", "us-west-2", "aws", CELL, "/health")
    assert "kubeconfig" not in out  # exported apart, so the contract itself is not secret
    kubeconfig = json.loads(dev.report["outputs"][CELL + "_kubeconfig"])
    assert kubeconfig["clusters"][0]["cluster"]["server"] == cluster["endpoint"]
    assert kubeconfig["clusters"][0]["cluster"]["certificate-authority-data"] == cluster["certificateAuthority"]["data"]
    user = kubeconfig["users"][0]["user"]
    assert "token" not in user and user["exec"]["command"] == "aws"
    assert user["exec"]["args"][:4] == ["eks", "get-token", "--cluster-name", cluster["name"]]
    assert "us-west-2" in user["exec"]["args"]


def test_only_the_kubeconfig_export_is_secret(prod):
    assert prod.report["outputs"][CELL + "_kubeconfig"] == "[secret]"
    assert prod.report["outputs"][CELL]["region"] == "us-west-2"


def test_every_resource_of_the_cell_descends_from_it_and_uses_the_cell_provider(run):
    root = run.one("platform:aws:Cell", CELL)
    provider = run.one("pulumi:providers:aws", f"{CELL}-aws")
    # Validation records go through the stack's one DnsValidator, on the stack's global provider.
    dns = run.one("pulumi:providers:aws", "global-aws")
    assert provider["inputs"]["region"] == "us-west-2" and dns["inputs"]["region"] == "us-east-1"
    assert root in run.ancestors(provider) and root not in run.ancestors(dns)
    assert not [r for r in run.of_type("pulumi:providers:aws") if r["name"].endswith("-dns")]
    ref = lambda p: f"{p['urn']}::{p['id']}"  # noqa: E731
    cell_aws = [r for r in in_cell(run) if r["type"].startswith("aws:")]
    assert len(cell_aws) >= 60
    for r in cell_aws:
        expected = ref(dns) if r["type"] == "aws:route53/record:Record" else ref(provider)
        assert r["provider"] == expected, r["urn"]
    # ...and nothing outside the cell is created with the cell's own provider.
    outside = [r["urn"] for r in run.resources if r["provider"] == ref(provider) and r not in cell_aws]
    assert not outside


def test_taggable_resources_of_the_cell_carry_the_standard_labels(run):
    env = "dev" if run.report["stack"] == "dev" else "prod"
    aws_schema = schema_check.schema("aws")["resources"]
    taggable = [r for r in in_cell(run) if r["type"].startswith("aws:")
                and "tags" in aws_schema[r["type"]].get("inputProperties", {})]
    assert len(taggable) >= 40
    for r in taggable:
        assert {k: r["inputs"]["tags"].get(k) for k in ("cell", "residency", "environment", "managed-by")} == {
            "cell": CELL, "residency": "us", "environment": env, "managed-by": "pulumi"}, r["urn"]


STATEFUL = ("aws:kms/key:Key", "aws:s3/bucket:Bucket", "aws:eks/cluster:Cluster")


def test_prod_protects_the_stateful_resources_and_dev_does_not(dev, prod):
    for type_ in STATEFUL:
        assert of(prod, type_) and all(r["protect"] for r in of(prod, type_)), type_
        assert not any(r["protect"] for r in of(dev, type_)), type_
    assert not one(prod, "aws:ec2/vpc:Vpc")["protect"]
    assert one(prod, "aws:eks/cluster:Cluster")["inputs"]["deletionProtection"] is True
    assert one(prod, "aws:lb/loadBalancer:LoadBalancer")["inputs"]["enableDeletionProtection"] is True
    assert one(dev, "aws:lb/loadBalancer:LoadBalancer")["inputs"]["enableDeletionProtection"] is False


# --- a second AWS cell -----------------------------------------------------------------------

def test_a_second_aws_cell_gets_its_own_provider_key_bucket_and_cluster(two):
    providers = {c: two.one("pulumi:providers:aws", f"{c}-aws") for c in (CELL, SECOND)}
    assert providers[SECOND]["inputs"]["region"] == "eu-central-1"
    for type_ in ("aws:kms/key:Key", "aws:eks/cluster:Cluster", "aws:ec2/vpc:Vpc"):
        named = (lambda c: f"{c}-key") if type_ == "aws:kms/key:Key" else (lambda c: None)
        first, second = one(two, type_, CELL, name=named(CELL)), one(two, type_, SECOND, name=named(SECOND))
        assert first["id"] != second["id"], type_
        assert second["provider"].startswith(providers[SECOND]["urn"]), type_
    assert ":eu-central-1:" in key_arn(two, SECOND)
    assert models_bucket(two, SECOND)["id"] != models_bucket(two, CELL)["id"]
    assert setting(two, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                   models_bucket(two, SECOND), SECOND)["inputs"]["rules"][0][
        "applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == key_arn(two, SECOND)
    assert sorted(s["inputs"]["availabilityZone"] for s in subnets(two, "private", SECOND)) == [
        "eu-central-1a", "eu-central-1b"]
    assert one(two, "aws:eks/cluster:Cluster", SECOND)["inputs"]["name"] == "dev-aws-eu-central-1"
    assert all(t["inputs"]["tags"]["residency"] == "eu" for t in of(two, "aws:ec2/subnet:Subnet", SECOND))
    lifecycle = setting(two, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
                        models_bucket(two, SECOND), SECOND)
    assert lifecycle["inputs"]["rules"][0]["noncurrentVersionExpiration"]["noncurrentDays"] == 7
    # eu-central-1's ELB log-delivery account, and its ALB hosted zone.
    logs_policy = policy(setting(two, "aws:s3/bucketPolicy:BucketPolicy", logs_bucket(two, SECOND), SECOND))
    assert logs_policy[0]["Principal"] == {"AWS": "arn:aws:iam::054676820928:root"}
    assert one(two, "aws:lb/loadBalancer:LoadBalancer", SECOND)["outputs"]["zoneId"] == "Z215JYRZR1TBD5"


def test_both_aws_cells_certificates_cover_the_public_name_through_one_shared_validation_record(two):
    domain = "dev.inference.example.com"
    for cell in (CELL, SECOND):
        cert = one(two, "aws:acm/certificate:Certificate", cell)["inputs"]
        assert (cert["domainName"], cert["subjectAlternativeNames"]) == (f"{cell}.{domain}", [f"api.{domain}"])
    shared = [one(two, "aws:route53/record:Record", cell, name=f"{cell}-cert-validation-domain")["inputs"]
              for cell in (CELL, SECOND)]
    # ACM asks every certificate of the account for the same CNAME of a name: both cells write (and keep) it.
    assert len({(r["name"], r["type"], tuple(r["records"]), r["zoneId"]) for r in shared}) == 1
    assert shared[0]["name"].endswith(f".api.{domain}.")
    assert all(r["allowOverwrite"] is True for r in shared)


def test_the_mocked_certificate_validation_refuses_a_missing_name_record():
    from offline import clouds
    from offline.mocks.registry import MockContext

    clouds.load("mock_modules")  # as the engine loads them
    aws_mocks = importlib.import_module(clouds.engine_name("aws", "components.clouds.aws.mocks"))
    ctx = MockContext(project="p", stack="s", config={"aws:region": "us-west-2"},
                      type_="aws:acm/certificate:Certificate")
    arn, cert = aws_mocks.acm_certificate(ctx, "c", {"domainName": "a.example.com",
                                                     "subjectAlternativeNames": ["example.com"]})
    fqdns = [o["resourceRecordName"].rstrip(".") for o in cert["domainValidationOptions"]]
    assert len(set(fqdns)) == 2
    ctx.type_ = "aws:acm/certificateValidation:CertificateValidation"
    aws_mocks.acm_certificate_validation(ctx, "c", {"certificateArn": arn, "validationRecordFqdns": fqdns})
    with pytest.raises(RuntimeError, match="missing .* DNS validation record"):
        aws_mocks.acm_certificate_validation(ctx, "c", {"certificateArn": arn, "validationRecordFqdns": fqdns[:1]})


def test_without_api_cidrs_the_cluster_endpoint_is_private_only(two):
    vpc = one(two, "aws:eks/cluster:Cluster", SECOND)["inputs"]["vpcConfig"]
    assert vpc["endpointPrivateAccess"] is True and vpc["endpointPublicAccess"] is False
    assert "publicAccessCidrs" not in vpc


def test_two_cell_stack_conforms_to_the_provider_schema(two):
    problems = [p for r in two.resources for p in schema_check.violations(r)]
    assert not problems, "\n".join(problems[:30])


def test_an_aws_cell_without_a_dns_domain_is_a_config_error(tmp_path):
    config = _two_aws_cells_config()
    del config["platform:dns"]
    config["platform:cells"] = config["platform:cells"][:1]
    run = preview_config(config, tmp_path)
    assert run.returncode == 2, run.stderr[-2000:]
    assert "platform:dns" in run.stderr and CELL in run.stderr


# --- geo-redundant bucket: in-zone replication -------------------------------------------------

REPLICA_REGION = "us-west-1"  # the nearest other AWS region of zone `us` from us-west-2
PACKS = ("policy/encryption", "policy/residency")
REPLICATION_CONFIG = "aws:s3/bucketReplicationConfig:BucketReplicationConfig"


def _geo_redundant_config() -> dict:
    """dev's AWS cell alone with `bucket.geo_redundant`, as prod (so protection shows) with both packs."""
    config = copy.deepcopy(stack_config("dev"))
    first = next(c for c in config["platform:cells"] if c["cloud"] == "aws")
    config["platform:cells"] = [{**first, "bucket": {"geo_redundant": True}}]
    config["platform:environment"] = "prod"
    config["platform:dns"] = {**config["platform:dns"], "alarm_email": "oncall@example.com"}  # required in prod
    return config


@pytest.fixture(scope="module")
def geo(tmp_path_factory):
    run = preview_config(_geo_redundant_config(), tmp_path_factory.mktemp("geo"), packs=PACKS)
    assert run.report is not None and run.returncode == 0, run.stderr[-3000:]
    return run


def replication(run) -> dict:
    return run.one("platform:aws:Replication", CELL)


def under_replication(run, type_: str) -> list[dict]:
    root = replication(run)
    return [r for r in run.resources if r["type"] == type_ and root in run.ancestors(r)]


def replica_bucket(run) -> dict:
    return one(run, "aws:s3/bucket:Bucket", name=f"{CELL}-models-replica")


def replica_key(run) -> dict:
    return one(run, "aws:kms/key:Key", name=f"{CELL}-replica-key")


def cell_key(run) -> dict:
    return one(run, "aws:kms/key:Key", name=f"{CELL}-key")


@pytest.mark.parametrize("region,zone,replica", [
    ("us-west-2", "us", "us-west-1"),
    ("us-east-1", "us", "us-east-2"),
    # Zurich (eu-central-2) is nearer to Frankfurt, but it is zone `ch`: Paris is the nearest in `eu`.
    ("eu-central-1", "eu", "eu-west-3"),
    ("eu-west-1", "eu", "eu-west-3"),  # London is nearer, but zone `uk`
    ("ap-south-1", "in", "ap-south-2"),
])
def test_replica_region_is_the_nearest_other_aws_region_of_the_zone(region, zone, replica):
    from components.clouds.aws.replication import replica_region

    assert replica_region("dev", "c", region, zone) == replica


def test_every_replica_region_stays_in_the_zone():
    from components.core import catalog
    from components.clouds.aws.replication import replica_region

    for zone in ("us", "eu", "in"):
        for region in catalog.zone_regions(zone, "aws"):
            chosen = replica_region("dev", "c", region, zone)
            assert chosen != region and catalog.AWS[chosen].zone == zone, (region, chosen)


def test_replica_region_respects_a_narrowed_zone_and_rejects_a_zone_without_a_second_region():
    from components.clouds.aws.replication import replica_region
    from components.core.config import ConfigError

    assert replica_region("s", "c", "eu-central-1", "eu", narrowed_to=["eu-central-1", "eu-north-1"]) == "eu-north-1"
    with pytest.raises(ConfigError, match=r"narrowed by platform:zones\.eu\.regions"):
        replica_region("s", "c", "eu-central-1", "eu", narrowed_to=["eu-central-1", "europe-west1"])
    with pytest.raises(ConfigError) as err:
        replica_region("prod-uk", "aws-london", "eu-west-2", "uk")
    message = str(err.value)
    for part in ("stack 'prod-uk'", "cell 'aws-london'", "platform:cells[].bucket.geo_redundant = true",
                 "zone 'uk'", "allowed: false", "eu, in, us"):
        assert part in message, (part, message)


def test_geo_redundant_in_a_zone_with_one_aws_region_is_a_config_error_before_any_resource(tmp_path):
    config = _two_aws_cells_config()
    london = {**config["platform:cells"][0], "name": "aws-eu-west-2", "region": "eu-west-2", "residency": "uk",
              "bucket": {"geo_redundant": True}}
    config["platform:cells"] = [london]
    run = preview_config(config, tmp_path)
    assert run.returncode == 2, run.stderr[-2000:]
    assert "stack 'test'" in run.stderr and "cell 'aws-eu-west-2'" in run.stderr
    assert "bucket.geo_redundant" in run.stderr and "allowed: false" in run.stderr
    assert "Traceback" not in run.stderr
    assert not run.resources


def test_replica_lives_in_the_replica_region_through_its_own_provider(geo):
    cell_provider = geo.one("pulumi:providers:aws", f"{CELL}-aws")
    provider = geo.one("pulumi:providers:aws", f"{CELL}-replica-aws")
    assert provider["inputs"]["region"] == REPLICA_REGION
    assert geo.one("platform:aws:Cell", CELL) in geo.ancestors(provider)
    in_replica = [r for r in geo.resources if replication(geo) in geo.ancestors(r) and r["type"].startswith("aws:")]
    by_provider = {}
    for r in in_replica:
        by_provider.setdefault(r["provider"].split("::")[-2], set()).add(r["type"])
    # Key, bucket and every bucket setting in the replica region; the role and the source's config in the cell's.
    assert by_provider[f"{CELL}-replica-aws"] >= {
        "aws:kms/key:Key", "aws:kms/alias:Alias", "aws:s3/bucket:Bucket",
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
        "aws:s3/bucketVersioning:BucketVersioning", "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "aws:s3/bucketPolicy:BucketPolicy", "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration"}
    assert by_provider[f"{CELL}-aws"] == {"aws:iam/role:Role", "aws:iam/rolePolicy:RolePolicy", REPLICATION_CONFIG}
    assert cell_provider["inputs"]["region"] == "us-west-2"
    assert f":{REPLICA_REGION}:" in replica_key(geo)["outputs"]["arn"]
    assert replica_bucket(geo)["outputs"]["region"] == REPLICA_REGION
    assert replica_bucket(geo)["outputs"]["bucketRegionalDomainName"].endswith(f".s3.{REPLICA_REGION}.amazonaws.com")
    # Existing names unchanged: the source bucket and the cell key are still the cell's.
    assert ":us-west-2:" in cell_key(geo)["outputs"]["arn"]
    assert models_bucket(geo)["outputs"]["region"] == "us-west-2"


def test_replica_bucket_is_kms_encrypted_versioned_private_tls_only_and_protected(geo):
    bucket, key = replica_bucket(geo), replica_key(geo)
    (rule,) = setting(geo, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
                      bucket)["inputs"]["rules"]
    assert rule == {"applyServerSideEncryptionByDefault": {"sseAlgorithm": "aws:kms",
                                                           "kmsMasterKeyId": key["outputs"]["arn"]},
                    "bucketKeyEnabled": True}
    assert setting(geo, "aws:s3/bucketVersioning:BucketVersioning", bucket)["inputs"]["versioningConfiguration"][
        "status"] == "Enabled"
    pab = setting(geo, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock", bucket)["inputs"]
    assert all(pab[f] is True for f in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls",
                                        "restrictPublicBuckets"))
    arn = bucket["outputs"]["arn"]
    deny = [st for st in policy(setting(geo, "aws:s3/bucketPolicy:BucketPolicy", bucket)) if st["Effect"] == "Deny"]
    assert {json.dumps(st["Condition"], sort_keys=True) for st in deny} == {
        '{"Bool": {"aws:SecureTransport": "false"}}', '{"NumericLessThan": {"s3:TlsVersion": "1.2"}}'}
    assert all(sorted(st["Resource"]) == [arn, f"{arn}/*"] for st in deny)
    assert bucket["protect"] is True and key["protect"] is True  # prod
    assert not one(geo, REPLICATION_CONFIG)["protect"]


def test_replica_key_rotates_is_regional_and_admits_only_the_account(geo):
    key = replica_key(geo)
    assert key["inputs"]["enableKeyRotation"] is True and key["inputs"]["multiRegion"] is False
    assert REPLICA_REGION in key["inputs"]["description"]
    (statement,) = policy(key)
    assert statement["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    assert "kms:*" not in statement["Action"] and "kms:Put*" in statement["Action"]
    # Same account statement as the cell key's (one convention for both).
    assert statement in policy(cell_key(geo))
    alias = one(geo, "aws:kms/alias:Alias", name=f"{CELL}-replica-key")
    assert alias["inputs"] == {**alias["inputs"], "name": f"alias/prod/{CELL}-replica",
                               "targetKeyId": key["outputs"]["keyId"]}


def test_replication_config_replicates_everything_to_the_replica_with_its_key(geo):
    config = one(geo, REPLICATION_CONFIG)
    role = one(geo, "aws:iam/role:Role", name=f"{CELL}-replication")
    assert config["inputs"]["bucket"] == models_bucket(geo)["id"]
    assert config["inputs"]["role"] == role["outputs"]["arn"]
    assert config["inputs"]["rules"] == [{
        "id": "replicate-all-in-zone",
        "status": "Enabled",
        "filter": {"prefix": ""},
        "deleteMarkerReplication": {"status": "Enabled"},
        "sourceSelectionCriteria": {"sseKmsEncryptedObjects": {"status": "Enabled"}},
        "destination": {"bucket": replica_bucket(geo)["outputs"]["arn"], "storageClass": "STANDARD",
                        "encryptionConfiguration": {"replicaKmsKeyId": replica_key(geo)["outputs"]["arn"]}},
    }]
    # S3 rejects the configuration until both buckets are versioned.
    for bucket in (models_bucket(geo), replica_bucket(geo)):
        assert setting(geo, "aws:s3/bucketVersioning:BucketVersioning", bucket)["urn"] in config["dependencies"]


def test_replication_role_is_assumed_by_s3_for_the_source_bucket_and_scoped_to_both_buckets_and_keys(geo):
    role = one(geo, "aws:iam/role:Role", name=f"{CELL}-replication")
    (trust,) = policy(role, "assumeRolePolicy")
    source, replica = models_bucket(geo)["outputs"]["arn"], replica_bucket(geo)["outputs"]["arn"]
    assert trust["Principal"] == {"Service": "s3.amazonaws.com"} and trust["Action"] == ["sts:AssumeRole"]
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"},
                                  "ArnEquals": {"aws:SourceArn": source}}
    assert not role["inputs"].get("managedPolicyArns")
    (role_policy,) = [rp for rp in of(geo, "aws:iam/rolePolicy:RolePolicy") if rp["inputs"]["role"] == role["id"]]
    statements = policy(role_policy)
    assert all(st["Effect"] == "Allow" for st in statements)
    granted = {(a, r) for st in statements for a in as_list(st["Action"]) for r in as_list(st["Resource"])}
    source_key, replica_key_arn = cell_key(geo)["outputs"]["arn"], replica_key(geo)["outputs"]["arn"]
    assert granted == {
        ("s3:GetReplicationConfiguration", source), ("s3:ListBucket", source),
        ("s3:GetObjectVersionForReplication", f"{source}/*"), ("s3:GetObjectVersionAcl", f"{source}/*"),
        ("s3:GetObjectVersionTagging", f"{source}/*"),
        ("s3:ReplicateObject", f"{replica}/*"), ("s3:ReplicateDelete", f"{replica}/*"),
        ("s3:ReplicateTags", f"{replica}/*"),
        ("kms:Decrypt", source_key), ("kms:Encrypt", replica_key_arn), ("kms:GenerateDataKey", replica_key_arn)}
    # Each key only through S3 in its own region, only for its own bucket.
    for key_arn_, region, bucket in ((source_key, "us-west-2", source), (replica_key_arn, REPLICA_REGION, replica)):
        (st,) = [st for st in statements if st["Resource"] == key_arn_]
        assert st["Condition"] == {"StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com"},
                                   "StringLike": {"kms:EncryptionContext:aws:s3:arn": [bucket, f"{bucket}/*"]}}


def test_replica_resources_carry_the_cell_labels(geo):
    aws_schema = schema_check.schema("aws")["resources"]
    taggable = [r for r in geo.resources if replication(geo) in geo.ancestors(r) and r["type"].startswith("aws:")
                and "tags" in aws_schema[r["type"]].get("inputProperties", {})]
    assert {r["type"] for r in taggable} >= {"aws:kms/key:Key", "aws:s3/bucket:Bucket", "aws:iam/role:Role"}
    for r in taggable:
        assert {k: r["inputs"]["tags"].get(k) for k in ("cell", "residency", "environment", "managed-by")} == {
            "cell": CELL, "residency": "us", "environment": "prod", "managed-by": "pulumi"}, r["urn"]


def test_geo_redundant_stack_passes_both_packs_and_the_provider_schema(geo):
    packs = {p["pack"]: p for p in geo.report["packs"]}
    assert set(packs) == {"encryption", "residency"}
    assert all(p["analyzed"] == len(geo.resources) for p in packs.values()), packs
    mandatory = [d for d in geo.diagnostics if d["level"] == "mandatory"]
    assert not mandatory, "\n".join(f"{d['pack']}/{d['policy']}: {d['urn']}: {d['message']}" for d in mandatory)
    problems = [p for r in geo.resources for p in schema_check.violations(r)]
    assert not problems, "\n".join(problems[:30])
