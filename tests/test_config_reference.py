"""The README's config reference is generated from the config models (components/core/config_reference.py):
it fails here when the README drifts from them, and it covers every key, every plugin's cell settings included."""
from __future__ import annotations

import subprocess
import sys

import pytest
from pydantic import BaseModel

from components.clouds.plugins import PLUGINS
from components.core import config_reference
from components.core.config import schema
from offline_helpers import REPO


def _reference() -> str:
    readme = (REPO / "README.md").read_text()
    return readme[readme.index(config_reference.BEGIN):readme.index(config_reference.END)]


def test_the_readme_reference_is_what_the_models_say():
    readme = (REPO / "README.md").read_text()
    assert config_reference.with_reference(readme) == readme, \
        "README.md's config reference drifted: run `python -m components.core.config_reference`"


def test_the_check_fails_on_a_drifted_readme_and_names_the_command(tmp_path):
    readme = (REPO / "README.md").read_text()
    drifted = tmp_path / "README.md"
    drifted.write_text(readme.replace("Fewest workload nodes (the autoscaler's floor).", "Some nodes."))
    assert drifted.read_text() != readme
    run = subprocess.run([sys.executable, "-m", "components.core.config_reference", "--check", "--readme", str(drifted)],
                         cwd=REPO, capture_output=True, text=True)
    assert run.returncode == 1
    assert "+| `cluster.min_nodes` | int | `2` | >= 1, <= 100 | Fewest workload nodes" in run.stdout
    assert "python -m components.core.config_reference" in run.stderr
    # Without --check it writes the reference back, and the check then passes.
    subprocess.run([sys.executable, "-m", "components.core.config_reference", "--readme", str(drifted)],
                   cwd=REPO, check=True)
    assert drifted.read_text() == readme


def test_every_platform_key_has_its_section():
    text = _reference()
    for key in schema.KEYS:
        assert f"#### `platform:{key}" in text, key
    for key in schema.provider_keys().values():
        assert f"| `{key}` |" in text, key


def _paths(model: type[BaseModel], prefix: str):
    for name, field in model.model_fields.items():
        path = f"{prefix}.{name}" if prefix else name
        yield path, field
        inner = field.annotation
        for arg in (getattr(inner, "__args__", None) or ()):
            for a in (arg, *(getattr(arg, "__args__", None) or ())):
                if isinstance(a, type) and issubclass(a, BaseModel):
                    yield from _paths(a, path + ("[i]" if getattr(inner, "__origin__", None) is list else ""))
        if isinstance(inner, type) and issubclass(inner, BaseModel):
            yield from _paths(inner, path)


@pytest.mark.parametrize("cloud", sorted(PLUGINS))
def test_every_plugin_setting_is_in_the_reference_with_its_description(cloud):
    """Each plugin's settings model is mounted at cells[i].<cloud> and every field of it is a described row."""
    text = _reference()
    settings = PLUGINS[cloud].settings()
    assert schema.CellSpecConfig.model_fields[cloud].annotation.__args__[0] is settings.CellSettings
    rows = list(_paths(settings.CellSettings, cloud))
    assert rows, f"{cloud}: a settings model without fields"
    for path, field in rows:
        assert field.description, f"cells[i].{path}: no description"
        assert f"| `{path}` |" in text and " ".join(field.description.split()) in text, path
    for name in (*getattr(settings, "CELL_FIELDS", {}), *getattr(settings, "DEPLOYER_FIELDS", {}),
                 *getattr(settings, "ACCESS_FIELDS", {})):
        assert f"| `{name}` |" in text, (cloud, name)


def test_every_field_of_the_core_models_is_described():
    missing = [path for path, field in _paths(schema.PlatformConfig, "platform") if not field.description]
    assert missing == []
