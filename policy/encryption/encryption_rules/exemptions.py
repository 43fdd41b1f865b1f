"""A rule's config: its options (defaults applied) and its exemptions, each with a reason and an expiry."""
from __future__ import annotations

import datetime as _dt
import fnmatch
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from .rule_shape import Rule


@dataclass(frozen=True)
class Exemption:
    resource: str  # a URN (exact or glob) or a resource name glob
    reason: str
    expires: _dt.date

    def matches(self, res_name: str, res_urn: str) -> bool:
        if self.resource.startswith("urn:pulumi:"):
            return fnmatch.fnmatchcase(res_urn, self.resource)
        return fnmatch.fnmatchcase(res_name, self.resource)

    def active(self, today: _dt.date) -> bool:
        return today <= self.expires


EXEMPTIONS_SCHEMA = {
    "type": "array",
    "description": "Resources this rule does not apply to, each with a reason and an expiry date "
                   "(YYYY-MM-DD, inclusive); an expired exemption no longer applies.",
    "items": {
        "type": "object",
        "properties": {
            "resource": {"type": "string", "description": "a resource URN, or a glob on the URN or the resource name"},
            "reason": {"type": "string", "minLength": 1},
            "expires": {"type": "string", "format": "date"},
        },
        "required": ["resource", "reason", "expires"],
    },
}


class ConfigError(ValueError):
    pass


def parse_exemptions(rule_id: str, raw: Any) -> list[Exemption]:
    out = []
    for i, item in enumerate(raw or []):
        where = f"policy {rule_id!r}: exemptions[{i}]"
        if not isinstance(item, Mapping):
            raise ConfigError(f"{where}: expected an object with resource, reason and expires")
        missing = [k for k in ("resource", "reason", "expires") if not item.get(k)]
        if missing:
            raise ConfigError(f"{where}: missing {', '.join(missing)} (every exemption needs a reason and an expiry)")
        try:
            expires = _dt.date.fromisoformat(str(item["expires"]))
        except ValueError:
            raise ConfigError(f"{where}: expires {item['expires']!r} is not a YYYY-MM-DD date") from None
        out.append(Exemption(str(item["resource"]), str(item["reason"]), expires))
    return out


@dataclass
class Settings:
    """A rule's effective config: its options (defaults applied) and active exemptions."""

    options: dict
    exemptions: list[Exemption]

    def __getitem__(self, name: str) -> Any:
        return self.options[name]

    def exempt(self, name: str, urn: str) -> bool:
        return any(e.matches(name, urn) for e in self.exemptions)


def settings_for(rule: Rule, config: Optional[Mapping[str, Any]], today: Optional[_dt.date] = None) -> Settings:
    config = dict(config or {})
    today = today or _dt.datetime.now(_dt.timezone.utc).date()
    options = {o.name: config.get(o.name, o.default) for o in rule.options}
    active = [e for e in parse_exemptions(rule.id, config.get("exemptions")) if e.active(today)]
    return Settings(options, active)
