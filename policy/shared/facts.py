"""Generate the cloud facts the packs read (`facts.json` in each pack, and offline/facts.json) from the plugin registry
(components/clouds/plugins.py): a pack must stay self-contained, so it carries the facts, not an
import of the project.

    python policy/shared/facts.py          # regenerate every pack's facts.json
    python policy/shared/facts.py --check  # exit 1, naming each stale copy, without writing

tests/test_plugins.py runs the check. The facts: per cloud, its packages, where their resources
carry labels (wire names), how they are placed, and its types by role; per package, the cloud it
belongs to or why it is none (`NON_CLOUD_PACKAGES`). A package in neither fails closed in both packs.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

SHARED = Path(__file__).resolve().parent
POLICY = SHARED.parent
REPO = POLICY.parent
# Every copy: each pack's, and the offline engine's (which must not import the project's `components`:
# it runs other checkouts' programs, whose own `components` package must be the one they import).
TARGETS = (POLICY / "encryption" / "facts.json", POLICY / "residency" / "facts.json", REPO / "offline" / "facts.json")


def wire(name: str) -> str:
    """A Python arg name as the engine sends it (`resource_labels` -> `resourceLabels`)."""
    return re.sub(r"_([a-z])", lambda m: m.group(1).upper(), name)


def build(plugins=None, non_cloud=None) -> dict:
    if plugins is None or non_cloud is None:
        if str(REPO) not in sys.path:
            sys.path.insert(0, str(REPO))
        from components.clouds.plugins import NON_CLOUD_PACKAGES, PLUGINS
        plugins = PLUGINS if plugins is None else plugins
        non_cloud = NON_CLOUD_PACKAGES if non_cloud is None else non_cloud
    clouds = {}
    packages = {}
    for cloud, p in sorted(plugins.items()):
        clouds[cloud] = {
            "packages": list(p.packages),
            "label_properties": [wire(x) for x in p.label_properties],
            "label_properties_by_type": {t: [wire(x) for x in v] for t, v in sorted(p.label_properties_by_type.items())},
            "location": {"inputs": list(p.location.inputs), "unlocated": p.location.unlocated,
                         "provider_keys": list(p.location.provider_keys), "locator": p.location.locator},
            **{role: sorted(getattr(p, role)) for role in (
                "data_types", "key_types", "cluster_types", "load_balancer_types", "telemetry_types", "stateful_types")},
            "no_customer_key": dict(sorted(p.no_customer_key.items())),
            "pricing_cloud": p.pricing_cloud,
            # The modules of its folder the offline engine loads (offline/clouds): mocks, apply rules, migrations.
            "mock_modules": list(p.mock_modules),
            "apply_module": p.apply_module,
            "migrations_module": p.migrations_module,
            "default_region_key": p.default_region_key,
            "pricing_module": p.pricing_module,
            "dns_modules": list(p.dns_modules),
        }
        for pkg in p.packages:
            packages[pkg] = {"cloud": cloud, "kind": "cloud", "reason": f"the {cloud} plugin's resources"}
    for pkg, (kind, reason) in sorted(non_cloud.items()):
        packages[pkg] = {"cloud": None, "kind": kind, "reason": reason}
    return {"generated_by": "python policy/shared/facts.py (from components/clouds/plugins.py)",
            "order": list(plugins), "clouds": clouds, "packages": dict(sorted(packages.items()))}


def render(facts: dict) -> str:
    return json.dumps(facts, indent=1, sort_keys=True) + "\n"


def stale(text: "str | None" = None) -> list[Path]:
    text = render(build()) if text is None else text
    return [path for path in TARGETS if not path.exists() or path.read_text() != text]


def refresh() -> list[Path]:
    text = render(build())
    written = stale(text)
    for path in written:
        path.write_text(text)
    return written


if __name__ == "__main__":
    if "--check" in sys.argv[1:]:
        bad = stale()
        for path in bad:
            print(f"stale: {path.relative_to(REPO)} (run python policy/shared/facts.py)")
        sys.exit(1 if bad else 0)
    for path in refresh():
        print(f"wrote {path.relative_to(REPO)}")
