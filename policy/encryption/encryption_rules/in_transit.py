"""Encryption in transit: TLS 1.2+ policies on listeners, proxies and gateways; plain HTTP only as a
redirect to HTTPS; TLS-only storage access; Kubernetes Ingress TLS and Secret hygiene."""
from __future__ import annotations

import json
from typing import Any, Iterator

from .at_rest import CIS_AZURE, Expect, S3_BUCKETS, _field_rule, _present, _true
from .model import cannot_verify, EVERY_TYPE, Finding, framework, glob_any, Option, pci, require, rule, violation
from .stack import Res, Stack
from .values import as_list, get, is_unknown

PCI_IN_TRANSIT = pci("4.2.1", "Strong cryptography protects account data during transmission over open, public networks")

# Names (globs) of predefined TLS policies whose minimum is TLS 1.2. ELB names spell the minimum:
# ELBSecurityPolicy-TLS13-1-2-* supports TLS 1.3 down to 1.2; ELBSecurityPolicy-2016-08 (the API
# default) still accepts TLS 1.0. Application Gateway: 2017-04-01S and both 2022-01-01 policies.
DEFAULT_TLS_POLICIES = [
    "ELBSecurityPolicy-TLS13-1-2-*",
    "ELBSecurityPolicy-TLS13-1-3-*",
    "ELBSecurityPolicy-TLS-1-2-*",
    "ELBSecurityPolicy-FS-1-2-*",
    "AppGwSslPolicy20170401S",
    "AppGwSslPolicy20220101",
    "AppGwSslPolicy20220101S",
]

TLS_POLICIES_OPTION = Option(
    "allowedTlsPolicies",
    {"type": "array", "items": {"type": "string"},
     "description": "predefined TLS policy names (globs) that are acceptable: AWS ELB security policies, "
                    "Application Gateway predefined policies, names of GCP SSL policies outside the stack"},
    DEFAULT_TLS_POLICIES,
)

# --------------------------------------------------------------------------- AWS load balancer listeners

AWS_LISTENERS = ("aws:lb/listener:Listener", "aws:alb/listener:Listener")
TLS_PROTOCOLS = ("HTTPS", "TLS")


def aws_listener_tls_policy(res: Res, settings) -> Iterator[Finding]:
    protocol = get(res.props, "protocol")
    if is_unknown(protocol):
        yield cannot_verify(f"the listener protocol ({protocol.path})")
        return
    if protocol not in TLS_PROTOCOLS:
        return  # plaintext listeners are judged by aws-lb-listener-no-plaintext
    policy = get(res.props, "sslPolicy")
    yield from require(policy, lambda v: _present(v) and glob_any(v, settings["allowedTlsPolicies"]), "sslPolicy",
                       "a TLS 1.2+ policy such as ELBSecurityPolicy-TLS13-1-2-2021-06 (unset means the API "
                       "default ELBSecurityPolicy-2016-08, which accepts TLS 1.0)")


def aws_listener_no_plaintext(res: Res, _settings) -> Iterator[Finding]:
    protocol = get(res.props, "protocol")
    if is_unknown(protocol):
        yield cannot_verify(f"the listener protocol ({protocol.path})")
        return
    if protocol in TLS_PROTOCOLS or protocol == "GENEVE":  # GENEVE: Gateway LB appliance traffic, not a client edge
        return
    if protocol in ("TCP", "UDP", "TCP_UDP"):
        yield violation(f"{protocol} listener carries traffic without TLS termination; use a TLS listener")
        return
    # HTTP (the default for an Application Load Balancer): only a redirect to HTTPS is allowed.
    actions = as_list(get(res.props, "defaultActions"))
    if is_unknown(actions):
        yield cannot_verify(f"the default actions ({actions.path})")
        return
    for i, action in enumerate(actions):
        kind = get(action, "type")
        target = get(action, "redirect.protocol")
        if is_unknown(kind) or is_unknown(target):
            yield cannot_verify(f"defaultActions[{i}]")
        elif kind != "redirect" or target != "HTTPS":
            yield violation(f"HTTP listener defaultActions[{i}] is {kind!r}"
                            + (f" to {target}" if kind == "redirect" else "") + "; only a redirect to HTTPS is allowed")
    if not actions:
        yield violation("HTTP listener has no default action; it must redirect to HTTPS")


AWS_LISTENER_RULES = [
    rule(id="aws-lb-listener-tls-policy", types=AWS_LISTENERS,
         description="HTTPS/TLS load balancer listeners use a TLS 1.2+ security policy.",
         remediation="Set sslPolicy to ELBSecurityPolicy-TLS13-1-2-2021-06 (or another policy in allowedTlsPolicies).",
         framework=PCI_IN_TRANSIT, check=aws_listener_tls_policy, options=(TLS_POLICIES_OPTION,)),
    rule(id="aws-lb-listener-no-plaintext", types=AWS_LISTENERS,
         description="Load balancer listeners terminate TLS; plain HTTP only redirects to HTTPS.",
         remediation="Use protocol HTTPS (ALB) or TLS (NLB); keep an HTTP listener only with a default action "
                     "{type: redirect, redirect: {protocol: HTTPS, port: \"443\", statusCode: HTTP_301}}.",
         framework=PCI_IN_TRANSIT, check=aws_listener_no_plaintext),
]


# --------------------------------------------------------------------------- S3 TLS-only bucket policy


def _statements(policy: Any) -> Any:
    if is_unknown(policy):
        return policy
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError:
            return []
    return as_list(get(policy, "Statement")) if isinstance(policy, dict) else []


def _values(v: Any) -> list:
    return [str(x).lower() for x in as_list(v)]


def denies_insecure_transport(policy: Any) -> Any:
    """True if the policy has Deny, Principal *, all S3 actions, when aws:SecureTransport is false."""
    statements = _statements(policy)
    if is_unknown(statements):
        return statements
    for s in statements:
        if not isinstance(s, dict) or s.get("Effect") != "Deny":
            continue
        principal = s.get("Principal")
        if not (principal == "*" or (isinstance(principal, dict) and "*" in as_list(principal.get("AWS")))):
            continue
        if not {"s3:*", "*"} & set(as_list(s.get("Action"))):
            continue
        condition = get(s, "Condition.Bool.aws:SecureTransport")
        if condition is not None and "false" in _values(condition):
            return True
    return False


def s3_tls_only_check(stack: Stack, _settings) -> Iterator[Finding]:
    policies: dict[str, list[Res]] = {}
    unbound: list[Res] = []
    for bp in stack.of_type("aws:s3/bucketPolicy:BucketPolicy"):
        targets = stack.referenced(bp, "bucket", S3_BUCKETS)
        if is_unknown(targets):
            unbound.append(bp)
            continue
        for b in targets:
            policies.setdefault(b.urn, []).append(bp)
    for bucket in stack.of_type(*S3_BUCKETS):
        docs = [get(p.props, "policy") for p in policies.get(bucket.urn, [])] + [get(bucket.props, "policy")]
        verdicts = [denies_insecure_transport(d) for d in docs if d is not None]
        if any(v is True for v in verdicts):
            continue
        if unbound or any(is_unknown(v) for v in verdicts):
            yield cannot_verify("the bucket policy document", urn=bucket.urn)
        else:
            yield violation(f"bucket {bucket.name} has no bucket policy denying requests without TLS "
                            "(aws:SecureTransport false)", urn=bucket.urn)


S3_TLS_RULE = rule(
    id="aws-s3-bucket-tls-only",
    description="S3 bucket policies deny every request that does not use TLS.",
    remediation="Add an aws.s3.BucketPolicy with a statement {Effect: Deny, Principal: \"*\", Action: \"s3:*\", "
                "Resource: [bucket ARN, bucket ARN/*], Condition: {Bool: {\"aws:SecureTransport\": \"false\"}}}.",
    types=S3_BUCKETS, reads=("aws:s3/bucketPolicy:BucketPolicy",), scope="stack",
    framework=framework("CIS Amazon Web Services Foundations Benchmark", "3.0.0", "2.1.1",
                        "Ensure S3 Bucket Policy is set to deny HTTP requests"),
    check=s3_tls_only_check,
)


# --------------------------------------------------------------------------- GCP SSL policies, proxies, HTTP

GCP_SSL_POLICIES = ("gcp:compute/sSLPolicy:SSLPolicy", "gcp:compute/regionSslPolicy:RegionSslPolicy")
GCP_TLS_PROXIES = ("gcp:compute/targetHttpsProxy:TargetHttpsProxy",
                   "gcp:compute/regionTargetHttpsProxy:RegionTargetHttpsProxy",
                   "gcp:compute/targetSSLProxy:TargetSSLProxy")
GCP_HTTP_PROXIES = ("gcp:compute/targetHttpProxy:TargetHttpProxy", "gcp:compute/regionTargetHttpProxy:RegionTargetHttpProxy")
GCP_URL_MAPS = ("gcp:compute/uRLMap:URLMap", "gcp:compute/regionUrlMap:RegionUrlMap")
GCP_FORWARDING_RULES = ("gcp:compute/globalForwardingRule:GlobalForwardingRule", "gcp:compute/forwardingRule:ForwardingRule")
GCP_TLS_VERSIONS = ("TLS_1_2", "TLS_1_3")
_GCP_MIN_TLS = "TLS_1_2 or TLS_1_3 (unset means TLS_1_0)"


def gcp_ssl_policy_check(res: Res, _settings) -> Iterator[Finding]:
    yield from require(get(res.props, "minTlsVersion", "TLS_1_0"), lambda v: v in GCP_TLS_VERSIONS,
                       "minTlsVersion", _GCP_MIN_TLS)


def gcp_proxy_ssl_policy_check(stack: Stack, settings) -> Iterator[Finding]:
    for proxy in stack.of_type(*GCP_TLS_PROXIES):
        ref = get(proxy.props, "sslPolicy")
        targets = stack.referenced(proxy, "sslPolicy", GCP_SSL_POLICIES)
        if is_unknown(targets):
            yield cannot_verify("sslPolicy", urn=proxy.urn)
        elif targets:
            for policy in targets:
                version = get(policy.props, "minTlsVersion", "TLS_1_0")
                if is_unknown(version):
                    yield cannot_verify(f"{policy.name}.minTlsVersion", urn=proxy.urn)
                elif version not in GCP_TLS_VERSIONS:
                    yield violation(f"proxy {proxy.name} uses SSL policy {policy.name} with minTlsVersion {version}",
                                    urn=proxy.urn)
        elif ref is None:
            yield violation(f"proxy {proxy.name} sets no sslPolicy, so the GCP default policy applies "
                            "(TLS 1.0 and weak ciphers allowed)", urn=proxy.urn)
        elif not glob_any(str(ref).rsplit("/", 1)[-1], settings["allowedTlsPolicies"]):
            yield cannot_verify(f"SSL policy {ref} is not in this stack nor in allowedTlsPolicies", urn=proxy.urn)


def _redirect_only(url_map: Res) -> Any:
    """None if the URL map only redirects to HTTPS, else why not (or an Unknown)."""
    p = url_map.props
    https = get(p, "defaultUrlRedirect.httpsRedirect")
    if is_unknown(https):
        return https
    serving = [k for k in ("defaultService", "defaultRouteAction", "hostRules", "pathMatchers") if get(p, k)]
    if not _true(https):
        return "its default action is not an HTTPS redirect (defaultUrlRedirect.httpsRedirect)"
    if serving:
        return f"it also routes to backends ({', '.join(serving)})"
    return None


def gcp_http_redirect_check(stack: Stack, _settings) -> Iterator[Finding]:
    for rule in stack.of_type(*GCP_FORWARDING_RULES):
        target_ref = get(rule.props, "target")
        proxies = stack.referenced(rule, "target", GCP_HTTP_PROXIES)
        if is_unknown(proxies):
            yield cannot_verify("the forwarding rule's target", urn=rule.urn)
            continue
        if not proxies:
            if isinstance(target_ref, str) and "/targetHttpProxies/" in target_ref:
                yield cannot_verify(f"HTTP proxy {target_ref} (not in this stack)", urn=rule.urn)
            continue  # HTTPS/SSL proxies, backend services and the like are judged elsewhere
        for proxy in proxies:
            maps = stack.referenced(proxy, "urlMap", GCP_URL_MAPS)
            if is_unknown(maps) or not maps:
                yield cannot_verify(f"the URL map of HTTP proxy {proxy.name}", urn=rule.urn)
                continue
            for url_map in maps:
                problem = _redirect_only(url_map)
                if is_unknown(problem):
                    yield cannot_verify(f"{url_map.name}: {problem.path}", urn=rule.urn)
                elif problem is not None:
                    yield violation(f"forwarding rule {rule.name} serves plain HTTP through {proxy.name}: URL map "
                                    f"{url_map.name} {problem}", urn=rule.urn)


GCP_RULES = [
    rule(id="gcp-ssl-policy-min-tls", types=GCP_SSL_POLICIES,
         description="GCP SSL policies require TLS 1.2 or later.",
         remediation="Set minTlsVersion to TLS_1_2 (with profile MODERN or RESTRICTED).",
         framework=framework("CIS Google Cloud Platform Foundation Benchmark", "3.0.0", "3.9",
                             "Ensure no HTTPS or SSL proxy load balancers permit SSL policies with weak cipher suites"),
         check=gcp_ssl_policy_check),
    rule(id="gcp-https-proxy-ssl-policy", types=GCP_TLS_PROXIES, reads=GCP_SSL_POLICIES, scope="stack",
         description="GCP HTTPS and SSL proxies use an SSL policy with TLS 1.2 or later.",
         remediation="Set sslPolicy to a (region) SSL policy with minTlsVersion TLS_1_2; without one the proxy "
                     "uses Google's default policy, which allows TLS 1.0.",
         framework=framework("CIS Google Cloud Platform Foundation Benchmark", "3.0.0", "3.9",
                             "Ensure no HTTPS or SSL proxy load balancers permit SSL policies with weak cipher suites"),
         check=gcp_proxy_ssl_policy_check, options=(TLS_POLICIES_OPTION,)),
    rule(id="gcp-http-forwarding-redirect-only", types=GCP_FORWARDING_RULES, reads=GCP_HTTP_PROXIES + GCP_URL_MAPS,
         scope="stack",
         description="GCP forwarding rules serve plain HTTP only to redirect to HTTPS.",
         remediation="Point the HTTP forwarding rule's target proxy at a URL map with only "
                     "defaultUrlRedirect {httpsRedirect: true} (no defaultService, hostRules or pathMatchers).",
         framework=PCI_IN_TRANSIT, check=gcp_http_redirect_check),
]


# --------------------------------------------------------------------------- Azure storage and Application Gateway

AZURE_STORAGE_TRANSIT_RULES = [
    _field_rule(
        "azure-storage-https-only", ("azure-native:storage:StorageAccount",),
        "Storage accounts accept HTTPS only (secure transfer required).",
        "Set enableHttpsTrafficOnly to true.",
        framework(CIS_AZURE, "2.0.0", "3.1", "Ensure that 'Secure transfer required' is set to 'Enabled'"),
        # Secure transfer is on by default for accounts created with API version 2019-04-01 or later (the
        # pinned azure-native SDK uses a later one): "Require secure transfer for REST API operations",
        # Azure Storage docs, storage-require-secure-transfer. Only an explicit false fails.
        Expect("enableHttpsTrafficOnly", _true, "true (or unset: the service's default is true)", default=True)),
    _field_rule(
        "azure-storage-min-tls", ("azure-native:storage:StorageAccount",),
        "Storage accounts require TLS 1.2 or later.",
        "Set minimumTlsVersion to TLS1_2.",
        framework(CIS_AZURE, "2.0.0", "3.15",
                  "Ensure the 'Minimum TLS version' for storage accounts is set to 'Version 1.2'"),
        Expect("minimumTlsVersion", lambda v: v in ("TLS1_2", "TLS1_3"), "TLS1_2 or TLS1_3")),
]

APP_GATEWAY = ("azure-native:network:ApplicationGateway",)


def azure_gateway_tls_policy(res: Res, settings) -> Iterator[Finding]:
    policy = get(res.props, "sslPolicy")
    if is_unknown(policy):
        yield cannot_verify(f"sslPolicy ({policy.path})")
        return
    if policy is None:
        yield violation("sslPolicy is not set, so the gateway's default policy applies (AppGwSslPolicy20150501, "
                        "TLS 1.0, on older API versions)")
        return
    kind = get(policy, "policyType")
    if is_unknown(kind):
        yield cannot_verify("sslPolicy.policyType")
    elif kind in ("Custom", "CustomV2"):
        yield from require(get(policy, "minProtocolVersion"), lambda v: v in ("TLSv1_2", "TLSv1_3"),
                           "sslPolicy.minProtocolVersion", "TLSv1_2 or TLSv1_3")
    else:
        yield from require(get(policy, "policyName"), lambda v: _present(v) and glob_any(v, settings["allowedTlsPolicies"]),
                           "sslPolicy.policyName", "AppGwSslPolicy20220101, AppGwSslPolicy20220101S or "
                           "AppGwSslPolicy20170401S")


def _last(ref: Any, collection: str) -> Any:
    """'/subscriptions/.../applicationGateways/gw/httpListeners/https' -> 'https' (by collection)."""
    rid = get(ref, "id")
    if is_unknown(rid) or not isinstance(rid, str):
        return rid
    marker = f"/{collection}/"
    return rid.rsplit(marker, 1)[-1] if marker in rid else None


def azure_gateway_http_redirect(res: Res, _settings) -> Iterator[Finding]:
    p = res.props
    listeners = as_list(get(p, "httpListeners"))
    rules = as_list(get(p, "requestRoutingRules"))
    redirects = as_list(get(p, "redirectConfigurations"))
    for v, what in ((listeners, "httpListeners"), (rules, "requestRoutingRules"), (redirects, "redirectConfigurations")):
        if is_unknown(v):
            yield cannot_verify(what)
            return
    protocol_of = {get(l, "name"): get(l, "protocol") for l in listeners}
    redirect_by_name = {get(r, "name"): r for r in redirects}
    for i, rule in enumerate(rules):
        listener = _last(get(rule, "httpListener"), "httpListeners")
        if is_unknown(listener):
            yield cannot_verify(f"requestRoutingRules[{i}].httpListener")
            continue
        protocol = protocol_of.get(listener)
        if is_unknown(protocol):
            yield cannot_verify(f"the protocol of listener {listener}")
            continue
        if protocol != "Http":
            continue
        name = get(rule, "name")
        redirect_name = _last(get(rule, "redirectConfiguration"), "redirectConfigurations")
        if is_unknown(redirect_name):
            yield cannot_verify(f"requestRoutingRules[{i}].redirectConfiguration")
            continue
        if redirect_name is None or get(rule, "backendAddressPool") or get(rule, "urlPathMap"):
            yield violation(f"routing rule {name} serves plain-HTTP listener {listener} instead of redirecting to HTTPS")
            continue
        redirect = redirect_by_name.get(redirect_name)
        target = _last(get(redirect, "targetListener"), "httpListeners") if redirect else None
        url = get(redirect, "targetUrl") if redirect else None
        if is_unknown(target) or is_unknown(url):
            yield cannot_verify(f"redirect configuration {redirect_name}")
        elif not (protocol_of.get(target) == "Https" or (isinstance(url, str) and url.startswith("https://"))):
            yield violation(f"routing rule {name} redirects plain-HTTP listener {listener} to "
                            f"{target or url or 'nowhere'}, not to an HTTPS listener or https:// URL")


AZURE_GATEWAY_RULES = [
    rule(id="azure-app-gateway-tls-policy", types=APP_GATEWAY,
         description="Application Gateways use a TLS 1.2+ SSL policy.",
         remediation="Set sslPolicy {policyType: Predefined, policyName: AppGwSslPolicy20220101} (or CustomV2 with "
                     "minProtocolVersion TLSv1_2).",
         framework=PCI_IN_TRANSIT, check=azure_gateway_tls_policy, options=(TLS_POLICIES_OPTION,)),
    rule(id="azure-app-gateway-http-redirect-only", types=APP_GATEWAY,
         description="Application Gateways serve plain HTTP only to redirect to HTTPS.",
         remediation="Route every Http listener's rule to a redirectConfiguration {redirectType: Permanent, "
                     "targetListener: <Https listener>} and to no backend pool.",
         framework=PCI_IN_TRANSIT, check=azure_gateway_http_redirect),
]


# --------------------------------------------------------------------------- Kubernetes

INGRESSES = ("kubernetes:networking.k8s.io/v1:Ingress", "kubernetes:networking.k8s.io/v1beta1:Ingress",
             "kubernetes:extensions/v1beta1:Ingress")
# Controllers that terminate TLS from an annotation instead of spec.tls.
TLS_ANNOTATIONS = ("alb.ingress.kubernetes.io/certificate-arn", "networking.gke.io/managed-certificates",
                   "ingress.gcp.kubernetes.io/pre-shared-cert", "appgw.ingress.kubernetes.io/appgw-ssl-certificate")


def ingress_tls_check(res: Res, _settings) -> Iterator[Finding]:
    tls = as_list(get(res.props, "spec.tls"))
    annotations = get(res.props, "metadata.annotations", {})
    if is_unknown(tls):
        yield cannot_verify("spec.tls")
        return
    if tls:
        covered: set = set()
        for entry in tls:
            hosts = as_list(get(entry, "hosts"))
            if is_unknown(hosts):
                yield cannot_verify("spec.tls hosts")
                return
            covered |= set(hosts)
        rules = as_list(get(res.props, "spec.rules"))
        hosts = [] if is_unknown(rules) else [get(r, "host") for r in rules]
        uncovered = [h for h in hosts if isinstance(h, str) and h and covered and h not in covered]
        if uncovered:
            yield violation(f"hosts {', '.join(uncovered)} are not covered by spec.tls")
        return
    if is_unknown(annotations):
        yield cannot_verify("metadata.annotations")
        return
    if isinstance(annotations, dict) and any(a in annotations for a in TLS_ANNOTATIONS):
        return
    yield violation("the Ingress does not terminate TLS: spec.tls is empty and no controller certificate "
                    "annotation is set")


def secret_literal_check(stack: Stack, _settings) -> Iterator[Finding]:
    for secret in stack.of_type("kubernetes:core/v1:Secret"):
        for key in ("stringData", "data"):
            value = get(secret.props, key)
            if is_unknown(value) or not value:
                continue
            # A value computed from another resource's output (a generated password, a secret manager
            # entry, a kubeconfig) carries a property dependency; a literal written in the program has none.
            if not secret.deps.get(key):
                yield violation(f"Secret {secret.name} sets {key} ({', '.join(sorted(value))}) from values written in "
                                "the program rather than from a secret output", urn=secret.urn)


K8S_RULES = [
    rule(id="k8s-ingress-tls", types=INGRESSES,
         description="Kubernetes Ingresses terminate TLS for every host they serve.",
         remediation="Add spec.tls entries (hosts and secretName) covering every rule host, or the controller's "
                     "certificate annotation (e.g. alb.ingress.kubernetes.io/certificate-arn).",
         framework=PCI_IN_TRANSIT, check=ingress_tls_check),
    rule(id="k8s-secret-no-literal-data", types=("kubernetes:core/v1:Secret",), reads=(EVERY_TYPE,), scope="stack",
         description="Kubernetes Secrets are not filled from literals committed in the program.",
         remediation="Feed stringData from a resource output (random.RandomPassword, a secrets-manager secret "
                     "version) so the value never sits in source control. A policy cannot tell a config secret "
                     "from a literal (secrets are unwrapped before policies run): exempt such a Secret by name.",
         level="advisory", severity="medium", check=secret_literal_check),
]


RULES = AWS_LISTENER_RULES + [S3_TLS_RULE] + GCP_RULES + AZURE_STORAGE_TRANSIT_RULES + AZURE_GATEWAY_RULES + K8S_RULES
