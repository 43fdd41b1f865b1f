"""Create-only inputs: what the provider cannot change in place, so the engine replaces the resource.

One entry per resource type the project registers (tests/test_diff.py keeps it complete against the
shipped stacks and checks every path against the provider schemas). Paths are wire names; a dotted
path (`nodeConfig.machineType`) is a nested input, compared on its own value, so a change next to
it (`nodeConfig.labels`) stays an update. Sources, per type:

- AWS and Google Cloud (Terraform-bridged providers): the inputs marked `ForceNew` in the
  Terraform provider (its documentation says "Forces new resource" / "Changing this forces a new
  resource"); on AWS every regional resource's `region` argument also forces a new one.
- azure-native: the ARM resource id (`/subscriptions/../resourceGroups/{rg}/providers/{ns}/{type}/{name}`)
  is immutable, so every path parameter and `location` are create-only; extra keys cite the
  service's documentation.
- Kubernetes: `metadata.name` / `metadata.namespace` identify an object; immutable spec fields
  (a Deployment's `spec.selector`, a Service's `spec.clusterIP`) are rejected by the API server
  on update, so the Pulumi provider replaces.

`IMPACT` says what a replacement means for traffic, for the reviewer.
"""
from __future__ import annotations

from typing import Any

TF_AWS = "https://registry.terraform.io/providers/hashicorp/aws/latest/docs/resources/"
TF_GOOGLE = "https://registry.terraform.io/providers/hashicorp/google/latest/docs/resources/"
ARM_ID = "https://learn.microsoft.com/azure/azure-resource-manager/management/move-support-resources"
K8S_NAMES = "https://kubernetes.io/docs/concepts/overview/working-with-objects/names/"


def _aws(doc: str, *paths: str, regional: bool = True) -> tuple[frozenset[str], str]:
    return frozenset(paths + (("region",) if regional else ())), TF_AWS + doc


def _google(doc: str, *paths: str) -> tuple[frozenset[str], str]:
    return frozenset(paths), TF_GOOGLE + doc


def _arm(*paths: str, doc: str = ARM_ID) -> tuple[frozenset[str], str]:
    return frozenset(paths), doc


def _k8s(*paths: str, doc: str = K8S_NAMES) -> tuple[frozenset[str], str]:
    return frozenset(("metadata.name", "metadata.namespace") + paths), doc


# type -> (create-only input paths, provider documentation)
CREATE_ONLY: dict[str, tuple[frozenset[str], str]] = {
    # ---- AWS ------------------------------------------------------------------------------------
    "aws:acm/certificate:Certificate": _aws("acm_certificate", "domainName", "subjectAlternativeNames",
                                            "validationMethod", "keyAlgorithm", "certificateAuthorityArn"),
    "aws:acm/certificateValidation:CertificateValidation": _aws("acm_certificate_validation", "certificateArn",
                                                                "validationRecordFqdns"),
    "aws:autoscaling/attachment:Attachment": _aws("autoscaling_attachment", "autoscalingGroupName", "elb",
                                                  "lbTargetGroupArn"),
    "aws:cloudwatch/logGroup:LogGroup": _aws("cloudwatch_log_group", "name", "namePrefix", "logGroupClass"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": _aws("cloudwatch_metric_alarm", "name"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": _aws("default_security_group", "vpcId"),
    "aws:ec2/eip:Eip": _aws("eip", "domain", "address", "networkBorderGroup", "publicIpv4Pool",
                            "customerOwnedIpv4Pool", "ipamPoolId"),
    "aws:ec2/flowLog:FlowLog": _aws("flow_log", "vpcId", "subnetId", "eniId", "transitGatewayId",
                                    "transitGatewayAttachmentId", "trafficType", "logDestination",
                                    "logDestinationType", "logFormat", "iamRoleArn", "maxAggregationInterval",
                                    "destinationOptions", "deliverCrossAccountRole"),
    "aws:ec2/internetGateway:InternetGateway": _aws("internet_gateway"),  # vpcId: detach/attach in place
    "aws:ec2/launchTemplate:LaunchTemplate": _aws("launch_template", "name", "namePrefix"),  # else a new version
    "aws:ec2/natGateway:NatGateway": _aws("nat_gateway", "allocationId", "subnetId", "connectivityType", "privateIp"),
    "aws:ec2/route:Route": _aws("route", "routeTableId", "destinationCidrBlock", "destinationIpv6CidrBlock",
                                "destinationPrefixListId"),
    "aws:ec2/routeTable:RouteTable": _aws("route_table", "vpcId"),
    "aws:ec2/routeTableAssociation:RouteTableAssociation": _aws("route_table_association", "subnetId", "gatewayId"),
    "aws:ec2/securityGroup:SecurityGroup": _aws("security_group", "name", "namePrefix", "description", "vpcId"),
    "aws:ec2/subnet:Subnet": _aws("subnet", "vpcId", "cidrBlock", "availabilityZone", "availabilityZoneId",
                                  "outpostArn", "ipv6Native"),
    "aws:ec2/vpc:Vpc": _aws("vpc", "cidrBlock", "ipv4IpamPoolId", "ipv4NetmaskLength"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": _aws("vpc_endpoint", "vpcId", "serviceName", "vpcEndpointType"),
    "aws:eks/addon:Addon": _aws("eks_addon", "clusterName", "addonName"),
    "aws:eks/cluster:Cluster": _aws("eks_cluster", "name", "roleArn", "kubernetesNetworkConfig",
                                    "bootstrapSelfManagedAddons", "outpostConfig"),
    "aws:eks/nodeGroup:NodeGroup": _aws("eks_node_group", "clusterName", "nodeGroupName", "nodeGroupNamePrefix",
                                        "nodeRoleArn", "subnetIds", "amiType", "capacityType", "diskSize",
                                        "instanceTypes", "remoteAccess"),
    "aws:eks/podIdentityAssociation:PodIdentityAssociation": _aws("eks_pod_identity_association", "clusterName",
                                                                  "namespace", "serviceAccount"),
    "aws:eks/accessEntry:AccessEntry": _aws("eks_access_entry", "clusterName", "principalArn", "type"),
    "aws:eks/accessPolicyAssociation:AccessPolicyAssociation": _aws(
        "eks_access_policy_association", "clusterName", "principalArn", "policyArn", "accessScope"),
    "aws:iam/role:Role": _aws("iam_role", "name", "namePrefix", "path", regional=False),
    "aws:iam/serviceLinkedRole:ServiceLinkedRole": _aws("iam_service_linked_role", "awsServiceName", "customSuffix",
                                                        regional=False),
    "aws:iam/rolePolicy:RolePolicy": _aws("iam_role_policy", "name", "namePrefix", "role", regional=False),
    "aws:iam/rolePolicyAttachment:RolePolicyAttachment": _aws("iam_role_policy_attachment", "role", "policyArn",
                                                              regional=False),
    "aws:kms/alias:Alias": _aws("kms_alias", "name", "namePrefix"),  # targetKeyId: UpdateAlias
    "aws:kms/key:Key": _aws("kms_key", "customerMasterKeySpec", "keyUsage", "multiRegion", "customKeyStoreId",
                            "xksKeyId"),
    "aws:lb/listener:Listener": _aws("lb_listener", "loadBalancerArn"),
    "aws:lb/loadBalancer:LoadBalancer": _aws("lb", "name", "namePrefix", "internal", "loadBalancerType",
                                             "customerOwnedIpv4Pool"),
    "aws:lb/targetGroup:TargetGroup": _aws("lb_target_group", "name", "namePrefix", "port", "protocol",
                                           "protocolVersion", "targetType", "vpcId", "ipAddressType"),
    "aws:wafv2/ipSet:IpSet": _aws("wafv2_ip_set", "name", "namePrefix", "scope", "ipAddressVersion"),
    "aws:wafv2/webAcl:WebAcl": _aws("wafv2_web_acl", "name", "namePrefix", "scope"),
    "aws:wafv2/webAclAssociation:WebAclAssociation": _aws("wafv2_web_acl_association", "resourceArn", "webAclArn"),
    "aws:route53/healthCheck:HealthCheck": _aws("route53_health_check", "type", "requestInterval", "measureLatency",
                                                "referenceName", "routingControlArn", regional=False),
    # `type` and `setIdentifier` are updated through one atomic ChangeResourceRecordSets batch.
    "aws:route53/record:Record": _aws("route53_record", "name", "zoneId", regional=False),
    "aws:route53/zone:Zone": _aws("route53_zone", "name", "delegationSetId", regional=False),
    "aws:s3/bucket:Bucket": _aws("s3_bucket", "bucket", "bucketPrefix", "objectLockEnabled"),
    "aws:s3/bucketV2:BucketV2": _aws("s3_bucket", "bucket", "bucketPrefix", "objectLockEnabled"),
    "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration": _aws(
        "s3_bucket_lifecycle_configuration", "bucket", "expectedBucketOwner"),
    "aws:s3/bucketOwnershipControls:BucketOwnershipControls": _aws("s3_bucket_ownership_controls", "bucket"),
    "aws:s3/bucketPolicy:BucketPolicy": _aws("s3_bucket_policy", "bucket"),
    "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock": _aws("s3_bucket_public_access_block", "bucket"),
    "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration": _aws(
        "s3_bucket_server_side_encryption_configuration", "bucket", "expectedBucketOwner"),
    "aws:s3/bucketVersioning:BucketVersioning": _aws("s3_bucket_versioning", "bucket", "expectedBucketOwner"),
    "aws:sns/topic:Topic": _aws("sns_topic", "name", "namePrefix", "fifoTopic"),
    "aws:sns/topicSubscription:TopicSubscription": _aws("sns_topic_subscription", "topic", "protocol", "endpoint"),
    "aws:amp/workspace:Workspace": _aws("prometheus_workspace", "kmsKeyArn"),
    "aws:amp/scraper:Scraper": _aws("prometheus_scraper", "source", "destination", "alias"),
    "aws:amp/ruleGroupNamespace:RuleGroupNamespace": _aws("prometheus_rule_group_namespace", "name", "workspaceId"),
    "aws:amp/alertManagerDefinition:AlertManagerDefinition": _aws("prometheus_alert_manager_definition", "workspaceId"),
    "aws:eks/accessEntry:AccessEntry": _aws("eks_access_entry", "clusterName", "principalArn", "type"),
    "aws:sns/topicPolicy:TopicPolicy": _aws("sns_topic_policy", "arn"),
    "aws:sns/topicSubscription:TopicSubscription": _aws("sns_topic_subscription", "topic", "protocol", "endpoint"),
    "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule": _aws("vpc_security_group_egress_rule",
                                                                    "securityGroupId"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": _aws("vpc_security_group_ingress_rule",
                                                                      "securityGroupId"),
    # ---- Google Cloud -----------------------------------------------------------------------------
    "gcp:certificatemanager/certificate:Certificate": _google("certificate_manager_certificate", "name", "project",
                                                              "location", "scope", "managed"),
    "gcp:certificatemanager/dnsAuthorization:DnsAuthorization": _google(
        "certificate_manager_dns_authorization", "name", "project", "location", "domain", "type"),
    "gcp:compute/address:Address": _google("compute_address", "name", "project", "region", "address", "addressType",
                                           "description", "network", "subnetwork", "networkTier", "purpose",
                                           "prefixLength", "ipVersion", "ipv6EndpointType"),
    "gcp:compute/firewall:Firewall": _google("compute_firewall", "name", "project", "network", "direction"),
    "gcp:compute/forwardingRule:ForwardingRule": _google(
        "compute_forwarding_rule", "name", "project", "region", "ipAddress", "ipProtocol", "portRange", "ports",
        "allPorts", "loadBalancingScheme", "network", "subnetwork", "backendService", "networkTier", "description",
        "ipVersion", "serviceLabel"),
    "gcp:compute/instanceGroupNamedPort:InstanceGroupNamedPort": _google(
        "compute_instance_group_named_port", "group", "zone", "project", "name", "port"),
    "gcp:compute/network:Network": _google("compute_network", "name", "project", "autoCreateSubnetworks",
                                           "description", "enableUlaInternalIpv6"),
    "gcp:compute/regionBackendService:RegionBackendService": _google(
        "compute_region_backend_service", "name", "project", "region", "loadBalancingScheme"),
    "gcp:compute/regionSecurityPolicy:RegionSecurityPolicy": _google("compute_region_security_policy", "name",
                                                                     "project", "region", "type"),
    # Immutable: the policy it belongs to and its priority (the id is policy/priority); the rest is patched.
    "gcp:compute/regionSecurityPolicyRule:RegionSecurityPolicyRule": _google(
        "compute_region_security_policy_rule", "project", "region", "securityPolicy", "priority"),
    "gcp:compute/regionHealthCheck:RegionHealthCheck": _google("compute_region_health_check", "name", "project",
                                                               "region"),
    "gcp:compute/regionSslPolicy:RegionSslPolicy": _google("compute_region_ssl_policy", "name", "project", "region",
                                                           "description"),
    "gcp:compute/regionTargetHttpProxy:RegionTargetHttpProxy": _google(
        "compute_region_target_http_proxy", "name", "project", "region", "description"),
    "gcp:compute/regionTargetHttpsProxy:RegionTargetHttpsProxy": _google(
        "compute_region_target_https_proxy", "name", "project", "region", "description"),
    "gcp:compute/regionUrlMap:RegionUrlMap": _google("compute_region_url_map", "name", "project", "region"),
    "gcp:compute/router:Router": _google("compute_router", "name", "project", "region", "network"),
    "gcp:compute/routerNat:RouterNat": _google("compute_router_nat", "name", "project", "region", "router"),
    "gcp:compute/subnetwork:Subnetwork": _google("compute_subnetwork", "name", "project", "region", "network",
                                                 "purpose"),  # ipCidrRange: expand in place
    # nodeConfig describes the default pool (created, then removed, with the cluster): ForceNew.
    "gcp:container/cluster:Cluster": _google("container_cluster", "name", "location", "project", "network",
                                             "subnetwork", "initialNodeCount", "ipAllocationPolicy",
                                             "enableAutopilot", "networkingMode", "nodeConfig"),
    "gcp:container/nodePool:NodePool": _google(
        "container_node_pool", "name", "namePrefix", "cluster", "location", "project", "initialNodeCount",
        "nodeConfig.machineType", "nodeConfig.diskSizeGb", "nodeConfig.diskType", "nodeConfig.imageType",
        "nodeConfig.oauthScopes", "nodeConfig.serviceAccount", "nodeConfig.bootDiskKmsKey",
        "nodeConfig.shieldedInstanceConfig"),
    "gcp:kms/cryptoKey:CryptoKey": _google("kms_crypto_key", "name", "keyRing", "purpose", "importOnly",
                                           "skipInitialVersionCreation"),
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": _google("google_kms_crypto_key_iam", "cryptoKeyId", "role",
                                                             "member", "condition"),
    "gcp:kms/keyRing:KeyRing": _google("kms_key_ring", "name", "location", "project"),
    "gcp:projects/iAMMember:IAMMember": _google("google_project_iam", "project", "role", "member", "condition"),
    "gcp:projects/service:Service": _google("google_project_service", "project", "service"),
    "gcp:projects/serviceIdentity:ServiceIdentity": _google("project_service_identity", "project", "service"),
    "gcp:logging/projectBucketConfig:ProjectBucketConfig": _google("logging_project_bucket_config", "project",
                                                                   "location", "bucketId"),
    "gcp:logging/projectSink:ProjectSink": _google("logging_project_sink", "name", "project"),
    "gcp:logging/projectExclusion:ProjectExclusion": _google("logging_project_exclusion", "name", "project"),
    "gcp:monitoring/notificationChannel:NotificationChannel": _google("monitoring_notification_channel", "project"),
    "gcp:monitoring/alertPolicy:AlertPolicy": _google("monitoring_alert_policy", "project"),
    "gcp:serviceaccount/account:Account": _google("google_service_account", "accountId", "project"),
    "gcp:serviceaccount/iAMMember:IAMMember": _google("google_service_account_iam", "serviceAccountId", "role",
                                                      "member", "condition"),
    "gcp:storage/bucket:Bucket": _google("storage_bucket", "name", "location", "project"),
    "gcp:storage/bucketIAMMember:BucketIAMMember": _google("storage_bucket_iam", "bucket", "role", "member",
                                                           "condition"),
    # ---- Azure (azure-native) ---------------------------------------------------------------------
    "azure-native:authorization:RoleAssignment": _arm(
        "scope", "roleAssignmentName", "principalId", "roleDefinitionId",
        doc="https://learn.microsoft.com/azure/role-based-access-control/troubleshooting"),  # RoleAssignmentUpdateNotPermitted
    "azure-native:certificateregistration:AppServiceCertificateOrder": _arm(
        "resourceGroupName", "certificateOrderName", "location", "productType", "distinguishedName", "keySize"),
    "azure-native:certificateregistration:AppServiceCertificateOrderCertificate": _arm(
        "resourceGroupName", "certificateOrderName", "name", "location"),
    "azure-native:compute:DiskEncryptionSet": _arm("resourceGroupName", "diskEncryptionSetName", "location"),
    # AKS takes the node OS disks' encryption set, DNS prefix and node resource group only at creation.
    "azure-native:containerservice:ManagedCluster": _arm(
        "resourceGroupName", "resourceName", "location", "diskEncryptionSetID", "dnsPrefix", "nodeResourceGroup",
        doc="https://learn.microsoft.com/azure/aks/azure-disk-customer-managed-keys"),
    "azure-native:keyvault:Key": _arm("resourceGroupName", "vaultName", "keyName"),
    "azure-native:keyvault:Vault": _arm("resourceGroupName", "vaultName", "location"),
    "azure-native:managedidentity:FederatedIdentityCredential": _arm(
        "resourceGroupName", "resourceName", "federatedIdentityCredentialResourceName"),
    "azure-native:managedidentity:UserAssignedIdentity": _arm("resourceGroupName", "resourceName", "location"),
    "azure-native:network:ApplicationGateway": _arm("resourceGroupName", "applicationGatewayName", "location"),
    "azure-native:network:NetworkSecurityGroup": _arm("resourceGroupName", "networkSecurityGroupName", "location"),
    # A public IP's zones and IP version are fixed at creation.
    "azure-native:network:PublicIPAddress": _arm(
        "resourceGroupName", "publicIpAddressName", "location", "zones", "publicIPAddressVersion",
        doc="https://learn.microsoft.com/azure/virtual-network/ip-services/public-ip-addresses"),
    "azure-native:network:Subnet": _arm("resourceGroupName", "virtualNetworkName", "subnetName"),
    "azure-native:network:VirtualNetwork": _arm("resourceGroupName", "virtualNetworkName", "location"),
    "azure-native:network:WebApplicationFirewallPolicy": _arm("resourceGroupName", "policyName", "location"),
    "azure-native:operationalinsights:Workspace": _arm("resourceGroupName", "workspaceName", "location"),
    "azure-native:monitor:AzureMonitorWorkspace": _arm("resourceGroupName", "azureMonitorWorkspaceName", "location"),
    "azure-native:monitor:DataCollectionEndpoint": _arm("resourceGroupName", "dataCollectionEndpointName", "location"),
    "azure-native:monitor:DataCollectionRule": _arm("resourceGroupName", "dataCollectionRuleName", "location", "kind"),
    "azure-native:monitor:DataCollectionRuleAssociation": _arm("resourceUri", "associationName"),
    "azure-native:monitor:ActionGroup": _arm("resourceGroupName", "actionGroupName", "location"),
    # A system topic is bound to one source resource and its type for life.
    "azure-native:eventgrid:SystemTopic": _arm("resourceGroupName", "systemTopicName", "location", "source",
                                               "topicType"),
    "azure-native:eventgrid:SystemTopicEventSubscription": _arm("resourceGroupName", "systemTopicName",
                                                                "eventSubscriptionName"),
    "azure-native:alertsmanagement:PrometheusRuleGroup": _arm("resourceGroupName", "ruleGroupName", "location"),
    "azure-native:resources:ResourceGroup": _arm("resourceGroupName", "location"),
    "azure-native:storage:BlobContainer": _arm("resourceGroupName", "accountName", "containerName"),
    "azure-native:storage:BlobServiceProperties": _arm("resourceGroupName", "accountName", "blobServicesName"),
    "azure-native:storage:ManagementPolicy": _arm("resourceGroupName", "accountName", "managementPolicyName"),
    # Infrastructure (double) encryption can only be chosen when the account is created.
    "azure-native:storage:StorageAccount": _arm(
        "resourceGroupName", "accountName", "location", "encryption.requireInfrastructureEncryption",
        doc="https://learn.microsoft.com/azure/storage/common/infrastructure-encryption-enable"),
    "azure-native:keyvault:Secret": _arm("resourceGroupName", "vaultName", "secretName"),
    "azure-native:monitor:DiagnosticSetting": _arm("resourceUri", "name"),
    "azure-native:containerservice:MaintenanceConfiguration": _arm("resourceGroupName", "resourceName", "configName"),
    # ---- ACME certificate of an Azure gateway, its account key, RBAC propagation waits ----------------
    "acme:index/certificate:Certificate": (frozenset({
        "accountKeyPem", "commonName", "subjectAlternativeNames", "keyType", "certificateRequestPem", "mustStaple",
        "preferredChain"}), "https://registry.terraform.io/providers/vancluever/acme/latest/docs/resources/certificate"),
    "acme:index/registration:Registration": (frozenset({"accountKeyPem"}),
        "https://registry.terraform.io/providers/vancluever/acme/latest/docs/resources/registration"),
    "tls:index/privateKey:PrivateKey": (frozenset({"algorithm", "rsaBits", "ecdsaCurve"}),
        "https://registry.terraform.io/providers/hashicorp/tls/latest/docs/resources/private_key"),
    # pulumi-random: every argument forces a new id (the id is drawn at create), which the
    # creation suffixes of re-creatable names rely on.
    "random:index/randomId:RandomId": (frozenset({"byteLength", "keepers", "prefix"}),
                                       "https://registry.terraform.io/providers/hashicorp/random/latest/docs/resources/id"),
    "time:index/sleep:Sleep": (frozenset({"createDuration", "destroyDuration", "triggers"}),
        "https://registry.terraform.io/providers/hashicorp/time/latest/docs/resources/sleep"),
    # An offset is computed once, at create: any input change (base, offsets, triggers) is a new resource.
    "time:index/offset:Offset": (frozenset({"baseRfc3339", "offsetYears", "offsetMonths", "offsetDays", "offsetHours",
                                            "offsetMinutes", "offsetSeconds", "triggers"}),
        "https://registry.terraform.io/providers/hashicorp/time/latest/docs/resources/offset"),
    # ---- Kubernetes ---------------------------------------------------------------------------------
    # A Helm release is named once: a new name or namespace is a new release.
    "kubernetes:helm.sh/v3:Release": (frozenset(("name", "namespace")),
                                      "https://www.pulumi.com/registry/packages/kubernetes/api-docs/helm/v3/release/"),
    "kubernetes:apps/v1:Deployment": _k8s(
        "spec.selector", doc="https://kubernetes.io/docs/concepts/workloads/controllers/deployment/#label-selector-updates"),
    "kubernetes:autoscaling/v2:HorizontalPodAutoscaler": _k8s(),
    "kubernetes:core/v1:Namespace": _k8s(),
    "kubernetes:core/v1:Service": _k8s(
        "spec.clusterIP", "spec.clusterIPs",
        doc="https://kubernetes.io/docs/reference/kubernetes-api/service-resources/service-v1/#ServiceSpec"),
    "kubernetes:core/v1:ServiceAccount": _k8s(),
    "kubernetes:networking.k8s.io/v1:NetworkPolicy": _k8s(),
    "kubernetes:policy/v1:PodDisruptionBudget": _k8s(),
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRole": _k8s(),
    "kubernetes:rbac.authorization.k8s.io/v1:ClusterRoleBinding": _k8s(
        "roleRef", doc="https://kubernetes.io/docs/reference/access-authn-authz/rbac/#clusterrolebinding-example"),
    "kubernetes:monitoring.googleapis.com/v1:PodMonitoring": _k8s(),
    "kubernetes:azmonitoring.coreos.com/v1:PodMonitor": _k8s(),
}

# What replacing one of these means for users, shown next to the replacement.
IMPACT: dict[str, str] = {
    "aws:lb/loadBalancer:LoadBalancer": "a new load balancer gets a new DNS name: records and health checks "
                                        "pointing at the old one fail until they follow",
    "aws:route53/record:Record": "the old name stops answering when the old record is deleted; clients that "
                                 "cached it keep it for its TTL",
    "aws:route53/healthCheck:HealthCheck": "records lose their health check while it is recreated (a failed "
                                           "cell keeps receiving traffic meanwhile)",
    "aws:ec2/eip:Eip": "the public address changes",
    "aws:wafv2/webAcl:WebAcl": "the load balancer is unguarded (no residency refusal, no rate limit) between the "
                               "old ACL's disassociation and the new one's association",
    "aws:wafv2/webAclAssociation:WebAclAssociation": "the load balancer is unguarded until the new association "
                                                     "exists",
    "aws:ec2/natGateway:NatGateway": "the cell's egress address changes; outbound connections drop",
    "aws:eks/nodeGroup:NodeGroup": "every node is drained and recreated",
    "aws:acm/certificate:Certificate": "a new certificate must validate before listeners can use it",
    "gcp:compute/address:Address": "the cell's public address changes: DNS records must follow",
    "gcp:compute/forwardingRule:ForwardingRule": "the load balancer's frontend is down until recreated",
    "gcp:container/nodePool:NodePool": "every node is drained and recreated",
    "azure-native:network:PublicIPAddress": "the cell's public address changes: DNS records must follow",
    "azure-native:network:ApplicationGateway": "the gateway is down while recreated (minutes)",
    "kubernetes:core/v1:Service": "the service gets a new address; connections drop",
    "kubernetes:apps/v1:Deployment": "every pod is deleted before the new ones start",
}

_MISSING = object()


def at_path(value: Any, path: str) -> Any:
    """The value at a dotted wire path (lists: the values of their elements)."""
    for part in path.split("."):
        if isinstance(value, list):
            value = [at_path(v, part) for v in value]
        elif isinstance(value, dict):
            value = value.get(part, _MISSING)
        else:
            return _MISSING
        if value is _MISSING:
            return _MISSING
    return value


def create_only_changes(type_: str, old_inputs: dict, new_inputs: dict, declared=()) -> list[str]:
    """The create-only paths (table, or the program's `replaceOnChanges`) whose value changed."""
    paths = set(CREATE_ONLY.get(type_, (frozenset(), ""))[0]) | set(declared)
    out = []
    for path in sorted(paths):
        if path == "*":
            if old_inputs != new_inputs:
                out.append("*")
            continue
        if at_path(old_inputs, path) != at_path(new_inputs, path):
            out.append(path)
    return out
