"""Cell network: a VNet with an AKS subnet, an Application Gateway subnet and an API server subnet, each behind an NSG.

Address plan, from the cell's `network_cidr` (a /16 in the stacks):
- AKS nodes: the first half (10.30.0.0/17). Pods use Azure CNI Overlay, so they take no VNet
  addresses; the nodes fill the subnet from the bottom and the workload's internal load
  balancer gets a fixed address at the top (`ilb_ip`).
- Application Gateway v2: the first /24 of the second half (its recommended size).
- API server VNet integration: a delegated /28 in the next /24 (the smallest AKS accepts); it
  lets the control plane reach the firewalled Key Vault for KMS.
"""
from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Optional

import pulumi
import pulumi_azure_native as azure

from ...contract import Piece
from ...core.config import PROJECT, ConfigError
from .context import AzureCellContext

# Cluster-internal ranges; they must not overlap the VNet (Azure CNI Overlay routes them in-node).
POD_CIDR = "192.168.0.0/16"
SERVICE_CIDR = "172.16.0.0/16"
DNS_SERVICE_IP = "172.16.0.10"


@dataclass(frozen=True)
class AddressPlan:
    vnet: str
    aks: str
    gateway: str
    apiserver: str
    ilb_ip: str

    @classmethod
    def of(cls, cell: str, network_cidr: str) -> "AddressPlan":
        key = f"{PROJECT}:cells[name={cell}].network_cidr = {network_cidr!r}"
        try:
            net = ipaddress.ip_network(network_cidr)
        except ValueError as e:
            raise ConfigError(f"{key}: {e}") from None
        if net.version != 4 or net.prefixlen > 22:
            raise ConfigError(f"{key}: an Azure cell needs an IPv4 range of /22 or larger "
                              "(AKS, Application Gateway and API server subnets)")
        for reserved in (POD_CIDR, SERVICE_CIDR):
            if net.overlaps(ipaddress.ip_network(reserved)):
                raise ConfigError(f"{key}: overlaps the cluster's pod/service range {reserved}; "
                                  "allowed: a range outside 192.168.0.0/16 and 172.16.0.0/16")
        aks, rest = net.subnets(prefixlen_diff=1)
        slash24 = list(rest.subnets(new_prefix=24))
        gateway, api_block = slash24[0], slash24[1]
        apiserver = next(api_block.subnets(new_prefix=28))
        # Top of the AKS subnet, clear of Azure's reserved last address; nodes are allocated
        # from the bottom, so they never reach it.
        ilb_ip = aks.broadcast_address - 5
        return cls(str(net), str(aks), str(gateway), str(apiserver), str(ilb_ip))


# What AKS documents for an NSG on the API server subnet (learn.microsoft.com/azure/aks/api-server-vnet-integration).
APISERVER_NODE_PORTS = ["443", "4443"]
APISERVER_PROBE_PORTS = ["9988"]


def _rule(name, priority, source, ports, description, destination="*", protocol="Tcp", access="Allow"):
    """One inbound rule. ARM takes `*` (any port) only in the single-value `destinationPortRange`;
    in the `destinationPortRanges` list it answers SecurityRuleInvalidPortRange. So: any port -> the
    single value, a set of ports -> the list (the single value then absent)."""
    any_port = list(ports) == ["*"]
    return azure.network.SecurityRuleArgs(
        name=name, priority=priority, direction="Inbound", access=access, protocol=protocol,
        source_address_prefix=source, source_port_range="*",
        destination_address_prefix=destination,
        destination_port_range="*" if any_port else None,
        destination_port_ranges=None if any_port else list(ports),
        description=description,
    )


@dataclass(frozen=True)
class NetworkArgs:
    ctx: AzureCellContext


class Network(Piece):
    """The cell's VNet, its three subnets and their NSGs. Outputs: `plan`, `vnet`, `aks_subnet`,
    `gateway_subnet`, `apiserver_subnet`, `aks_subnet_name`."""

    TYPE = "platform:azure:Network"

    def __init__(self, name: str, args: NetworkArgs, opts: Optional[pulumi.ResourceOptions] = None):
        plan = AddressPlan.of(args.ctx.spec.name, args.ctx.spec.network_cidr)  # bad config: before registering
        super().__init__(name, args, opts)
        ctx = args.ctx.within(self)
        self.plan = plan
        self.vnet, self.aks_subnet, self.gateway_subnet, self.apiserver_subnet = _build(ctx, plan)
        self.aks_subnet_name = "aks"
        self.register_outputs({"vnet": self.vnet.id, "aks_subnet": self.aks_subnet.id,
                               "gateway_subnet": self.gateway_subnet.id, "apiserver_subnet": self.apiserver_subnet.id})


def _build(ctx: AzureCellContext, plan: AddressPlan):
    rg = ctx.rg_name

    vnet = azure.network.VirtualNetwork(
        ctx.name("vnet"),
        virtual_network_name=ctx.name("vnet"),
        resource_group_name=rg, location=ctx.location,
        address_space=azure.network.AddressSpaceArgs(address_prefixes=[plan.vnet]),
        opts=ctx.opts(ignore_changes=["subnets"]),  # subnets are their own resources below
    )

    gateway_nsg = azure.network.NetworkSecurityGroup(
        ctx.name("appgw-nsg"),
        network_security_group_name=ctx.name("appgw-nsg"),
        resource_group_name=rg, location=ctx.location,
        security_rules=[
            # Application Gateway v2 refuses to deploy without the GatewayManager range open.
            _rule("allow-gateway-manager", 100, "GatewayManager", ["65200-65535"],
                  "Application Gateway v2 infrastructure (required)"),
            _rule("allow-azure-load-balancer", 110, "AzureLoadBalancer", ["*"], "Azure platform probes",
                  protocol="*"),
            _rule("allow-web", 120, "Internet", ["80", "443"],
                  "Public HTTPS (and HTTP, which only redirects)", destination=plan.gateway),
        ],
        opts=ctx.opts(),
    )
    aks_nsg = azure.network.NetworkSecurityGroup(
        ctx.name("aks-nsg"),
        network_security_group_name=ctx.name("aks-nsg"),
        resource_group_name=rg, location=ctx.location,
        security_rules=[
            _rule("allow-gateway-to-workload", 100, plan.gateway, ["80"],
                  "Application Gateway to the workload's internal load balancer",
                  destination=f"{plan.ilb_ip}/32"),
            # Nothing from the Internet reaches the nodes: they have no public IPs and the
            # default rules would only admit VNet and Azure load balancer traffic; said explicitly.
            _rule("deny-internet", 4000, "Internet", ["*"], "No inbound Internet traffic to nodes",
                  protocol="*", access="Deny"),
        ],
        opts=ctx.opts(),
    )
    apiserver_nsg = azure.network.NetworkSecurityGroup(
        ctx.name("apiserver-nsg"),
        network_security_group_name=ctx.name("apiserver-nsg"),
        resource_group_name=rg, location=ctx.location,
        # The flows AKS documents for an NSG on the API server subnet (API Server VNet Integration,
        # "NSG security rules"), explicit ahead of the deny: nodes to the API server's internal load balancer
        # on 443/4443, Azure Load Balancer's probe on 9988. Public API traffic never enters this subnet: the
        # public endpoint is the control plane's, in the AKS-managed subscription, filtered there by
        # `authorizedIPRanges`; only the projected ILB VIP lives here. So denying Internet here cannot cut the
        # operators' public access (apply check azure-apiserver-subnet-nsg).
        security_rules=[
            _rule("allow-nodes-to-apiserver", 100, plan.aks, APISERVER_NODE_PORTS,
                  "Nodes to the API server's internal load balancer (AKS: required)", destination=plan.apiserver),
            _rule("allow-lb-probe-to-apiserver", 110, "AzureLoadBalancer", APISERVER_PROBE_PORTS,
                  "Azure Load Balancer probes the API server's internal load balancer (AKS: required)",
                  destination=plan.apiserver),
            _rule("deny-internet", 4000, "Internet", ["*"], "The API server subnet is reached through AKS only",
                  protocol="*", access="Deny"),
        ],
        opts=ctx.opts(),
    )

    def subnet(suffix, prefix, nsg, endpoints, after, delegation=None):
        # Azure rejects concurrent subnet writes to one VNet: each subnet waits for the previous one.
        return azure.network.Subnet(
            ctx.name(suffix),
            subnet_name=suffix,
            virtual_network_name=vnet.name,
            resource_group_name=rg,
            address_prefix=prefix,
            network_security_group=azure.network.NetworkSecurityGroupArgs(id=nsg.id),
            service_endpoints=[azure.network.ServiceEndpointPropertiesFormatArgs(service=s) for s in endpoints] or None,
            delegations=[azure.network.DelegationArgs(name=delegation, service_name=delegation)] if delegation else None,
            # No implicit outbound IP: egress goes only through what the cell configures.
            default_outbound_access=False,
            private_endpoint_network_policies="Enabled",
            opts=ctx.opts(depends_on=after),
        )

    # Service endpoints: nodes reach the storage account and vault over the backbone, and the
    # storage/vault firewalls admit these subnets only.
    aks_subnet = subnet("aks", plan.aks, aks_nsg, ["Microsoft.Storage", "Microsoft.KeyVault"], [])
    gateway_subnet = subnet("appgw", plan.gateway, gateway_nsg, ["Microsoft.KeyVault"], [aks_subnet])
    apiserver_subnet = subnet("apiserver", plan.apiserver, apiserver_nsg, [], [gateway_subnet],
                              delegation="Microsoft.ContainerService/managedClusters")
    return vnet, aks_subnet, gateway_subnet, apiserver_subnet
