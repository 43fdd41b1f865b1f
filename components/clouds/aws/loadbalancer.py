"""The cell's public entry: an internet-facing ALB that ends TLS and forwards to the EKS nodes.

How a request reaches a pod: the ALB's target group uses *instance* targets on a
fixed NodePort (`NODE_PORT`). Instead of registering instances one by one, the
target group is attached to the Auto Scaling group behind the EKS managed node
group, so every node the group launches (scale-out, node replacement, upgrades)
is registered and every node it terminates is drained.

Why an attachment to the EKS-owned Auto Scaling group is kept (reviewed, decided): it is the one path
that needs no in-cluster controller (the AWS Load Balancer Controller's TargetGroupBinding would add a
second controller, with its own IAM role, webhook and upgrade cycle, to every cell). The EKS API itself
reports the group as "associated with" the node group (API_AutoScalingGroup), and EC2 Auto Scaling's
AttachLoadBalancerTargetGroups is additive (it changes no other setting of the group:
https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_AttachLoadBalancerTargetGroups.html); EKS
node group updates change the launch template version and sizes, not the group's target groups. Costs,
accepted: a new node is a target before its pods are ready (the health check keeps it out until it
passes), and a replaced node group gets a new group name, so Pulumi replaces the attachment with it. The workload exposes the
`inference` Service as `type: NodePort` on that port (`WorkloadExposure`), and
kube-proxy forwards from the node to a ready pod. No in-cluster controller and no
Kubernetes object is needed for the ALB to find the pods.

Security groups: the ALB's group admits 443 and 80 from the internet and may only
send to the NodePort of the cluster security group (which EKS puts on every managed
node); the cluster security group admits the NodePort from the ALB's group only.
Port 80 only redirects to HTTPS. The certificate covers the cell's own name (`hostname`, which the
health checks call) and the public name (`domain`, which the global layer answers with this ALB);
each name is DNS-validated in the platform's Route 53 zone (records through the global DNS provider).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_aws as aws

from . import iam
from ...contract import NODE_PORT, Piece
from ...global_traffic.cert_validation import DnsValidator
from .bucket import SecureBucket, SecureBucketArgs
from .context import AwsContext

SSL_POLICY = "ELBSecurityPolicy-TLS13-1-2-2021-06"
LOG_RETENTION_DAYS = 365
HEALTH_CHECK_INTERVAL = 10
HEALTH_CHECK_TIMEOUT = 5
HEALTHY_THRESHOLD = 2
UNHEALTHY_THRESHOLD = 3
DEREGISTRATION_DELAY = 30
# How long the ALB may still send to a pod after it starts terminating: until the node's target fails
# `UNHEALTHY_THRESHOLD` checks `HEALTH_CHECK_INTERVAL` apart, plus the deregistration delay of a node
# leaving the group (the workload sleeps this long in preStop).
DRAIN_SECONDS = HEALTH_CHECK_INTERVAL * UNHEALTHY_THRESHOLD + DEREGISTRATION_DELAY
# ALB alarms (https://docs.aws.amazon.com/elasticloadbalancing/latest/application/load-balancer-cloudwatch-metrics.html).
ALARM_PERIOD_SECONDS = 60
ALARM_5XX_PER_MINUTE = 10

# Regions opened since ap-southeast-3 (Dec 2021) have no ELB log-delivery account: the bucket
# policy names the log-delivery service principal there (AWS "Enable access logs" docs).
_LOG_DELIVERY_SERVICE_REGIONS = frozenset({
    "ap-southeast-4", "ap-southeast-5", "ap-southeast-7", "ap-south-2", "eu-central-2", "eu-south-2",
    "il-central-1", "me-central-1", "ca-west-1", "mx-central-1",
})


def _log_writer(region: str, account: iam.AccountContext, provider: aws.Provider,
                parent: pulumi.Resource) -> dict:
    if region in _LOG_DELIVERY_SERVICE_REGIONS:
        return {"Service": account.service("logdelivery.elasticloadbalancing")}
    elb = aws.elb.get_service_account_output(opts=pulumi.InvokeOutputOptions(provider=provider, parent=parent))
    return {"AWS": elb.arn}


@dataclass(frozen=True)
class LoadBalancerArgs:
    ctx: AwsContext
    vpc_id: pulumi.Input[str]
    public_subnet_ids: tuple[pulumi.Input[str], ...]   # where the ALB's interfaces live
    node_security_group_id: pulumi.Input[str]          # EKS's cluster security group (on every node)
    autoscaling_group_name: pulumi.Input[str]          # the node group's ASG: attached to the target group
    hostname: str                                      # the cell's own name (health checks call it)
    domain: str                                        # the public name the global layer answers
    validator: DnsValidator                            # writes the certificate's validation records
    health_path: str
    key_arn: pulumi.Input[str]                         # encrypts the alarm topic
    alarm_email: Optional[str] = None                  # subscribed to the alarm topic (required in prod)


class LoadBalancer(Piece):
    TYPE = "platform:aws:LoadBalancer"
    alb: aws.lb.LoadBalancer
    target_group: aws.lb.TargetGroup
    certificate_arn: pulumi.Output[str]

    def __init__(self, name: str, args: LoadBalancerArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, args, opts)
        ctx, vpc_id, node_security_group_id = args.ctx, args.vpc_id, args.node_security_group_id
        account, provider, protect = ctx.account, ctx.provider, ctx.protect
        child = ctx.opts(self)

        logs = self._access_log_bucket(name, ctx)

        sg = aws.ec2.SecurityGroup(f"{name}-alb", vpc_id=vpc_id,
                                   description=f"ALB of cell {name}: HTTPS in, NodePort {NODE_PORT} to the nodes",
                                   opts=child)
        for port, why in ((443, "HTTPS from the internet"), (80, "HTTP from the internet, redirected to HTTPS")):
            aws.vpc.SecurityGroupIngressRule(f"{name}-alb-in-{port}", security_group_id=sg.id, ip_protocol="tcp",
                                             from_port=port, to_port=port, cidr_ipv4="0.0.0.0/0", description=why,
                                             opts=child)
        aws.vpc.SecurityGroupEgressRule(f"{name}-alb-to-nodes", security_group_id=sg.id, ip_protocol="tcp",
                                        from_port=NODE_PORT, to_port=NODE_PORT,
                                        referenced_security_group_id=node_security_group_id,
                                        description="requests and health checks to the workload NodePort",
                                        opts=child)
        aws.vpc.SecurityGroupIngressRule(f"{name}-nodes-from-alb", security_group_id=node_security_group_id,
                                         ip_protocol="tcp", from_port=NODE_PORT, to_port=NODE_PORT,
                                         referenced_security_group_id=sg.id,
                                         description=f"ALB of cell {name} to the workload NodePort", opts=child)

        self.alb = aws.lb.LoadBalancer(
            f"{name}-alb",
            load_balancer_type="application",
            internal=False,
            ip_address_type="ipv4",
            subnets=list(args.public_subnet_ids),
            security_groups=[sg.id],
            drop_invalid_header_fields=True,
            desync_mitigation_mode="defensive",
            enable_deletion_protection=protect,
            access_logs=aws.lb.LoadBalancerAccessLogsArgs(bucket=logs.bucket.bucket, prefix=name, enabled=True),
            # ELB checks at creation that it may write to the bucket: the policy must be in place.
            opts=pulumi.ResourceOptions.merge(child, pulumi.ResourceOptions(depends_on=[logs.policy])),
        )

        self.target_group = aws.lb.TargetGroup(
            f"{name}-nodes",
            target_type="instance",
            protocol="HTTP",
            port=NODE_PORT,
            vpc_id=vpc_id,
            deregistration_delay=DEREGISTRATION_DELAY,
            health_check=aws.lb.TargetGroupHealthCheckArgs(
                enabled=True, protocol="HTTP", port="traffic-port", path=args.health_path, matcher="200",
                interval=HEALTH_CHECK_INTERVAL, timeout=HEALTH_CHECK_TIMEOUT, healthy_threshold=HEALTHY_THRESHOLD,
                unhealthy_threshold=UNHEALTHY_THRESHOLD),
            opts=child)
        # The node group's Auto Scaling group registers (and drains) its instances in the target group.
        aws.autoscaling.Attachment(f"{name}-nodes", autoscaling_group_name=args.autoscaling_group_name,
                                   lb_target_group_arn=self.target_group.arn, opts=child)

        self.certificate_arn = self._certificate(name, args.hostname, args.domain, args.validator, provider)

        aws.lb.Listener(
            f"{name}-https", load_balancer_arn=self.alb.arn, port=443, protocol="HTTPS", ssl_policy=SSL_POLICY,
            certificate_arn=self.certificate_arn,
            default_actions=[aws.lb.ListenerDefaultActionArgs(type="forward",
                                                              target_group_arn=self.target_group.arn)],
            opts=child)
        aws.lb.Listener(
            f"{name}-http", load_balancer_arn=self.alb.arn, port=80, protocol="HTTP",
            default_actions=[aws.lb.ListenerDefaultActionArgs(
                type="redirect",
                redirect=aws.lb.ListenerDefaultActionRedirectArgs(protocol="HTTPS", port="443",
                                                                  status_code="HTTP_301"))],
            opts=child)
        self.alarm_topic = self._alarms(name, args.key_arn, args.alarm_email, account, child)
        self.register_outputs({"dns_name": self.alb.dns_name, "zone_id": self.alb.zone_id,
                               "alarm_topic_arn": self.alarm_topic.arn})

    def _alarms(self, name: str, key_arn: pulumi.Input[str], alarm_email: Optional[str],
                account: iam.AccountContext, child: pulumi.ResourceOptions) -> aws.sns.Topic:
        """The cell's alarm topic (CloudWatch alarms notify an SNS topic of their own region; the global
        layer's topic lives in us-east-1), encrypted with the cell key, fed by the ALB alarms, and mailed to
        `platform:dns.alarm_email` (required in prod)."""
        topic = aws.sns.Topic(f"{name}-alarms", display_name=f"Load balancer alarms of cell {name}",
                              kms_master_key_id=key_arn, opts=child)
        aws.sns.TopicPolicy(f"{name}-alarms", arn=topic.arn, policy=iam.document([
            {"Sid": "OnlyThisAccountsAlarmsPublish", "Effect": "Allow",
             "Principal": {"Service": account.service("cloudwatch")}, "Action": "sns:Publish", "Resource": topic.arn,
             "Condition": {"StringEquals": {"aws:SourceAccount": account.account_id},
                           "ArnLike": {"aws:SourceArn": account.arn("cloudwatch", "alarm:*")}}},
            {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "sns:Publish",
             "Resource": topic.arn, "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        ]), opts=child)
        if alarm_email:
            aws.sns.TopicSubscription(f"{name}-alarms-email", topic=topic.arn, protocol="email",
                                      endpoint=alarm_email, opts=child)
        alb = {"LoadBalancer": self.alb.arn_suffix}
        group = {"LoadBalancer": self.alb.arn_suffix, "TargetGroup": self.target_group.arn_suffix}
        # (metric, dimensions, statistic, comparison, threshold, missing data, why). With
        # externalTrafficPolicy: Local every node without an inference pod fails the target health check by
        # design, so UnHealthyHostCount > 0 is the normal state; an outage is no healthy target at all.
        for metric, dims, statistic, comparison, threshold, missing, why in (
                ("HTTPCode_ELB_5XX_Count", alb, "Sum", "GreaterThanThreshold", ALARM_5XX_PER_MINUTE, "notBreaching",
                 "the ALB itself answers 5XX (no healthy target, target connection errors)"),
                ("HTTPCode_Target_5XX_Count", group, "Sum", "GreaterThanThreshold", ALARM_5XX_PER_MINUTE,
                 "notBreaching", "the inference pods answer 5XX"),
                # No datapoint means the target group reports nothing healthy either: breaching.
                ("HealthyHostCount", group, "Minimum", "LessThanThreshold", 1, "breaching",
                 "no node passes the ALB health check on the workload NodePort (the cell serves nothing)")):
            aws.cloudwatch.MetricAlarm(
                f"{name}-{metric}", alarm_description=f"Cell {name}: {why}", namespace="AWS/ApplicationELB",
                metric_name=metric, dimensions=dims, statistic=statistic,
                period=ALARM_PERIOD_SECONDS, evaluation_periods=3, datapoints_to_alarm=2, threshold=threshold,
                comparison_operator=comparison, treat_missing_data=missing,
                alarm_actions=[topic.arn], ok_actions=[topic.arn], opts=child)
        return topic

    def _access_log_bucket(self, name: str, ctx: AwsContext) -> SecureBucket:
        account = ctx.account
        writer = _log_writer(account.region, account, ctx.provider, self)

        def statements(arn: pulumi.Output[str]) -> list[dict]:
            return [{
                "Sid": "ElbWritesAccessLogs",
                "Effect": "Allow",
                "Principal": writer,
                "Action": "s3:PutObject",
                "Resource": pulumi.Output.all(arn, account.account_id).apply(
                    lambda a: f"{a[0]}/{name}/AWSLogs/{a[1]}/*"),
            }]

        # ALB access logs are written with S3-managed keys only (SSE-KMS is not supported).
        logs = SecureBucket(f"{name}-alb-logs", SecureBucketArgs(
            ctx, log_delivery=True, noncurrent_version_days=30, expire_current_days=LOG_RETENTION_DAYS,
            force_destroy=not ctx.protect, extra_statements_for=statements), opts=pulumi.ResourceOptions(parent=self))
        return logs

    def _certificate(self, name: str, hostname: str, domain: str, validator: DnsValidator,
                     provider: aws.Provider) -> pulumi.Output[str]:
        # The global layer answers `domain` with this ALB and the health checks call `hostname`: the
        # one certificate the listener serves covers both. The ALB serves it from its own region, so
        # ACM issues it there.
        cert = aws.acm.Certificate(f"{name}-cert", domain_name=hostname, subject_alternative_names=[domain],
                                   validation_method="DNS", key_algorithm="RSA_2048",
                                   opts=pulumi.ResourceOptions(parent=self, provider=provider))
        # ACM returns one validation option per name, as an unordered set: each record picks its name's.
        hostname_record = self._validation_record(f"{name}-cert-validation", cert, hostname, validator)
        # ACM asks for the same CNAME for `domain` from every certificate of the account that names it,
        # so every AWS cell writes this one record: deleting one cell must not take it from the others.
        domain_record = self._validation_record(f"{name}-cert-validation-domain", cert, domain, validator,
                                                shared=True)
        validation = aws.acm.CertificateValidation(
            f"{name}-cert", certificate_arn=cert.arn,
            validation_record_fqdns=[hostname_record.fqdn, domain_record.fqdn],
            opts=pulumi.ResourceOptions(parent=self, provider=provider))
        return validation.certificate_arn

    def _validation_record(self, resource_name: str, cert: aws.acm.Certificate, domain_name: str,
                           validator: DnsValidator, shared: bool = False) -> aws.route53.Record:
        def option_for(options) -> aws.acm.outputs.CertificateDomainValidationOption:
            found = [o for o in options if o.domain_name == domain_name]
            if not found:
                raise ValueError(f"ACM certificate has no DNS validation option for {domain_name!r} "
                                 f"(got {[o.domain_name for o in options]})")
            return found[0]

        option = cert.domain_validation_options.apply(option_for)
        # ACM re-issues the same CNAME after a failed validation: overwriting it is always safe.
        return validator.record(
            resource_name, parent=self, name=option.apply(lambda o: o.resource_record_name),
            type=option.apply(lambda o: o.resource_record_type),
            values=[option.apply(lambda o: o.resource_record_value)], ttl=60, shared=shared, allow_overwrite=True)
