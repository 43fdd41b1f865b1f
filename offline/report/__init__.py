"""Preview-like reports of an offline run: text for the terminal, JSON for tools, Markdown for a PR.

One module per form, over what they all count:

    summary.py      the resources per cloud and type, mandatory violations, the cost section
    text.py         the terminal report (`python -m offline preview`)
    json_report.py  the JSON report (`--json`; a contract: its keys are only ever extended)
    markdown.py     the pull-request comment (`--markdown`)

Everything public is re-exported here: `from offline.report import X` is the import path to use.
"""
from __future__ import annotations

from .json_report import to_json
from .markdown import to_markdown
from .summary import cloud_of, counts, mandatory_violations
from .text import to_text

__all__ = ["cloud_of", "counts", "mandatory_violations", "to_json", "to_markdown", "to_text"]
