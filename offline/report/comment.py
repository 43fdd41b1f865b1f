"""The pull-request comment: the review diff and both preview modes, fitted into one comment.

A comment body holds at most 65,536 characters. Cutting the concatenated reports at that size drops
whatever comes last: with six stacks the dry-run report alone can fill it, and the assume-applied
report (apply checks, cost) would never be seen, though a reviewer needs both modes. Each report
gets a fair share of the budget instead: a report shorter than its share gives the rest to the
others; a longer one is cut at a line and says where the whole is (the job summary and the
`offline-review` artifact).

    python -m offline.report.comment --out review.md [--limit 60000] diff.md preview.md preview-applied.md
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

LIMIT = 60_000  # under GitHub's 65,536 with room for the sticky marker
CUT = ("\n\n> … cut here ({shown:,} of {total:,} characters) to fit the comment; the whole report is in "
       "the job summary and the `offline-review` artifact.\n")


def shares(sizes: list[int], limit: int) -> list[int]:
    """Characters each part may keep: equal shares, what a short part leaves over going to the rest."""
    out = [0] * len(sizes)
    left, pending = limit, sorted(range(len(sizes)), key=lambda i: sizes[i])
    while pending:
        share = left // len(pending)
        i = pending.pop(0)
        out[i] = min(sizes[i], share)
        left -= out[i]
    return out


def _cut(text: str, budget: int) -> str:
    if len(text) <= budget:
        return text
    note_room = len(CUT.format(shown=len(text), total=len(text))) + 8
    keep = max(0, budget - note_room)
    head = text[:keep]
    head = head[: head.rfind("\n") + 1] if "\n" in head else head
    return head.rstrip("\n") + CUT.format(shown=len(head), total=len(text))


def compose(parts: list[str], limit: int = LIMIT) -> str:
    """The parts in order, each fitted to its share, separated by a blank line; at most `limit` chars."""
    sep = "\n\n"
    budget = max(0, limit - len(sep) * max(0, len(parts) - 1))
    fitted = [_cut(p, s) for p, s in zip(parts, shares([len(p) for p in parts], budget))]
    body = sep.join(p.rstrip("\n") for p in fitted) + "\n"
    return body[:limit]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m offline.report.comment", description=__doc__.split("\n\n")[0])
    ap.add_argument("parts", nargs="+", type=Path, help="Markdown reports, in the order shown")
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--limit", type=int, default=LIMIT)
    args = ap.parse_args(argv)
    missing = [str(p) for p in args.parts if not p.exists()]
    # A report that was not written (its run crashed) is said so, not silently left out.
    texts = [p.read_text() if p.exists() else f"### `{p.name}` was not written (its run failed; see the job log)\n"
             for p in args.parts]
    args.out.write_text(compose(texts, args.limit))
    if missing:
        print(f"not written: {', '.join(missing)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
