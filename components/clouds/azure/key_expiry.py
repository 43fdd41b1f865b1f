"""Alarms on the cell's keys: the AKS etcd KMS key must never expire under the cluster.

Why an alarm is needed at all: AKS KMS v2 takes a *versioned* key id. The vault's rotation policy
(key.py) makes a new version every 90 days, each valid for a year, but the cluster keeps using the
version it was given until the next `pulumi up` after a refresh carries the new one to it. The
weekly renewal run (`.github/workflows/renew.yml`: refresh + up, README "Operations") is that path;
these alarms tell when it is needed and when it has not happened:

- `KeyNewVersionCreated` on `etcd-cmk` (Sev3): the key rotated; the cluster still encrypts with the
  previous version until the next refresh + up. Nothing is broken yet; a notice that the renewal
  run must move the cluster within the version's year.
- `KeyNearExpiry` (30 days ahead) and `KeyExpired` on any key of the vault (Sev1): the current
  version is about to expire, so rotation did not happen (policy removed, vault firewall, permission).
  Every version expires (the first one too: key.py sets its expiry), so the alarm is
  meaningful from the first day. For the etcd key an expired version still decrypts (Key Vault
  refuses only encrypt/wrap/sign after `exp`), but the cluster can no longer encrypt: writing a
  Secret fails until a new version is in place and the cluster moved to it (refresh + up).

Fallback: the MonitorAlert destination is a preview with no published region list. Where
it is refused, `azure.key_event_alerts: false` leaves the subscriptions out, and the check every real
preview runs (`expiry_preflight`, so the daily drift run of every stack) fails when the etcd key's
current version expires within 30 days, with the same runbook: the drift job opens its issue.

Key Vault publishes these to an Event Grid *system topic* of the vault (in the vault's region; no
event leaves the cell's region). Event Grid turns them into Azure Monitor alerts directly (the
`MonitorAlert` destination, which exists only for Key Vault system topics and takes only the
CloudEvents v1.0 schema: learn.microsoft.com/azure/event-grid/handler-azure-monitor-alerts); the
alert goes to the cell's action group (the SLO group: the addresses of `platform:slo.alert_emails`).

Runbook (README "Rotating the AKS etcd key"): `pulumi refresh` then `pulumi up` on the cell's stack;
the cluster's `securityProfile.azureKeyVaultKms.keyId` moves to the new version and AKS re-encrypts
the data-encryption keys.
"""
from __future__ import annotations

from dataclasses import dataclass
import time as _time
from typing import Optional

import pulumi
import pulumi_azure_native as azure

from ...contract import Piece
from .common import real_up, under_mocks
from .context import AzureCellContext

TOPIC_TYPE = "Microsoft.KeyVault.vaults"
# The only schema Event Grid accepts for the Azure Monitor alert destination.
CLOUD_EVENTS = "CloudEventSchemaV1_0"
ROTATED = "Microsoft.KeyVault.KeyNewVersionCreated"
NEAR_EXPIRY = "Microsoft.KeyVault.KeyNearExpiry"
EXPIRED = "Microsoft.KeyVault.KeyExpired"


@dataclass(frozen=True)
class KeyAlarmsArgs:
    ctx: AzureCellContext
    vault: azure.keyvault.Vault                          # whose system topic carries the key events
    etcd_key: azure.keyvault.Key                         # the AKS KMS key (waited for)
    etcd_key_name: str                                   # its name in the vault: the events' subject
    action_group: Optional[azure.monitor.ActionGroup]    # the cell's (SLO) group; None: alerts only in the portal


class KeyAlarms(Piece):
    """The vault's Event Grid system topic and the two alarm subscriptions. Outputs: `topic`, `rotated`,
    `expiry`."""

    TYPE = "platform:azure:KeyAlarms"

    def __init__(self, name: str, args: KeyAlarmsArgs, opts: Optional[pulumi.ResourceOptions] = None):
        super().__init__(name, args, opts)
        ctx = args.ctx.within(self)
        spec = ctx.spec
        self.rotated = self.expiry = None
        if not under_mocks():
            # The fallback alarm (module docstring): the refreshed state of the etcd key's current version.
            def check(props):
                attributes = getattr(props, "attributes", None) if props is not None else None
                found = expiry_preflight(spec.name, args.etcd_key_name, getattr(attributes, "expires", None),
                                         _time.time())
                if found is not None:
                    if not real_up():
                        raise pulumi.RunError(found)  # a real preview (the daily drift run) fails with the runbook
                    pulumi.log.warn(found, resource=ctx.cell)  # never block the up that moves the cluster
                return None

            args.etcd_key.properties.apply(check)
        if not ctx.settings.key_event_alerts:
            self.topic = None
            self.register_outputs({})
            return
        self.topic = azure.eventgrid.SystemTopic(
            ctx.name("vault-events"), system_topic_name=ctx.name("vault-events"), resource_group_name=ctx.rg_name,
            location=ctx.location, source=args.vault.id, topic_type=TOPIC_TYPE,
            opts=ctx.opts(depends_on=[args.etcd_key]))
        groups = [args.action_group.id] if args.action_group is not None else []
        key = args.etcd_key_name

        def alarm(suffix: str, events: list[str], severity: str, description: str,
                  subject: Optional[str] = None) -> azure.eventgrid.SystemTopicEventSubscription:
            return azure.eventgrid.SystemTopicEventSubscription(
                ctx.name(f"key-{suffix}"), event_subscription_name=f"key-{suffix}",
                system_topic_name=self.topic.name, resource_group_name=ctx.rg_name,
                event_delivery_schema=CLOUD_EVENTS,
                filter=azure.eventgrid.EventSubscriptionFilterArgs(
                    included_event_types=events,
                    # Key Vault events carry the object's name as their subject: begins and ends with the
                    # key's name is that one key (`etcd-cmk2` would not match).
                    subject_begins_with=subject, subject_ends_with=subject),
                destination=azure.eventgrid.MonitorAlertEventSubscriptionDestinationArgs(
                    endpoint_type="MonitorAlert", severity=severity, action_groups=groups, description=description),
                opts=ctx.opts())

        self.rotated = alarm(
            "rotated", [ROTATED], "Sev3",
            f"Cell {spec.name}: the AKS etcd KMS key {key} has a new version. Run refresh + up on the cell's "
            f"stack (the weekly renewal run does) so the cluster moves to it before the old version expires.",
            subject=key)
        self.expiry = alarm(
            "expiry", [NEAR_EXPIRY, EXPIRED], "Sev1",
            expiry_message(spec.name, key))
        self.register_outputs({"topic": self.topic.id})


NOTIFY_DAYS = 30


def expiry_message(cell: str, key: str) -> str:
    return (f"Cell {cell}: a key of the cell's vault expires within {NOTIFY_DAYS} days (or has expired) and did not "
            f"rotate. For {key}: an expired version still decrypts, but the cluster can no longer encrypt, so writing "
            f"a Kubernetes Secret fails. Rotate it (az keyvault key rotate), then refresh + up on the cell's stack so "
            f"the cluster moves to the new version.")


def expiry_preflight(cell: str, key: str, expires: Optional[float], now: float) -> Optional[str]:
    """The fallback alarm: the message when the key's current version (its refreshed `expires`, seconds since the
    epoch) expires within NOTIFY_DAYS of `now`, else None (no expiry known: nothing to say)."""
    if expires is None:
        return None
    days = (float(expires) - now) / 86400
    if days > NOTIFY_DAYS:
        return None
    when = "has expired" if days <= 0 else f"expires in {days:.0f} days"
    return f"{key}'s current version {when}. " + expiry_message(cell, key)
