"""Release files: what a cell serves (a model artifact and the image that serves it), reviewed as code.

A release is `releases/<name>-<version>.yaml`:

    name: sentiment              # the model's name (lower-case letters, digits, dashes)
    version: 1.4.0               # its version; the file name is <name>-<version>.yaml
    model:
      sha256: <64 hex>           # of the artifact's bytes; the workload checks it before it is ready
      size: 104857600            # bytes
    image: <repository>@sha256:<64 hex>
    allowed_zones: [us, eu]      # residency zones whose cells may hold and serve it

The artifact lives in each serving cell's own bucket at `models/<name>/<version>/model` (published
there by `python -m ops release publish`), so a cell never reads a model from another cell.

Pure: pydantic, PyYAML and the region catalog; the stack config (core/config/) and the ops
commands both load releases through `load()`, so an error reads the same everywhere.
"""
from __future__ import annotations

import re
from pathlib import Path
from typing import Optional

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from . import catalog

# The repository's release directory (next to stacks/).
RELEASES_DIR = Path(__file__).resolve().parents[2] / "releases"
# An image pinned by digest (a tag can change under a running cell); stack config's workload image too.
DIGEST_IMAGE = re.compile(r"^[a-z0-9.\-/:_]+@sha256:[0-9a-f]{64}$")
ID_PATTERN = r"^[a-z][a-z0-9-]{0,40}-[0-9][0-9A-Za-z.\-]{0,30}$"  # <name>-<version>
# Where a release's artifact sits inside a cell's bucket (object storage key prefix).
OBJECT_PREFIX = "models"
ARTIFACT = "model"
MANIFEST = "manifest.json"


class ReleaseError(Exception):
    """A release file is missing or invalid; `str()` names the file, the key and what is allowed."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelArtifact(_Model):
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    size: int = Field(gt=0)


class Release(_Model):
    name: str = Field(pattern=r"^[a-z][a-z0-9-]{0,40}$")
    version: str = Field(pattern=r"^[0-9][0-9A-Za-z.\-]{0,30}$")
    model: ModelArtifact
    image: str
    allowed_zones: list[str] = Field(min_length=1)

    @field_validator("image")
    @classmethod
    def _pinned(cls, v: str) -> str:
        if not DIGEST_IMAGE.match(v):
            raise ValueError(f"image {v!r} is not pinned by digest; allowed: <repository>@sha256:<64 hex>")
        return v

    @field_validator("allowed_zones")
    @classmethod
    def _known_zones(cls, v: list[str]) -> list[str]:
        known = catalog.known_zones()
        for z in v:
            if z not in known:
                raise ValueError(f"{z!r} is not a residency zone of the catalog; allowed: {', '.join(known)}")
        if len(set(v)) != len(v):
            raise ValueError("a zone is listed twice")
        return v

    @property
    def id(self) -> str:
        return f"{self.name}-{self.version}"

    @property
    def prefix(self) -> str:
        """The key prefix of this release inside a cell's bucket."""
        return f"{OBJECT_PREFIX}/{self.name}/{self.version}"

    @property
    def artifact_key(self) -> str:
        return f"{self.prefix}/{ARTIFACT}"

    @property
    def manifest_key(self) -> str:
        return f"{self.prefix}/{MANIFEST}"

    def allows(self, zone: str) -> bool:
        return zone in self.allowed_zones

    def model_uri(self, bucket_uri: str) -> str:
        """The artifact's location in the bucket named by a cell's `bucket_uri` output."""
        return f"{bucket_uri.rstrip('/')}/{self.artifact_key}"


def path_of(release_id: str, directory: Optional[Path] = None) -> Path:
    return (directory or RELEASES_DIR) / f"{release_id}.yaml"


def _where(loc: tuple) -> str:
    return ".".join(str(p) for p in loc) or "(file)"


def load_file(path: Path) -> Release:
    """Load and validate one release file; every problem in one ReleaseError."""
    try:
        data = yaml.safe_load(path.read_text())
    except OSError as exc:
        raise ReleaseError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ReleaseError(f"{path}: not YAML: {exc}") from None
    if not isinstance(data, dict):
        raise ReleaseError(f"{path}: a mapping with name, version, model, image, allowed_zones is expected")
    try:
        rel = Release.model_validate(data)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            value = data
            for part in err["loc"]:
                value = value.get(part) if isinstance(value, dict) else (
                    value[part] if isinstance(value, list) and isinstance(part, int) and part < len(value) else None)
            shown = f" = {value!r}" if value is not None and not isinstance(value, (dict, list)) else ""
            msg = err["msg"].removeprefix("Value error, ")
            if err["type"] == "extra_forbidden":
                msg = f"unknown key; allowed: {', '.join(_allowed(err['loc']))}"
            lines.append(f"{path}: {_where(err['loc'])}{shown}: {msg}")
        raise ReleaseError("\n".join(lines)) from None
    if path.stem != rel.id:
        raise ReleaseError(f"{path}: name {rel.name!r} and version {rel.version!r} make {rel.id!r}; "
                           f"allowed: the file named {rel.id}.yaml")
    return rel


def _allowed(loc: tuple) -> list[str]:
    model: type[BaseModel] = Release
    for part in loc[:-1]:
        field = model.model_fields.get(str(part))
        ann = field.annotation if field else None
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            model = ann
    return sorted(model.model_fields)


def load(release_id: str, directory: Optional[Path] = None) -> Release:
    """The release named `release_id` (`<name>-<version>`) from the release directory."""
    path = path_of(release_id, directory)
    if not path.is_file():
        known = available(directory)
        raise ReleaseError(f"release {release_id!r}: no file {path.name} in {path.parent}; "
                           f"allowed: {', '.join(known) or 'none yet (add releases/<name>-<version>.yaml)'}")
    return load_file(path)


def available(directory: Optional[Path] = None) -> list[str]:
    d = directory or RELEASES_DIR
    return sorted(p.stem for p in d.glob("*.yaml")) if d.is_dir() else []
