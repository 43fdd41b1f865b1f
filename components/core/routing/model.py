"""The routing model: cells as routing sees them, Route 53 records and health checks, answers.

Plain frozen values (see `routing/__init__.py` for the tree they form). Pure.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Optional

from .. import catalog

Policy = Literal["simple", "geolocation", "latency", "weighted", "failover"]

WORLD = "world"        # label prefix of the pool that answers everybody not pinned to a zone
DEFAULT_LOCATION = "*"  # Route 53's default geolocation record
LEAF_TYPE, TREE_TYPE = "A", "CNAME"
ROLE_ORDER = {"primary": 0, "active": 1, "secondary": 2}



class RoutingError(ValueError):
    """The cells and DNS config cannot form a residency-safe routing tree (message names the key)."""


@dataclass(frozen=True)
class Cell:
    """What routing needs to know about a cell: plain values, known before any resource exists."""

    name: str
    cloud: str
    region: str
    residency: str
    role: str = "active"
    weight: int = 100

    @property
    def nearest_aws(self) -> str:
        return catalog.region(self.cloud, self.region).nearest_aws

    # The cell's endpoint is an alias target (an ALB): its leaf record is an alias that evaluates
    # the load balancer's own target health. Set from the cell's `Endpoint` type (contract.py).
    alias_endpoint: bool = False

    @classmethod
    def from_config(cls, c: Any, alias_endpoint: bool = False) -> "Cell":
        """From anything placed (a config cell, a cell-stack reference, a CellSpec)."""
        return cls(c.name, c.cloud, c.region, c.residency, c.role, c.weight, alias_endpoint)


@dataclass(frozen=True)
class HealthCheck:
    """A cell's endpoint check, or a CALCULATED check over `children` (healthy when >= threshold are)."""

    id: str
    cell: Optional[str] = None
    children: tuple[str, ...] = ()
    threshold: int = 1


@dataclass(frozen=True)
class Record:
    """One Route 53 record. Records with the same `name` form a group with one policy."""

    name: str                         # label relative to the domain
    policy: Policy
    set_id: Optional[str] = None
    endpoint: Optional[str] = None    # leaf: answers this cell's endpoint
    alias: Optional[str] = None       # alias to another name of the tree
    cname: Optional[str] = None       # plain CNAME (with the tree's TTL) to this cell's leaf
    evaluate_target_health: bool = False
    health_check: Optional[str] = None
    country: Optional[str] = None     # geolocation: ISO country, or DEFAULT_LOCATION
    continent: Optional[str] = None   # geolocation by continent (the model handles it; plan() makes none)
    region: Optional[str] = None      # latency
    weight: Optional[int] = None      # weighted
    failover: Optional[Literal["PRIMARY", "SECONDARY"]] = None
    exception: Optional[int] = None   # index of the residency exception this record implements

    @property
    def type(self) -> str:
        return LEAF_TYPE if self.endpoint is not None else TREE_TYPE

    @property
    def target(self) -> str:
        """The name this record sends the resolver on to (not for leaves)."""
        return self.alias if self.alias is not None else self.cname


@dataclass(frozen=True)
class Decision:
    """Route 53's answer for a country: `cells` = every cell it may answer with (latency depends on
    the resolver, weighted is random), `cell` = the most likely one, `path` = the records walked."""

    country: str
    cell: Optional[str]
    cells: frozenset[str]
    reason: str
    path: tuple[str, ...]
    exception: Optional[int] = None   # index of the residency exception that made this answer
