"""Safe on-disk format: safetensors for arrays, JSON for everything else, checksums for both.

Never pickle: a router artifact can come from anyone, and loading must not run code.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np

from .errors import ArtifactError

FORMAT_VERSION = 1


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_tensors(path: Path, tensors: dict[str, np.ndarray]) -> str:
    """Save arrays with safetensors; returns the file's sha256."""
    from safetensors.numpy import save_file

    arrays = {k: np.ascontiguousarray(v) for k, v in tensors.items()}
    save_file(arrays, str(path))
    return sha256_file(path)


def read_tensors(path: Path, expected_sha256: str | None) -> dict[str, np.ndarray]:
    """Load arrays, refusing a file whose checksum differs from the one recorded beside it."""
    from safetensors.numpy import load_file

    if not path.is_file():
        raise ArtifactError(f"missing tensor file {path}")
    if expected_sha256 is None:
        raise ArtifactError(f"{path}: no checksum recorded for the tensors; refusing to load")
    actual = sha256_file(path)
    if actual != expected_sha256:
        raise ArtifactError(
            f"{path} is corrupt or was modified: sha256 {actual[:12]}… differs from the recorded {expected_sha256[:12]}…"
        )
    try:
        return load_file(str(path))
    except Exception as exc:  # safetensors raises its own error types
        raise ArtifactError(f"{path} is not a valid safetensors file: {exc}") from exc


def read_json(path: Path) -> dict[str, Any]:
    """Parse a JSON object file with errors that name it."""
    if not path.is_file():
        raise ArtifactError(f"missing artifact file {path}")
    try:
        data = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ArtifactError(f"{path} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ArtifactError(f"{path} must hold a JSON object")
    return data


def check_format_version(meta: dict[str, Any], path: Path) -> None:
    version = meta.get("format_version")
    if version != FORMAT_VERSION:
        raise ArtifactError(
            f"{path} has artifact format version {version!r}; this winroute reads version {FORMAT_VERSION}"
        )
