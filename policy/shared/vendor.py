"""Copy the shared pack modules into every pack that vendors them (a pack must stay self-contained).

    python policy/shared/vendor.py          # refresh the copies
    python policy/shared/vendor.py --check  # exit 1, naming each stale copy, without writing

tests/test_structure.py runs the check.
"""
from __future__ import annotations

import sys
from pathlib import Path

SHARED = Path(__file__).resolve().parent
POLICY = SHARED.parent
# source (in policy/shared/) -> its copies, relative to policy/
VENDORED = {
    "rule_shape.py": ("encryption/encryption_rules/rule_shape.py", "residency/residency_rules/rule_shape.py"),
    "server.py": ("encryption/encryption_rules/server.py", "residency/residency_rules/server.py"),
}


def stale() -> list[Path]:
    """The copies whose bytes differ from their source (or that are missing)."""
    return [POLICY / copy for source, copies in VENDORED.items() for copy in copies
            if not (POLICY / copy).exists() or (POLICY / copy).read_bytes() != (SHARED / source).read_bytes()]


def refresh() -> list[Path]:
    written = []
    for source, copies in VENDORED.items():
        data = (SHARED / source).read_bytes()
        for copy in copies:
            target = POLICY / copy
            if not target.exists() or target.read_bytes() != data:
                target.write_bytes(data)
                written.append(target)
    return written


if __name__ == "__main__":
    if "--check" in sys.argv[1:]:
        bad = stale()
        for path in bad:
            print(f"stale: {path.relative_to(POLICY.parent)} (run python policy/shared/vendor.py)")
        sys.exit(1 if bad else 0)
    for path in refresh():
        print(f"wrote {path.relative_to(POLICY.parent)}")
