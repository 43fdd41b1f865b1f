"""The cloud facts the offline engine reads: `facts.json` beside this file, generated from the cloud
plugins (components/clouds/plugins.py) by `python policy/shared/facts.py` (a test keeps it equal).

Read as data, not imported from `components`: the engine runs other checkouts' programs (the base of
`offline diff`), and each must import its own `components` package, never this one's.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Optional

FACTS = json.loads((Path(__file__).resolve().parent / "facts.json").read_text())
CLOUDS: dict[str, dict] = FACTS["clouds"]
PACKAGES: dict[str, dict] = FACTS["packages"]
# The clouds in the registry's order (components/clouds/plugins.py): how reports list them.
ORDER: tuple[str, ...] = tuple(FACTS["order"])


def cloud_of_package(package: str) -> Optional[str]:
    """The cloud whose plugin declares `package`, or None."""
    return (PACKAGES.get(package) or {}).get("cloud")


# Resources whose deletion or replacement loses data, key material or a serving identity.
STATEFUL_TYPES = frozenset(t for c in CLOUDS.values() for t in c["stateful_types"])
# The stack config key of each cloud's default region.
DEFAULT_REGION_KEYS = {cloud: c["default_region_key"] for cloud, c in CLOUDS.items()}
