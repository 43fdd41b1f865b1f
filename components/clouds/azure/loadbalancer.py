"""The cell's public entry point: Application Gateway v2 (WAF_v2) in front of the workload.

- TLS ends at the gateway with publicly trusted certificates for the cell's own name
  `<cell>.<domain>` and for the public name `<public_label>.<domain>` that the global traffic layer answers
  with this gateway. Each lives in the cell's Key Vault: an App Service certificate order
  (GoDaddy-issued, auto-renewed; one subject per order, hence one order per name),
  domain-validated by a TXT record in the platform's Route 53 zone (the cell's name at that name,
  the public name, a CNAME, at the zone apex) and stored by Azure as a
  Key Vault secret. The listeners reference the secrets WITHOUT a version, so the gateway
  picks up every renewal by itself. The public name has a multi-site listener (SNI) on the
  same port 443; the basic listener serves the cell's own name and everything else.
- Predefined SSL policy AppGwSslPolicy20220101S: TLS 1.2 minimum, strong ciphers only.
- Port 80 only redirects to HTTPS (permanent redirect, path and query kept).
- Backend: the workload's internal LoadBalancer Service at a fixed address in the AKS subnet
  (`AddressPlan.ilb_ip`, handed to the workload through `WorkloadExposure.load_balancer_ip`):
  the gateway does not depend on node or pod addresses, which change.
- Health probe on the workload's `health_path`, the same path Route 53 probes from outside.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_azure_native as azure
import pulumi_azuread as azuread

from ...contract import SERVICE_PORT
from .edge_guard import custom_rules
from .common import ROLE_KEY_VAULT_SECRETS_OFFICER, ROLE_KEY_VAULT_SECRETS_USER, AzureCellContext, zones
from .key import CellKeys
from .network import CellNetwork

SSL_POLICY = "AppGwSslPolicy20220101S"
# First-party app of the App Service certificate resource provider (Microsoft.Azure.CertificateRegistration):
# it writes the issued certificate into the vault and renews it there.
CERTIFICATE_REGISTRATION_APP_ID = "f3c21649-0979-4721-ac85-b0216b2cf413"
CERT_SECRET = "tls-endpoint"
# The public name (`<platform:dns.public_label>.<platform:dns.domain>`) the global traffic layer answers
# with this gateway.
PUBLIC_CERT_SECRET = "tls-public"
PROBE_INTERVAL = 10
PROBE_TIMEOUT = 5
PROBE_UNHEALTHY = 3


@dataclass(frozen=True)
class _CertName:
    hostname: str
    suffix: str  # appended to resource names; "" keeps the cell name's resources as they were
    secret: str  # Key Vault secret that holds the issued certificate
    # Where the validation TXT goes when not at `hostname`: the public name is a CNAME, and no
    # other record may share a name with a CNAME, so it is validated at its parent, the zone apex
    # (an Authorization Domain Name in the CA/Browser Forum's sense), shared with other cells.
    validate_at: Optional[str] = None


@dataclass
class CellLoadBalancer:
    gateway: azure.network.ApplicationGateway
    public_ip: azure.network.PublicIPAddress
    hostname: pulumi.Output[str]
    ip_address: pulumi.Output[str]


def _certificates(ctx: AzureCellContext, keys: CellKeys, names: list[_CertName]) -> tuple[dict[str, pulumi.Output[str]], list]:
    """Orders one certificate per name, validates each in Route 53 and stores each in the vault.

    An App Service certificate order has a single subject (no SAN list in the API), and a wildcard
    `*.<domain>` would also be valid for every other cell of every cloud, so every served name gets
    its own order.
    Returns the versionless Key Vault secret id per name and the resources the gateway waits for."""
    validator = ctx.spec.dns_validator
    registrar = azuread.get_service_principal_output(
        client_id=CERTIFICATE_REGISTRATION_APP_ID, opts=pulumi.InvokeOutputOptions(parent=ctx.parent))
    writer = ctx.grant("cert-registration-secrets", registrar.object_id, ROLE_KEY_VAULT_SECRETS_OFFICER,
                       keys.vault.id, "App Service certificates store and renew the endpoint certificates")
    secret_ids: dict[str, pulumi.Output[str]] = {}
    stored_all = []
    for cert in names:
        order = azure.certificateregistration.AppServiceCertificateOrder(
            ctx.name(f"cert-order{cert.suffix}"),
            certificate_order_name=ctx.name(f"tls{cert.suffix}"),
            resource_group_name=ctx.rg_name,
            location="global",  # certificate orders are global resources
            product_type="StandardDomainValidatedSsl",
            distinguished_name=f"CN={cert.hostname}",
            key_size=2048,
            validity_in_years=1,
            auto_renew=True,
            opts=ctx.opts(),
        )
        # Domain validation: GoDaddy looks for the order's token in a TXT record at the name.
        # Several Azure cells (one stack each in prod) validate at the same apex: each adds its
        # token as its own multivalue-answer TXT record (set id = the cell), so none overwrites
        # another and a query returns all of them (up to eight). Delete before replace: Route 53
        # cannot hold a simple TXT record and multivalue ones at one name at the same time.
        shared = cert.validate_at is not None
        validation = validator.record(
            ctx.name(f"cert-validation{cert.suffix}"), parent=ctx.parent,
            name=cert.validate_at or cert.hostname, type="TXT", ttl=300,
            values=[order.domain_verification_token], allow_overwrite=False,
            **(dict(set_identifier=ctx.spec.name, multivalue_answer_routing_policy=True) if shared else {}),
            opts=pulumi.ResourceOptions(delete_before_replace=shared),
        )
        stored_all.append(azure.certificateregistration.AppServiceCertificateOrderCertificate(
            ctx.name(f"cert-in-vault{cert.suffix}"),
            name=cert.secret,
            certificate_order_name=order.name,
            resource_group_name=ctx.rg_name,
            location="global",
            key_vault_id=keys.vault.id,
            key_vault_secret_name=cert.secret,
            opts=ctx.opts(depends_on=[writer, validation]),
        ))
        secret_ids[cert.hostname] = keys.vault_uri.apply(
            lambda uri, secret=cert.secret: f"{uri.rstrip('/')}/secrets/{secret}")
    return secret_ids, stored_all


def build_load_balancer(ctx: AzureCellContext, network: CellNetwork, keys: CellKeys,
                        identity: azure.managedidentity.UserAssignedIdentity) -> CellLoadBalancer:
    spec = ctx.spec
    hostname = spec.hostname
    if hostname is None or spec.dns_validator is None:
        raise ValueError(f"cell {spec.name!r}: an Azure cell's HTTPS listener needs a public name; "
                         "set platform:dns.domain (and platform:dns.zone_id in prod)")
    public = spec.public_name
    secret_ids, cert_ready = _certificates(ctx, keys, [
        _CertName(hostname, "", CERT_SECRET),
        _CertName(public, "-public", PUBLIC_CERT_SECRET, validate_at=spec.domain)])
    reader = ctx.grant("gateway-cert-reader", identity.principal_id, ROLE_KEY_VAULT_SECRETS_USER,
                       keys.vault.id, "Application Gateway reads its TLS certificate")

    public_ip = azure.network.PublicIPAddress(
        ctx.name("appgw-ip"),
        public_ip_address_name=ctx.name("appgw-ip"),
        resource_group_name=ctx.rg_name, location=ctx.location,
        sku=azure.network.PublicIPAddressSkuArgs(name="Standard", tier="Regional"),
        public_ip_allocation_method="Static",
        public_ip_address_version="IPv4",
        zones=zones(spec.region),
        dns_settings=azure.network.PublicIPAddressDnsSettingsArgs(domain_name_label=spec.name),
        opts=ctx.opts(),
    )
    waf = azure.network.WebApplicationFirewallPolicy(
        ctx.name("waf"),
        policy_name=ctx.name("waf"),
        resource_group_name=ctx.rg_name, location=ctx.location,
        policy_settings=azure.network.PolicySettingsArgs(state="Enabled", mode="Prevention", request_body_check=True),
        custom_rules=custom_rules(spec.edge_guard) if spec.edge_guard else None,  # issue #21
        managed_rules=azure.network.ManagedRulesDefinitionArgs(managed_rule_sets=[
            azure.network.ManagedRuleSetArgs(rule_set_type="Microsoft_DefaultRuleSet", rule_set_version="2.1"),
            azure.network.ManagedRuleSetArgs(rule_set_type="Microsoft_BotManagerRuleSet", rule_set_version="1.1"),
        ]),
        opts=ctx.opts(),
    )

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
            min_capacity=2 if spec.protect else 1, max_capacity=10),
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
        ssl_certificates=[
            azure.network.ApplicationGatewaySslCertificateArgs(name="endpoint", key_vault_secret_id=secret_ids[hostname]),
            azure.network.ApplicationGatewaySslCertificateArgs(name="public", key_vault_secret_id=secret_ids[public]),
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
                frontend_port=ref("frontendPorts", "https"), ssl_certificate=ref("sslCertificates", "public")),
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
            request_timeout=30, host_name=hostname, probe=ref("probes", "health"))],
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
        opts=ctx.opts(depends_on=[reader, *cert_ready]),
    )
    fqdn = public_ip.dns_settings.apply(lambda d: d.fqdn)
    return CellLoadBalancer(gateway, public_ip, fqdn, public_ip.ip_address)


def internal_lb_annotations(address: str) -> dict[str, str]:
    """Service annotations that make AKS's cloud-provider-azure build an *internal* load balancer at
    `address` (the Application Gateway's backend); `spec.loadBalancerIP` is deprecated for this."""
    return {"service.beta.kubernetes.io/azure-load-balancer-internal": "true",
            "service.beta.kubernetes.io/azure-load-balancer-ipv4": address}
