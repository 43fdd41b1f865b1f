"""The pure routing model: residency under every single-cell (and whole-zone) failure, Route 53's
geolocation fallback trap, residency exceptions, latency-region clashes, failover time."""
from __future__ import annotations

import datetime as dt

import pytest

from components.core import catalog, config, routing
from offline_helpers import stack_config
from offline.project import load_project
from offline.project import stack_config as raw_stack_config

MODES = ("geolocation", "latency", "weighted", "failover")
WITHIN = ("latency", "weighted", "failover")
ALL_COUNTRIES = sorted(catalog.COUNTRY_CONTINENT)
TODAY = dt.date(2026, 1, 1)


def load(stack: str) -> config.PlatformConfig:
    raw, _ = raw_stack_config(load_project(), stack)
    return config.load(stack, raw, today=TODAY)


def topology(stack: str) -> tuple[config.PlatformConfig, list[routing.Cell]]:
    cfg = load(stack)
    cells = [routing.Cell.from_config(c) for c in [*cfg.cells, *cfg.cell_stacks]]
    return cfg, cells


def tree_for(stack: str, routing_mode=None, within=None, exceptions=(), **dns) -> routing.RoutingTree:
    cfg, cells = topology(stack)
    update = {k: v for k, v in (("routing", routing_mode), ("within_zone", within)) if v}
    d = cfg.dns.model_copy(update={**update, **dns})
    return routing.plan(cells, d, routing.strict_map(cfg.zones, cells), exceptions)


# dev = one stack with three cells; prod = the same cells as three stacks read by prod-global.
TOPOLOGIES = ("dev", "prod-global", "eu-ha")


@pytest.mark.parametrize("stack", TOPOLOGIES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("within", WITHIN)
def test_strict_zones_are_served_in_zone_under_every_single_failure(stack, mode, within):
    tree = tree_for(stack, mode, within)
    cells = {c.name: c for c in tree.cells}
    failures = [frozenset()] + [frozenset({c}) for c in cells]
    # ...and the whole zone down: the case in which Route 53 would fall back to another record.
    failures += [frozenset(c for c in cells if cells[c].residency == z) for z in tree.served_zones]
    checked = 0
    for country in ALL_COUNTRIES:
        zone = catalog.zone_of_country(country)
        for failed in failures:
            d = tree.serve(country, failed)
            assert d.cell is not None and d.cell in d.cells, d.reason
            if zone in tree.strict_zones and zone in tree.served_zones:
                checked += 1
                assert {cells[c].residency for c in d.cells} == {zone}, d.reason
                healthy_in_zone = {c for c in cells if cells[c].residency == zone} - failed
                if healthy_in_zone:  # a healthy in-zone cell exists: only healthy cells may answer
                    assert d.cells <= healthy_in_zone, d.reason
            elif set(cells) - failed:
                assert d.cell not in failed, d.reason  # everybody else always reaches a live cell
    assert checked > 0


def test_non_strict_zone_fails_over_anywhere():
    tree = tree_for("dev")
    d = tree.serve("US", {"aws-us-west-2"})
    assert d.cells == {"gcp-europe-west1", "azure-centralindia"}
    assert d.path[0].startswith("api (geolocation default)")  # fell back from the US record to the default
    assert tree.serve("US").cell == "aws-us-west-2"


def test_countries_without_a_served_zone_take_the_default():
    tree = tree_for("dev")
    assert tree.serve("JP").cell == "azure-centralindia"  # nearest by continent in the model
    assert tree.serve("BR").cells == {"aws-us-west-2", "gcp-europe-west1", "azure-centralindia"}
    assert tree.serve("XX").cell is not None  # a resolver Route 53 cannot locate: default record


# ---- Route 53's trap ----------------------------------------------------------------------

def _naive_tree(evaluate: bool, continent_record: bool = False) -> routing.RoutingTree:
    """What a hand-written config often does: DE -> eu pool, evaluating target health."""
    cells = (routing.Cell("aws-us-west-2", "aws", "us-west-2", "us"),
             routing.Cell("gcp-europe-west1", "gcp", "europe-west1", "eu"))
    R = routing.Record
    records = [R(c.name, "simple", endpoint=c.name, evaluate_target_health=c.cloud == "aws") for c in cells]
    records += [
        R("eu.pool", "failover", "gcp", alias="gcp-europe-west1", evaluate_target_health=True,
          health_check="gcp-europe-west1", failover="PRIMARY"),
        R("", "geolocation", "DE", alias="eu.pool", country="DE", evaluate_target_health=evaluate),
        R("", "geolocation", "default", alias="aws-us-west-2", country="*", health_check="aws-us-west-2"),
    ]
    if continent_record:
        records.append(R("", "geolocation", "EU", alias="aws-us-west-2", continent="EU"))
    hcs = tuple(routing.HealthCheck(c.name, cell=c.name) for c in cells)
    return routing.RoutingTree(cells, tuple(records), hcs, frozenset({"eu"}), public="")


def test_model_reproduces_route53_fallback_from_an_unhealthy_geolocation_record():
    trap = _naive_tree(evaluate=True)
    assert trap.serve("DE").cell == "gcp-europe-west1"
    d = trap.serve("DE", {"gcp-europe-west1"})
    assert d.cell == "aws-us-west-2" and d.path[0] == "@ (geolocation default)"
    assert trap.residency_violations(["DE"], [{"gcp-europe-west1"}])
    # With a continent record, the fallback goes there first.
    d = _naive_tree(evaluate=True, continent_record=True).serve("DE", {"gcp-europe-west1"})
    assert d.path[0] == "@ (geolocation EU)" and d.cell == "aws-us-west-2"
    # Not evaluating target health at the geolocation level closes the trap.
    safe = _naive_tree(evaluate=False)
    assert safe.serve("DE", {"gcp-europe-west1"}).cell == "gcp-europe-west1"
    assert not safe.residency_violations(["DE"], [{"gcp-europe-west1"}])


def test_plan_never_evaluates_health_on_strict_geolocation_records():
    tree = tree_for("dev")
    geo = [r for r in tree.records if r.name == tree.public]
    for r in geo:
        zone = catalog.zone_of_country(r.country) if r.country != "*" else None
        assert r.health_check is None
        assert r.evaluate_target_health is (zone == "us")  # only the non-strict zone may fall back


def test_route53_failover_answers_primary_when_both_are_down():
    tree = tree_for("eu-ha", within="failover")
    assert tree.serve("DE").cell == "aws-eu-central-1"  # primary role
    assert tree.serve("DE", {"aws-eu-central-1"}).cell == "gcp-europe-west1"  # active before secondary
    assert tree.serve("DE", {"aws-eu-central-1", "gcp-europe-west1"}).cell == "azure-westeurope"
    everything = {"aws-eu-central-1", "gcp-europe-west1", "azure-westeurope"}
    assert tree.serve("DE", everything).cell == "aws-eu-central-1"


def test_weighted_uses_the_configured_weights():
    tree = tree_for("dev", routing_mode="weighted")
    pool = {r.set_id: r.weight for r in tree.records if r.name == "world.pool.api"}
    assert pool == {"aws-us-west-2": 60, "gcp-europe-west1": 30, "azure-centralindia": 10}
    # Countries not pinned to a strict zone share the world pool by weight; US is not pinned.
    assert tree.serve("US").cell == "aws-us-west-2" and len(tree.serve("US").cells) == 3
    assert tree.serve("DE").cells == {"gcp-europe-west1"}


def test_failover_mode_puts_the_primary_first():
    tree = tree_for("dev", routing_mode="failover")
    assert tree.serve("JP").cell == "aws-us-west-2"
    assert tree.serve("JP", {"aws-us-west-2"}).cell == "gcp-europe-west1"
    assert tree.serve("IN", {"azure-centralindia"}).cell == "azure-centralindia"  # strict: stays


# ---- exceptions ---------------------------------------------------------------------------

def _exception(zone="eu", fallback="aws-us-west-2", expires="2099-01-01", **kw):
    return config.ResidencyException(zone=zone, fallback_cell=fallback, reason=kw.get(
        "reason", "pilot customer accepts US processing"), approver=kw.get("approver", "dpo@example.com"),
        expires=dt.date.fromisoformat(expires))


def test_exception_fallback_only_when_the_whole_zone_is_down():
    ex = _exception()
    tree = tree_for("dev", exceptions=[ex])
    assert tree.serve("DE").cell == "gcp-europe-west1" and tree.serve("DE").exception is None
    d = tree.serve("DE", {"gcp-europe-west1"})
    assert d.cell == "aws-us-west-2" and d.exception == 0
    assert "residency exception for zone 'eu'" in d.reason and "dpo@example.com" in d.reason
    # Fallback down too: Route 53 answers the failover PRIMARY, i.e. stays in zone.
    assert tree.serve("DE", {"gcp-europe-west1", "aws-us-west-2"}).cell == "gcp-europe-west1"
    # India has no exception: it stays in zone.
    assert tree.serve("IN", {"azure-centralindia"}).cells == {"azure-centralindia"}
    assert not tree.residency_violations(ALL_COUNTRIES, tree.failure_scenarios())
    calculated = next(h for h in tree.health_checks if h.cell is None)
    assert calculated.children == ("gcp-europe-west1",) and calculated.threshold == 1


@pytest.mark.parametrize("ex, key, message", [
    (dict(zone="us"), "zone", "is not strict"),
    (dict(zone="ch"), "zone", "has no cell"),
    (dict(fallback="nope-cell"), "fallback_cell", "no such cell"),
    (dict(fallback="gcp-europe-west1"), "fallback_cell", "needs no exception"),
])
def test_exception_that_cannot_mean_what_it_says_is_a_config_error(ex, key, message):
    raw, _ = raw_stack_config(load_project(), "dev")
    e = _exception(**ex)
    raw = {**raw, "platform:exceptions": [{**e.model_dump(), "expires": e.expires.isoformat()}]}
    with pytest.raises(config.ConfigError) as err:
        config.load("dev", raw, today=TODAY)
    assert f"platform:exceptions[0].{key}" in str(err.value) and message in str(err.value)


def test_expired_exception_is_rejected():
    raw, _ = raw_stack_config(load_project(), "dev")
    raw = {**raw, "platform:exceptions": [{"zone": "eu", "fallback_cell": "aws-us-west-2",
                                           "reason": "temporary pilot waiver", "approver": "dpo@example.com",
                                           "expires": "2025-06-30"}]}
    with pytest.raises(config.ConfigError, match=r"exceptions\[0\]\.expires.*expired"):
        config.load("dev", raw, today=TODAY)


# ---- latency regions ----------------------------------------------------------------------

def test_latency_regions_come_from_the_catalog():
    tree = tree_for("dev", routing_mode="latency")
    assert dict(tree.latency_regions) == {"aws-us-west-2": "us-west-2", "gcp-europe-west1": "eu-west-3",
                                          "azure-centralindia": "ap-south-1"}
    assert not tree.notes


def test_latency_clash_takes_the_next_nearest_region_of_the_zone_and_says_so():
    tree = tree_for("eu-ha", routing_mode="latency")
    regions = dict(tree.latency_regions)
    assert regions["aws-eu-central-1"] == "eu-central-1"
    assert regions["azure-westeurope"] not in ("eu-central-1", "eu-west-3")
    assert catalog.AWS[regions["azure-westeurope"]].zone == "eu"
    assert len(set(regions.values())) == 3
    assert any("azure-westeurope" in n and "next nearest" in n for n in tree.notes)


# ---- failover time ------------------------------------------------------------------------

def test_default_config_fails_over_within_60_seconds_for_a_plain_answer():
    dns = config.DnsOptions(domain="example.com")
    cells = [routing.Cell("gcp-europe-west1", "gcp", "europe-west1", "eu"),
             routing.Cell("azure-westeurope", "azure", "westeurope", "eu")]
    tree = routing.plan(cells, dns, {"eu": True})
    assert tree.worst_case_failover_seconds == 10 * 3 + 30 == 60


@pytest.mark.parametrize("stack", TOPOLOGIES)
@pytest.mark.parametrize("mode", MODES)
def test_every_topology_fails_over_within_60_seconds_alb_cells_included(stack, mode):
    tree = tree_for(stack, mode)
    assert {tree.failover_seconds(c.name) for c in tree.cells} == {10 * 3 + 30}
    assert tree.worst_case_failover_seconds == 60


@pytest.mark.parametrize("stack", TOPOLOGIES)
def test_no_answer_of_the_public_name_carries_the_elb_alias_ttl(stack):
    """The 60 s holds because resolvers cache a CNAME with the tree's TTL: the ALB alias (60 s,
    the ELB's) is only ever reached through a CNAME, never as what the public name answers."""
    for mode in MODES:
        tree = tree_for(stack, mode)
        leaves = {c.name for c in tree.cells}
        assert {r.name for r in tree.records if r.endpoint is not None} == leaves
        for r in tree.records:
            if r.endpoint is not None:
                assert r.type == "A" and r.name == r.endpoint
                continue
            assert r.type == "CNAME" and r.name.endswith(tree.public) and r.name not in leaves
            # Aliases stay inside the CNAME tree; only plain CNAMEs (with the TTL) reach a leaf.
            assert (r.alias is None) != (r.cname is None)
            assert r.alias is None or r.alias not in leaves
            assert r.cname is None or (r.cname in leaves and r.health_check == r.cname)
        assert tree.group(tree.public) and all(r.type == "CNAME" for r in tree.group(tree.public))


def test_public_label_cannot_be_a_cell_name():
    raw, _ = raw_stack_config(load_project(), "dev")
    import json
    dns = {**json.loads(raw["platform:dns"]), "public_label": "aws-us-west-2"}
    with pytest.raises(config.ConfigError, match=r"stack 'dev'.*dns\.public_label = 'aws-us-west-2'.*cell name"):
        config.load("dev", {**raw, "platform:dns": json.dumps(dns)}, today=TODAY)
    dns["public_label"] = "API!"
    with pytest.raises(config.ConfigError, match=r"public_label"):
        config.load("dev", {**raw, "platform:dns": json.dumps(dns)}, today=TODAY)


def test_slow_health_checks_are_counted():
    tree = tree_for("dev", health_check=config.HealthCheckOptions(request_interval=30, failure_threshold=3))
    assert tree.failover_seconds("gcp-europe-west1") == 30 * 3 + 30 == 120


# ---- config of the prod split -------------------------------------------------------------

def test_prod_global_places_the_same_cells_as_the_cell_stacks():
    _, refs = topology("prod-global")
    for stack in ("prod-aws-us-west-2", "prod-gcp-europe-west1", "prod-azure-centralindia"):
        cell = load(stack).cells[0]
        assert routing.Cell.from_config(cell) in refs


def test_duplicate_cell_across_cells_and_cell_stacks_is_rejected():
    raw, _ = raw_stack_config(load_project(), "prod-global")
    import json
    stacks = json.loads(raw["platform:cell_stacks"])
    raw = {**raw, "platform:cell_stacks": json.dumps(stacks + [{**stacks[0], "stack": "prod-other"}])}
    with pytest.raises(config.ConfigError, match=r"cell_stacks\[3\]\.name.*duplicate"):
        config.load("prod-global", raw, today=TODAY)
