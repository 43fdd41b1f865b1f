"""Comments and docstrings say why the code is the way it is, not which ticket or round of work
brought it: an issue number, a wave or a numbered review means nothing to a reader without the
tracker, and the reason it stands for (the provider's behaviour, the rule, the failure prevented)
belongs in the sentence itself. Upstream references stay, as links (github.com/owner/repo/issues/N).

The scan reads real comments (tokenize) and docstrings (ast) of every Python file in the code and
test trees, plus the workflow and action files under .github/ (where `#` only starts comments)."""
from __future__ import annotations

import ast
import io
import re
import tokenize
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PYTHON_TREES = ("components", "offline", "policy", "ops", "bench", "deploy", "tests")
YAML_TREES = (".github",)

# A reference to this project's history: a number sign and digits, the word issue or wave with a
# number, an ordinal review, a finding of a review (the examples are in the test below). A number sign
# after a word character, `&` or `/` is a URL fragment or an entity, not an issue.
HISTORY = re.compile(
    r"(?<![\w&/])#\d+\b"
    r"|\bissues? #?\d+\b"
    r"|\bwaves? \d+\b"
    r"|\b(?:first|second|third|fourth|fifth|last) review\b"
    r"|\breview findings?\b",
    re.IGNORECASE)

# Files other branches are editing right now, with the references they still hold. TEMPORARY: emptied
# when that work is merged; a file listed here that no longer offends fails the test below, so the
# list only shrinks.
IN_FLIGHT: frozenset[str] = frozenset({
    "components/clouds/aws/observability.py",
    "components/clouds/azure/common.py",
})


def _comments_and_docstrings(source: str):
    """(line, text) of every comment token and every line of a module, class or function docstring."""
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.COMMENT:
            yield tok.start[0], tok.string
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant) \
                    and isinstance(first.value.value, str):
                for offset, line in enumerate(first.value.value.splitlines()):
                    yield first.lineno + offset, line


def _history_references() -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for tree in PYTHON_TREES:
        for path in sorted((REPO / tree).rglob("*.py")):
            rel = path.relative_to(REPO).as_posix()
            for line, text in _comments_and_docstrings(path.read_text()):
                if HISTORY.search(text):
                    found.setdefault(rel, []).append(f"{rel}:{line}: {text.strip()}")
    for tree in YAML_TREES:
        for path in sorted(p for p in (REPO / tree).rglob("*") if p.suffix in (".yml", ".yaml")):
            rel = path.relative_to(REPO).as_posix()
            for line, text in enumerate(path.read_text().splitlines(), 1):
                if "#" in text and HISTORY.search(text[text.index("#"):]):
                    found.setdefault(rel, []).append(f"{rel}:{line}: {text.strip()}")
    return found


def test_the_pattern_tells_history_from_upstream_links_and_fragments():
    for history in ("(#29)", "issue #31: the casing", "see issue 4", "# #16: pieces", "wave 2 moved it",
                    "the third review's lessons", "a review finding"):
        assert HISTORY.search(history), history
    for fine in ("github.com/kubernetes-sigs/external-dns/issues/4345", "docs/page#section-2",
                 "&#39;", "# 1. first step", "rolled out wave by wave", "the review diff"):
        assert not HISTORY.search(fine), fine


def test_comments_and_docstrings_carry_no_issue_numbers_waves_or_reviews():
    found = _history_references()
    offending = [hit for rel, hits in sorted(found.items()) if rel not in IN_FLIGHT for hit in hits]
    assert not offending, ("comments/docstrings that point at history instead of saying why "
                           "(write the reason itself):\n" + "\n".join(offending))
    clean = sorted(IN_FLIGHT - set(found))
    assert not clean, f"no longer offending, remove from IN_FLIGHT: {clean}"
    for rel in sorted(IN_FLIGHT):   # what is still to rewrite, shown in -rA output
        print(f"in flight: {len(found[rel])}: " + "; ".join(found[rel][:3]))
