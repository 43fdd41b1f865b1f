"""The cell's public entry point: Application Gateway v2 (WAF_v2) in front of the workload.

- TLS ends at the gateway, in the cell's region, with one publicly trusted certificate for the
  cell's own name `<cell>.<domain>` and the public name `<public_label>.<domain>` (SAN) that the
  global traffic layer answers with this gateway. It is issued by an ACME CA (Let's Encrypt by
  default, `azure.acme`) through a DNS-01 challenge: the acme provider writes the
  `_acme-challenge.<name>` TXT records into the platform's Route 53 zone (`platform:dns.zone_id`)
  and removes them after validation. A TXT record below the public name does not clash with the
  public name's CNAME, so no record at the zone apex is needed. The ACME account key is a
  `tls.PrivateKey` in the (encrypted) stack state.
- The PKCS#12 (base-64, unencrypted, as Application Gateway requires) is stored as the Key Vault
  secret `tls-endpoint`; the gateway's listeners reference it WITHOUT a version and its identity
  reads it (Key Vault Secrets User, after a propagation wait), so the gateway picks up each new
  version by itself (it polls every 4 hours).
- Renewal: the scheduled `pulumi up --refresh` (deploy workflow) re-issues the certificate once
  fewer than `azure.acme.min_days_remaining` days remain (30 of Let's Encrypt's 90), writing a new
  secret version; nothing else changes. The issuance runs inside the first `up`, before the
  gateway, as a dependency (a minute or two of DNS propagation): nothing waits for a human or an
  asynchronous order.
- Predefined SSL policy AppGwSslPolicy20220101S: TLS 1.2 minimum, strong ciphers only.
- Port 80 only redirects to HTTPS (permanent redirect, path and query kept).
- Backend: the workload's internal LoadBalancer Service at a fixed address in the AKS subnet
  (`AddressPlan.ilb_ip`, handed to the workload through `WorkloadExposure.load_balancer_ip`):
  the gateway does not depend on node or pod addresses, which change.
- Health probe on the workload's `health_path`, the same path Route 53 probes from outside; a pod
  that stops answering leaves the pool after interval x unhealthy threshold, and connection
  draining lets in-flight requests finish: `drain_seconds` tells the workload how long to sleep.
- WAF policy: Prevention mode, DRS 2.1 and Bot Manager, request body limits and exclusions from
  `azure.waf` (inference requests carry large JSON bodies).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_azure_native as azure
import pulumi_tls as tls
import pulumiverse_acme as acme

from ...contract import SERVICE_PORT, Piece
from .common import ROLE_KEY_VAULT_SECRETS_USER, piece_child_options, zones
from .context import AzureCellContext
from .edge_guard import custom_rules
from .key import Keys
from .network import Network

SSL_POLICY = "AppGwSslPolicy20220101S"
CERT_SECRET = "tls-endpoint"
PKCS12 = "application/x-pkcs12"
PROBE_INTERVAL = 10
PROBE_TIMEOUT = 5
PROBE_UNHEALTHY = 3
DRAIN_TIMEOUT = 30
# How long the gateway keeps sending to a pod after it starts terminating: until the probe marks it
# unhealthy, plus connection draining for the requests in flight.
DRAIN_SECONDS = PROBE_INTERVAL * PROBE_UNHEALTHY + DRAIN_TIMEOUT


@dataclass(frozen=True)
class LoadBalancerArgs:
    ctx: AzureCellContext
    network: Network                                        # the gateway's subnet, the workload's ILB address
    keys: Keys                                              # the vault holding the TLS certificate
    identity: azure.managedidentity.UserAssignedIdentity    # the gateway's (Identities.gateway)


class LoadBalancer(Piece):
    """The cell's Application Gateway, its WAF policy, public address and ACME certificate. Outputs:
    `gateway`, `public_ip`, `ip_address`, `waf`, `certificate`, `secret`."""

    TYPE = "platform:azure:LoadBalancer"

    def __init__(self, name: str, args: LoadBalancerArgs, opts: Optional[pulumi.ResourceOptions] = None):
        _check(args.ctx)  # bad config: before registering
        super().__init__(name, args, opts)
        (self.gateway, self.public_ip, self.waf, self.certificate, self.secret) = _build(args.ctx.within(self), args)
        self.ip_address = self.public_ip.ip_address
        self.register_outputs({"gateway": self.gateway.id, "ip_address": self.ip_address, "waf": self.waf.id})


def _check(ctx: AzureCellContext) -> None:
    spec = ctx.spec
    if spec.hostname is None or spec.dns_validator is None:
        raise ValueError(f"cell {spec.name!r}: an Azure cell's HTTPS listener needs a public name; "
                         "set platform:dns.domain (and platform:dns.zone_id in prod)")


def _certificate(ctx: AzureCellContext, keys: Keys, names: list[str]) -> tuple[acme.Certificate, azure.keyvault.Secret]:
    """An ACME certificate for `names`, validated by DNS-01 in the platform's Route 53 zone, stored as
    the vault secret the gateway reads."""
    spec, settings = ctx.spec, ctx.settings.acme
    # The ACME provider stays the cell's child, like the cell's Azure provider: a provider keeps its URN
    # (provider aliases only hold for providers with no state yet, pulumi/pulumi#18395).
    provider = acme.Provider(f"{spec.name}-acme", server_url=settings.server_url,
                             opts=pulumi.ResourceOptions(parent=ctx.cell))
    # The account key and registration are state (a new key is a new ACME account): aliased like the rest.
    plain = piece_child_options(ctx.parent, ctx.cell, False)
    account_key = tls.PrivateKey(ctx.name("acme-account-key"), algorithm="ECDSA", ecdsa_curve="P256", opts=plain)
    account = acme.Registration(
        ctx.name("acme-account"), account_key_pem=account_key.private_key_pem, email_address=settings.email,
        opts=ctx.opts(provider=provider))
    certificate = acme.Certificate(
        ctx.name("tls"),
        account_key_pem=account.account_key_pem,
        common_name=names[0], subject_alternative_names=names[1:],
        key_type="2048",  # RSA: what every Application Gateway listener accepts
        # lego's route53 challenge: the runner's AWS credentials (README), the zone named explicitly so
        # the lookup needs no route53:ListHostedZonesByName.
        dns_challenges=[acme.CertificateDnsChallengeArgs(
            provider="route53", config={"AWS_HOSTED_ZONE_ID": spec.zone_id, "AWS_REGION": "us-east-1", "AWS_PROPAGATION_TIMEOUT": "600"})],
        min_days_remaining=settings.min_days_remaining,
        certificate_p12_password="",  # Application Gateway reads an unencrypted PFX from Key Vault
        revoke_certificate_on_destroy=False,
        opts=ctx.opts(provider=provider),
    )
    secret = azure.keyvault.Secret(
        ctx.name("tls-secret"),
        secret_name=CERT_SECRET,
        vault_name=keys.vault.name,
        resource_group_name=ctx.rg_name,
        properties=azure.keyvault.SecretPropertiesArgs(
            value=certificate.certificate_p12, content_type=PKCS12,
            attributes=azure.keyvault.SecretAttributesArgs(
                enabled=True, expires=certificate.certificate_not_after.apply(_epoch))),
        opts=ctx.opts(),
    )
    return certificate, secret


def _epoch(rfc3339: str) -> int:
    """Key Vault takes secret expiry as seconds since the epoch; ACME gives RFC 3339."""
    import datetime as dt
    return int(dt.datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp())


def _waf_policy(ctx: AzureCellContext) -> azure.network.WebApplicationFirewallPolicy:
    waf = ctx.settings.waf
    guard = ctx.spec.edge_guard
    return azure.network.WebApplicationFirewallPolicy(
        ctx.name("waf"),
        policy_name=ctx.name("waf"),
        resource_group_name=ctx.rg_name, location=ctx.location,
        custom_rules=custom_rules(guard) if guard else None,  # the edge guard's geo and rate rules
        policy_settings=azure.network.PolicySettingsArgs(
            state="Enabled", mode="Prevention", request_body_check=True,
            max_request_body_size_in_kb=waf.max_request_body_kb,
            request_body_inspect_limit_in_kb=waf.request_body_inspect_limit_kb,
            request_body_enforcement=waf.request_body_enforcement,
            file_upload_limit_in_mb=waf.file_upload_limit_mb, file_upload_enforcement=True),
        managed_rules=azure.network.ManagedRulesDefinitionArgs(
            managed_rule_sets=[
                azure.network.ManagedRuleSetArgs(rule_set_type="Microsoft_DefaultRuleSet", rule_set_version="2.1"),
                azure.network.ManagedRuleSetArgs(rule_set_type="Microsoft_BotManagerRuleSet", rule_set_version="1.1"),
            ],
            exclusions=[azure.network.OwaspCrsExclusionEntryArgs(
                match_variable=e.match_variable, selector_match_operator=e.selector_match_operator,
                selector=e.selector) for e in waf.exclusions] or None,
        ),
        opts=ctx.opts(),
    )


def _build(ctx: AzureCellContext, args: LoadBalancerArgs):
    spec, network, keys, identity = ctx.spec, args.network, args.keys, args.identity
    hostname = spec.hostname
    public = spec.public_name
    certificate, secret = _certificate(ctx, keys, [hostname, public])
    reader = ctx.grant("gateway-cert-reader", identity.principal_id, ROLE_KEY_VAULT_SECRETS_USER,
                       keys.vault.id, "Application Gateway reads its TLS certificate")
    reader_ready = ctx.propagation_wait("gateway-cert-reader-propagated", [reader])
    # Versionless: the gateway follows every renewal (new secret version) by itself.
    secret_id = keys.vault_uri.apply(lambda uri: f"{uri.rstrip('/')}/secrets/{CERT_SECRET}")

    public_ip = azure.network.PublicIPAddress(
        ctx.name("appgw-ip"),
        public_ip_address_name=ctx.name("appgw-ip"),
        resource_group_name=ctx.rg_name, location=ctx.location,
        sku=azure.network.PublicIPAddressSkuArgs(name="Standard", tier="Regional"),
        public_ip_allocation_method="Static",
        public_ip_address_version="IPv4",
        zones=zones(spec.region),
        # No DNS label: `<label>.<region>.cloudapp.azure.com` is one namespace for every customer, and
        # Route 53 answers with the address itself.
        opts=ctx.opts(),
    )
    waf = _waf_policy(ctx)

    gw_name = ctx.name("appgw")
    # Sub-resources of a gateway reference each other by id; the ids are known up front.
    base = ctx.resource_group.id.apply(
        lambda rg: f"{rg}/providers/Microsoft.Network/applicationGateways/{gw_name}")

    def ref(kind: str, name: str) -> azure.network.SubResourceArgs:
        return azure.network.SubResourceArgs(id=base.apply(lambda b: f"{b}/{kind}/{name}"))

    gateway = azure.network.ApplicationGateway(
        gw_name,
        application_gateway_name=gw_name,
        resource_group_name=ctx.rg_name, location=ctx.location,
        sku=azure.network.ApplicationGatewaySkuArgs(name="WAF_v2", tier="WAF_v2"),
        autoscale_configuration=azure.network.ApplicationGatewayAutoscaleConfigurationArgs(
            min_capacity=2 if spec.environment == "prod" else 1, max_capacity=10),
        zones=zones(spec.region),
        enable_http2=True,
        firewall_policy=azure.network.SubResourceArgs(id=waf.id),
        identity=azure.network.ManagedServiceIdentityArgs(type="UserAssigned", user_assigned_identities=[identity.id]),
        gateway_ip_configurations=[azure.network.ApplicationGatewayIPConfigurationArgs(
            name="gateway", subnet=azure.network.SubResourceArgs(id=network.gateway_subnet.id))],
        frontend_ip_configurations=[azure.network.ApplicationGatewayFrontendIPConfigurationArgs(
            name="public", public_ip_address=azure.network.SubResourceArgs(id=public_ip.id))],
        frontend_ports=[
            azure.network.ApplicationGatewayFrontendPortArgs(name="https", port=443),
            azure.network.ApplicationGatewayFrontendPortArgs(name="http", port=80),
        ],
        ssl_policy=azure.network.ApplicationGatewaySslPolicyArgs(policy_type="Predefined", policy_name=SSL_POLICY),
        # One certificate for both names (SAN); the multi-site listener keeps SNI routing for the public name.
        ssl_certificates=[
            azure.network.ApplicationGatewaySslCertificateArgs(name="endpoint", key_vault_secret_id=secret_id),
        ],
        http_listeners=[
            # Basic listener: the cell's own name, and any other name (Route 53 health checks).
            azure.network.ApplicationGatewayHttpListenerArgs(
                name="https", protocol="Https", frontend_ip_configuration=ref("frontendIPConfigurations", "public"),
                frontend_port=ref("frontendPorts", "https"), ssl_certificate=ref("sslCertificates", "endpoint")),
            # Multi-site listener on the same port: SNI for the public name selects its certificate.
            azure.network.ApplicationGatewayHttpListenerArgs(
                name="https-public", protocol="Https", host_name=public,
                frontend_ip_configuration=ref("frontendIPConfigurations", "public"),
                frontend_port=ref("frontendPorts", "https"), ssl_certificate=ref("sslCertificates", "endpoint")),
            azure.network.ApplicationGatewayHttpListenerArgs(
                name="http", protocol="Http", frontend_ip_configuration=ref("frontendIPConfigurations", "public"),
                frontend_port=ref("frontendPorts", "http")),
        ],
        backend_address_pools=[azure.network.ApplicationGatewayBackendAddressPoolArgs(
            name="workload", backend_addresses=[azure.network.ApplicationGatewayBackendAddressArgs(
                ip_address=network.plan.ilb_ip)])],
        probes=[azure.network.ApplicationGatewayProbeArgs(
            name="health", protocol="Http", host=hostname, path=spec.health_path, port=SERVICE_PORT,
            interval=PROBE_INTERVAL, timeout=PROBE_TIMEOUT, unhealthy_threshold=PROBE_UNHEALTHY,
            pick_host_name_from_backend_http_settings=False,
            match=azure.network.ApplicationGatewayProbeHealthResponseMatchArgs(status_codes=["200-399"]))],
        backend_http_settings_collection=[azure.network.ApplicationGatewayBackendHttpSettingsArgs(
            name="workload", port=SERVICE_PORT, protocol="Http", cookie_based_affinity="Disabled",
            request_timeout=30, host_name=hostname, probe=ref("probes", "health"),
            connection_draining=azure.network.ApplicationGatewayConnectionDrainingArgs(
                enabled=True, drain_timeout_in_sec=DRAIN_TIMEOUT))],
        redirect_configurations=[azure.network.ApplicationGatewayRedirectConfigurationArgs(
            name="http-to-https", redirect_type="Permanent", target_listener=ref("httpListeners", "https"),
            include_path=True, include_query_string=True)],
        request_routing_rules=[
            # Multi-site before basic: a lower priority number is evaluated first.
            azure.network.ApplicationGatewayRequestRoutingRuleArgs(
                name="https-public", rule_type="Basic", priority=90, http_listener=ref("httpListeners", "https-public"),
                backend_address_pool=ref("backendAddressPools", "workload"),
                backend_http_settings=ref("backendHttpSettingsCollection", "workload")),
            azure.network.ApplicationGatewayRequestRoutingRuleArgs(
                name="https", rule_type="Basic", priority=100, http_listener=ref("httpListeners", "https"),
                backend_address_pool=ref("backendAddressPools", "workload"),
                backend_http_settings=ref("backendHttpSettingsCollection", "workload")),
            azure.network.ApplicationGatewayRequestRoutingRuleArgs(
                name="http-redirect", rule_type="Basic", priority=200, http_listener=ref("httpListeners", "http"),
                redirect_configuration=ref("redirectConfigurations", "http-to-https")),
        ],
        # The secret exists and the gateway may read it before the gateway is created (same `up`).
        opts=ctx.opts(depends_on=[reader_ready, secret]),
    )
    return gateway, public_ip, waf, certificate, secret


def internal_lb_annotations(address: str) -> dict[str, str]:
    """Service annotations that make AKS's cloud-provider-azure build an *internal* load balancer at
    `address` (the Application Gateway's backend); `spec.loadBalancerIP` is deprecated for this."""
    return {"service.beta.kubernetes.io/azure-load-balancer-internal": "true",
            "service.beta.kubernetes.io/azure-load-balancer-ipv4": address}
