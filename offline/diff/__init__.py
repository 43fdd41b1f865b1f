"""Review diff: what a change does to a stack, like `pulumi preview --diff`, without credentials.

The base git ref is checked out into a temporary `git worktree`; the stack runs there and in the
working tree, each in a child process of this repository's offline engine (same engine, same
mocks on both sides, so every difference comes from the program or the stack config). Resources
are matched as the Pulumi engine matches them: by URN, else by an alias the new program declares
(alias specs are collapsed to URNs, and a parent's aliases are inherited by its children, as
the engine's step generator does).

Then each resource is classified:
- create / delete: only on one side;
- replace: the same logical resource under a new URN without an alias (same type, and the same
  name or the same name relative to its renamed parent), or an input change the provider
  cannot apply in place (`FORCE_NEW`: the create-only inputs of every type the project uses, from
  the provider documentation, in offline/force_new.py; or `replaceOnChanges` declared by the program);
- update: the same URN with changed inputs (the changed top-level input keys are listed).

Deleting or replacing a stateful resource (`STATEFUL`) destroys data or identity (bucket
contents, key material, vault, cluster), so it is flagged and fails the gate.

One job per module (tests/test_offline_layout.py pins what can be checked):

    model.py     what a diff is: Change, StackDiff (and its JSON form, a contract), DiffError
    match.py     URNs and aliases as the engine computes them (the one resolver: the URN tests import it);
                 which old resource each new one is; which old URNs a cloud retired (its migrations.py)
    classify.py  create / delete / replace / update, create-only inputs, STATEFUL
    gitref.py    the base ref as a temporary git worktree (the only module that runs git)
    sides.py     one stack on one side, in a child process of the offline engine; diff_stack
    order.py     the stacks and their deploy order (StackReference dependencies)
    render.py    the terminal text and the Markdown PR comment of a diff or an all-stacks preview

Everything public is re-exported here: `from offline.diff import X` is the import path to use.
"""
from __future__ import annotations

from .classify import FORCE_NEW, STATEFUL, diff_resources
from .gitref import base_checkout
from .match import ROOT_STACK_TYPE, alias_urns, create_urn, match_resources, retired
from .model import Change, DiffError, StackDiff, mandatory_count
from .order import all_stacks, stack_dependencies, stack_waves
from .render import MARKDOWN_ROWS, diff_markdown, diff_text, preview_markdown
from .sides import ENGINE_ROOT, SideRun, diff_stack, run_side

# The name this count had when offline.diff was one module (offline/__main__.py used it).
_mandatory = mandatory_count

__all__ = [
    "FORCE_NEW", "STATEFUL", "diff_resources", "base_checkout", "ROOT_STACK_TYPE", "alias_urns", "create_urn",
    "match_resources", "retired", "Change", "DiffError", "StackDiff", "mandatory_count", "all_stacks", "stack_dependencies",
    "stack_waves", "MARKDOWN_ROWS", "diff_markdown", "diff_text", "preview_markdown", "ENGINE_ROOT", "SideRun",
    "diff_stack", "run_side",
]
