"""The global routing tree, split by job: `model` (cells, records, answers), `plan` (cells +
config -> records), `route53` (how Route 53 answers from those records). Pure: no pulumi.

Pure model of the global routing tree: which cell answers a country, under which failures.

`plan()` turns the cells and the DNS config into a `RoutingTree`: the Route 53
records (name, routing policy, alias target, evaluate-target-health, health
check) that `components/global_traffic/records.py` creates one for one. `RoutingTree.serve()`
evaluates that same tree the way Route 53 does, so the tests (and `plan()`
itself) can prove, for every country and every failure, who answers.

The tree, for the public name `<public>` = `dns.public_label` (`api`), below the domain:

- `<cell>`: one leaf per cell, type A, answering the cell's endpoint (an alias to
  the ALB for AWS, an A record for GCP and Azure). It is the cell's own name too.
- everything else is type CNAME, so that what a resolver caches is a CNAME with
  `dns.ttl` (30 s), whatever the cell's cloud. An A-typed tree would have to alias
  the ALB, and resolvers keep an ELB alias answer for the ELB's own 60 s: 10 s x 3
  + 60 s = 90 s. CNAMEs cannot live at the zone apex, hence the public label.
- `<zone>.pool.<public>`: the cells of one residency zone under `dns.within_zone`
  (latency / weighted / failover; failover over more than two cells is a chain
  `<zone>.pool.<public>` -> `<zone>-2.pool.<public>` -> ...). Members are CNAMEs
  to their cell's leaf and carry the cell's health check.
- `<zone>.fallback.<public>`: only for a zone with a residency exception:
  PRIMARY = the zone's pool, SECONDARY = a CNAME to the exception's fallback cell.
- `world.pool.<public>`: every cell under `dns.routing` (latency when the public
  name routes by geolocation): the default answer for everybody not pinned to a zone.
- `<public>`: geolocation records (country -> its zone's pool) plus the default
  `*` -> the world pool. Countries of a *strict* zone get records that do NOT
  evaluate target health, so Route 53 never falls back from them to the
  continent or default record (its fallback from an unhealthy geolocation
  record is what would send a strict zone's users to another zone's cell).
  Non-strict zones evaluate target health and so fail over to the default.
  When `dns.routing` is not `geolocation`, only strict zones are pinned; with
  no pinned country at all the public name is the world pool itself.

Aliases inside the tree are CNAME aliases to CNAME record sets of the same zone:
Route 53 answers them with the target's records and TTL, and evaluates the
target set's health. The pools live under the public label, so their names
never collide with a record of another type.

Checks on the placed cells (names, public label, exceptions) are `core/placement.py`'s.
"""
from __future__ import annotations

from ..placement import exception_problems, strict_map
from .model import (DEFAULT_LOCATION, LEAF_TYPE, ROLE_ORDER, TREE_TYPE, WORLD, Cell, Decision, HealthCheck,
                    Policy, Record, RoutingError)
from .edge import EdgePlan, checker_cidrs, countries_of, refused_zones, zone_endpoint
from .plan import assign_latency_regions, plan, ranked_latency_regions
from .route53 import RoutingTree

__all__ = ["EdgePlan", "checker_cidrs", "countries_of", "refused_zones", "zone_endpoint", "DEFAULT_LOCATION", "LEAF_TYPE", "ROLE_ORDER", "TREE_TYPE", "WORLD", "Cell", "Decision", "HealthCheck",
           "Policy", "Record", "RoutingError", "RoutingTree", "assign_latency_regions", "exception_problems", "plan",
           "ranked_latency_regions", "strict_map"]
