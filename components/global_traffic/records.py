"""One global name on Route 53 over every cell: health checks, alarms and the routing records.

`GlobalTraffic` creates, one for one, the record tree that `components/core/routing.py` plans and
proves residency-safe (see its docstring for the shape), plus:

- a health check per cell: HTTPS on 443 against `<cell>.<domain>` (the name on the cell's
  certificate, so the SNI and Host header select the cell's own certificate and listener),
  its `health_path`, from at least three checker regions, with latency measurement;
- a CALCULATED check per residency exception (healthy while any cell of the zone is): its
  alarm is the notification that the exception's fallback is taking the zone's traffic;
- a CloudWatch alarm per check in us-east-1 (the only region Route 53 publishes
  `HealthCheckStatus` to) notifying an SNS topic encrypted with a customer managed key (the
  AWS managed `alias/aws/sns` key does not let CloudWatch publish to the topic).

Global resources use the explicit us-east-1 provider the caller passes.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Optional, Sequence

import pulumi
import pulumi_aws as aws

from ..core import routing
from ..clouds.aws import iam as aws_iam
from ..contract import AliasTarget, CellOutputs
from ..core.config import DnsOptions, ResidencyException
from .hosted_zone import GLOBAL_REGION

HEALTH_CHECK_PORT = 443
ALARM_PERIOD_SECONDS = 60  # Route 53 publishes HealthCheckStatus once a minute


@dataclass(frozen=True)
class GlobalTrafficArgs:
    """What the global layer routes: the stack's planned `tree` (core/plan.py: its cells say where
    each cell is, plain values known at preview), `cells[i]` the contract outputs of
    `tree.cells[i]`, the hosted zone, and the explicit us-east-1 AWS `provider`. `protect`: prod
    (the alarm key is protected like every other key)."""

    dns: DnsOptions
    zone_id: pulumi.Input[str]
    cells: Sequence[CellOutputs]
    tree: routing.RoutingTree
    provider: aws.Provider
    protect: bool = False


class GlobalTraffic(pulumi.ComponentResource):
    """The public name `dns.domain`, routed over the planned cells residency first:
    `GlobalTraffic(name, GlobalTrafficArgs, opts)`, the shape of every component."""

    tree: routing.RoutingTree
    health_check_ids: dict[str, pulumi.Output[str]]
    alarm_topic_arn: pulumi.Output[str]

    def __init__(self, name: str, args: GlobalTrafficArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__("platform:dns:GlobalTraffic", name, None, opts)
        self.args = args
        dns, cells, tree = args.dns, list(args.cells), args.tree
        placements = list(tree.cells)
        self._protect = args.protect
        if len(cells) != len(placements):
            raise routing.RoutingError(f"{len(cells)} cell outputs for {len(placements)} placed cells")
        for p, out in zip(placements, cells):
            if isinstance(out.name, str) and out.name != p.name:
                raise routing.RoutingError(f"cell outputs of {out.name!r} given for the placement of {p.name!r}")
            # The record type of a leaf is the cell's Endpoint type (AliasTarget | Address), not its cloud;
            # the plan took it from the driver's endpoint kind, so the cell's actual endpoint must agree.
            if p.alias_endpoint != isinstance(out.endpoint, AliasTarget):
                raise routing.RoutingError(f"cell {p.name!r}: the plan's leaf is {'an alias' if p.alias_endpoint else 'an address'}"
                                           f" but the cell's endpoint is a {type(out.endpoint).__name__}")
        self.dns = dns
        self.zone_id = args.zone_id
        self.outputs = {p.name: out for p, out in zip(placements, cells)}
        self.public_name = dns.public_name
        self.tree = tree
        exceptions = tree.exceptions
        for note in self.tree.notes:
            pulumi.log.info(note, resource=self)
        for ex in exceptions:
            pulumi.log.warn(f"residency exception in force for zone {ex.zone!r}: fallback {ex.fallback_cell!r} "
                            f"(approved by {ex.approver}, expires {ex.expires}): {ex.reason}", resource=self)
        worst = self.tree.worst_case_failover_seconds
        if worst > 60:
            slow = [c.name for c in placements if self.tree.failover_seconds(c.name) == worst]
            pulumi.log.warn(f"worst-case failover is {worst} s (cells {', '.join(slow)}), above the 60 s target: "
                            f"{dns.health_check.request_interval} s x {dns.health_check.failure_threshold} "
                            f"probes + {dns.ttl} s TTL; lower platform:dns.ttl or platform:dns.health_check",
                            resource=self)

        self._opts = pulumi.ResourceOptions(parent=self, provider=args.provider)
        self.health_check_ids = self._health_checks(placements)
        self.alarm_topic_arn = self._alarm_topic(name)
        self._alarms(placements, exceptions)
        self._records: dict[str, list[aws.route53.Record]] = {}
        for label in self.tree.names():
            self._group(label)

        self.register_outputs({
            "public_name": self.public_name,
            "health_check_ids": self.health_check_ids,
            "alarm_topic_arn": self.alarm_topic_arn,
            "worst_case_failover_seconds": worst,
            "latency_regions": dict(self.tree.latency_regions),
        })

    def summary(self) -> dict:
        """What a stack exports about its global layer."""
        return {
            "public_name": self.public_name,
            "routing": self.dns.routing,
            "within_zone": self.dns.within_zone,
            "health_check_ids": self.health_check_ids,
            "alarm_topic_arn": self.alarm_topic_arn,
            "worst_case_failover_seconds": self.tree.worst_case_failover_seconds,
            "latency_regions": dict(self.tree.latency_regions),
        }

    # ---- names ---------------------------------------------------------------------
    def fqdn(self, label: str) -> str:
        return f"{label}.{self.dns.domain}" if label else self.dns.domain

    # ---- health checks and alarms ----------------------------------------------------
    def _health_checks(self, placements: Sequence[routing.Cell]) -> dict[str, pulumi.Output[str]]:
        hc = self.dns.health_check
        ids: dict[str, pulumi.Output[str]] = {}
        for cell in placements:
            out = self.outputs[cell.name]
            check = aws.route53.HealthCheck(
                f"{cell.name}-health",
                type="HTTPS",
                fqdn=self.fqdn(cell.name),
                port=HEALTH_CHECK_PORT,
                resource_path=self._verified(pulumi.Output.from_input(out.health_path), cell),
                enable_sni=True,
                request_interval=hc.request_interval,
                failure_threshold=hc.failure_threshold,
                regions=list(hc.regions),
                measure_latency=True,
                # Route 53 tag values allow letters, digits, space and .:/=+-@ only: no parentheses
                # (https://docs.aws.amazon.com/Route53/latest/APIReference/API_Tag.html).
                tags={"Name": f"{cell.name} {cell.cloud} {cell.region}", "target-cell": cell.name,
                      "target-residency": cell.residency},
                opts=self._opts,
            )
            ids[cell.name] = check.id
        for spec in self.tree.health_checks:
            if spec.cell is None:  # calculated: healthy while `threshold` of its children are
                zone = spec.id.removesuffix("-any")
                check = aws.route53.HealthCheck(
                    f"{spec.id}-health",
                    type="CALCULATED",
                    child_healthchecks=[ids[c] for c in spec.children],
                    child_health_threshold=spec.threshold,
                    tags={"Name": f"any cell of zone {zone} healthy", "target-residency": zone},
                    opts=self._opts,
                )
                ids[spec.id] = check.id
        return ids

    def _alarm_topic(self, name: str) -> pulumi.Output[str]:
        account = aws.get_caller_identity_output(opts=pulumi.InvokeOptions(parent=self, provider=self._opts.provider))
        partition = aws.get_partition_output(opts=pulumi.InvokeOptions(parent=self, provider=self._opts.provider))
        key = aws.kms.Key(
            f"{name}-alarms-key",
            description=f"Encrypts the Route 53 health alarm topic of {self.dns.domain}",
            enable_key_rotation=True,
            deletion_window_in_days=30,
            policy=pulumi.Output.all(partition.partition, account.account_id).apply(
                lambda a: json.dumps(aws_iam.alarm_key_policy(*a))),
            opts=pulumi.ResourceOptions.merge(self._opts, pulumi.ResourceOptions(protect=self._protect)),
        )
        aws.kms.Alias(f"{name}-alarms-key-alias", name_prefix="alias/dns-health-alarms-",
                      target_key_id=key.key_id, opts=self._opts)
        topic = aws.sns.Topic(
            f"{name}-health-alarms",
            display_name=f"Route 53 health of {self.dns.domain}",
            kms_master_key_id=key.arn,
            opts=self._opts,
        )
        aws.sns.TopicPolicy(
            f"{name}-health-alarms-policy",
            arn=topic.arn,
            policy=pulumi.Output.all(topic.arn, partition.partition, account.account_id).apply(
                lambda a: json.dumps(aws_iam.alarm_topic_policy(*a, region=GLOBAL_REGION))),
            opts=self._opts,
        )
        if self.dns.alarm_email:
            aws.sns.TopicSubscription(f"{name}-health-alarms-email", topic=topic.arn, protocol="email",
                                      endpoint=self.dns.alarm_email, opts=self._opts)
        return topic.arn

    def _alarms(self, placements: Sequence[routing.Cell], exceptions: Sequence[ResidencyException]) -> None:
        def alarm(check: str, description: str) -> None:
            aws.cloudwatch.MetricAlarm(
                f"{check}-health-alarm",
                alarm_description=description,
                namespace="AWS/Route53",
                metric_name="HealthCheckStatus",
                dimensions={"HealthCheckId": self.health_check_ids[check]},
                statistic="Minimum",
                period=ALARM_PERIOD_SECONDS,
                evaluation_periods=1,
                threshold=1,
                comparison_operator="LessThanThreshold",
                # No data means the checkers are not reporting: treat it as down, not as fine.
                treat_missing_data="breaching",
                alarm_actions=[self.alarm_topic_arn],
                ok_actions=[self.alarm_topic_arn],
                opts=self._opts,
            )

        for cell in placements:
            alarm(cell.name, f"Route 53 health check of cell {cell.name} ({cell.cloud} {cell.region}, zone "
                             f"{cell.residency}) is failing on {self.fqdn(cell.name)}; traffic fails over "
                             "within the cell's zone")
        for ex in exceptions:
            alarm(f"{ex.zone}-any",
                  f"Residency exception in use: no cell of zone {ex.zone} is healthy, so its traffic now goes "
                  f"to {ex.fallback_cell}. Reason: {ex.reason}. Approved by {ex.approver}; expires {ex.expires}.")

    # ---- records ---------------------------------------------------------------------
    def _group(self, label: str) -> list[aws.route53.Record]:
        """The records of one name, after the records they alias (Route 53 rejects an alias to a
        name that does not exist yet)."""
        if label in self._records:
            return self._records[label]
        created = []
        for r in self.tree.group(label):
            depends = self._group(r.target) if r.target is not None else []
            created.append(self._record(r, depends))
        self._records[label] = created
        return created

    def _record(self, r: routing.Record, depends: list[aws.route53.Record]) -> aws.route53.Record:
        # Leaves are A records (ALB alias, load balancer IP); the rest of the tree is CNAMEs.
        args: dict = dict(name=self.fqdn(r.name), type=r.type, zone_id=self.zone_id)
        if r.endpoint is not None:
            cell = self.tree.cell(r.endpoint)
            endpoint = self.outputs[cell.name].endpoint
            if isinstance(endpoint, AliasTarget):  # no fixed address: alias it (and evaluate its targets)
                args["aliases"] = [aws.route53.RecordAliasArgs(
                    name=self._verified(endpoint.hostname, cell), zone_id=endpoint.zone_id,
                    evaluate_target_health=r.evaluate_target_health)]
            else:
                args["records"] = [self._verified(endpoint.ip, cell)]
                args["ttl"] = self.dns.ttl
        elif r.cname is not None:  # what resolvers cache for the public name: the tree's TTL
            args["records"] = [self.fqdn(r.cname)]
            args["ttl"] = self.dns.ttl
        else:
            args["aliases"] = [aws.route53.RecordAliasArgs(
                name=self.fqdn(r.alias), zone_id=self.zone_id, evaluate_target_health=r.evaluate_target_health)]
        if r.set_id is not None:
            args["set_identifier"] = r.set_id
        if r.health_check is not None:
            args["health_check_id"] = self.health_check_ids[r.health_check]
        if r.policy == "geolocation":
            args["geolocation_routing_policies"] = [aws.route53.RecordGeolocationRoutingPolicyArgs(
                country=r.country, continent=r.continent)]
        elif r.policy == "latency":
            args["latency_routing_policies"] = [aws.route53.RecordLatencyRoutingPolicyArgs(region=r.region)]
        elif r.policy == "weighted":
            args["weighted_routing_policies"] = [aws.route53.RecordWeightedRoutingPolicyArgs(weight=r.weight)]
        elif r.policy == "failover":
            args["failover_routing_policies"] = [aws.route53.RecordFailoverRoutingPolicyArgs(type=r.failover)]
        # The public name's records keep the resource names they had when it was the zone apex.
        label = "public" if r.name == self.tree.public else r.name
        resource_name = label + (f"-{r.set_id}" if r.set_id else "")
        return aws.route53.Record(resource_name, **args,
                                  opts=pulumi.ResourceOptions.merge(self._opts, pulumi.ResourceOptions(
                                      depends_on=depends)))


    def _verified(self, value: pulumi.Input, cell: routing.Cell) -> pulumi.Output:
        """`value`, once the cell's exported placement has been checked against the configured one.

        In-stack cells match by construction; a cell read from another stack may not (a config copied
        wrong would route a zone's countries to a cell of another zone, or the public name to a cell
        whose certificate is for another name), and must fail the deployment."""
        want = {"name": cell.name, "cloud": cell.cloud, "region": cell.region, "residency": cell.residency,
                "public_name": self.public_name}
        out = self.outputs[cell.name]

        def check(args):
            got = dict(zip(want, args[1:]))
            if all(v is None for v in got.values()):
                raise routing.RoutingError(f"cell {cell.name!r}: the referenced stack exports no cell of that name")
            # A cell stack deployed before `public_name` was exported says nothing about it: not a mismatch.
            wrong = [f"{k}: configured {want[k]!r}, exported {got[k]!r}" for k in want
                     if got[k] != want[k] and not (k == "public_name" and got[k] is None)]
            if wrong:
                raise routing.RoutingError(f"cell {cell.name!r}: the referenced stack's exports disagree with "
                                           f"platform:cell_stacks ({'; '.join(wrong)})")
            return args[0]

        return pulumi.Output.all(value, *(getattr(out, k) for k in want)).apply(check)
