"""`DnsValidator`: the one writer of certificate-validation records in the public Route 53 zone.

Every cell's certificate (ACM on AWS, Certificate Manager DNS authorization on GCP, App Service
certificate order on Azure) proves control of its names with a record in the same hosted zone.
Those records used to be written by each cloud's load balancer with its own us-east-1 provider,
so the GCP and Azure cells imported the AWS SDK. Now the stack builds one validator, with the
stack's one global provider (`hosted_zone.global_aws_provider`), and hands it to every cell in
its `CellSpec`; a cell says *what* to publish, the validator knows *where* and *how*.

URNs: a record is still registered under the piece that asks for it (`parent=`), with the same
name, so its URN is unchanged; only its provider reference moves from the cell's own us-east-1
provider to the stack's (same configuration: the engine asks the provider's DiffConfig and
updates the reference in place, pulumi/pulumi#18509).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional, Sequence

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class DnsValidator:
    zone_id: pulumi.Input[str]   # the public hosted zone
    provider: aws.Provider       # the stack's us-east-1 provider (Route 53 is global)
    # The zone is the stack's own (created, dev): nobody else publishes in it, and `destroy` deletes it,
    # which Route 53 refuses while a record is left inside (HostedZoneNotEmpty). So no record is retained.
    zone_owned: bool = False

    def record(self, resource_name: str, *, parent: pulumi.Resource, name: pulumi.Input[str],
               type: pulumi.Input[str], values: Sequence[pulumi.Input[str]], ttl: int,
               shared: bool = False, allow_overwrite: Optional[bool] = None,
               opts: Optional[pulumi.ResourceOptions] = None, **record_args: Any) -> aws.route53.Record:
        """Publish one validation record under `parent`.

        `shared`: the same record is published by other cells (or stacks) too, so this one keeps it
        when it goes away (`retain_on_delete`) and may overwrite the copy another wrote, unless
        `allow_overwrite` says otherwise (multivalue records coexist instead). In a zone the stack owns
        nothing is shared beyond the stack, so nothing is retained (offline/apply/teardown.py)."""
        retain = shared and not self.zone_owned
        base = pulumi.ResourceOptions(parent=parent, provider=self.provider,
                                      retain_on_delete=True if retain else None)
        return aws.route53.Record(
            resource_name, zone_id=self.zone_id, name=name, type=type, ttl=ttl, records=list(values),
            allow_overwrite=shared if allow_overwrite is None else allow_overwrite, **record_args,
            opts=pulumi.ResourceOptions.merge(base, opts))
