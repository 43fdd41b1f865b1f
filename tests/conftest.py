import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))


@pytest.fixture(scope="session", autouse=True)
def _shared_stack_runs(tmp_path_factory):
    """Under pytest-xdist, workers share whole-stack runs (offline_helpers.preview_stack) through the
    session's common temporary directory: each stack x packs x flags runs once per session, not per worker."""
    import offline_helpers

    if os.environ.get("PYTEST_XDIST_WORKER"):
        offline_helpers.SHARED_RUNS = tmp_path_factory.getbasetemp().parent / "stack-runs"
    yield
    offline_helpers.SHARED_RUNS = None
