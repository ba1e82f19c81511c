"""Safe on-disk format: safetensors for arrays, JSON for everything else, one manifest over both.

Never pickle: a router artifact can come from anyone, and loading must not run code. Loading
validates the whole artifact before use (issue 18, finding 6): every file is a regular file
(no symlink) under a size limit, checked *before* it is hashed or read; ``manifest.json``
records the sha256 of every file and is verified first; JSON is parsed without NaN/Infinity
and with a depth limit, then checked against a schema (:mod:`core.artifact_schema`);
every float tensor must be finite, and each predictor checks the shapes of its own.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from .artifact_schema import ManifestFile, validated
from .errors import ArtifactError

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
MAX_JSON_BYTES = 16 * 2**20
"""Largest JSON file of an artifact that is read (router.json, predictor.json, the manifest)."""
MAX_TENSOR_BYTES = 4 * 2**30
"""Largest safetensors file of an artifact that is hashed and read."""

logger = logging.getLogger(__name__)


def check_file(path: Path, max_bytes: int) -> int:
    """Size of ``path``, refusing a symlink, anything but a regular file, or a file over ``max_bytes``.

    Checked before a file is hashed or read: a symlink to a 16 GB sparse file must not be read whole.
    """
    for part in (path, path.parent):
        if part.is_symlink():
            raise ArtifactError(f"{part} is a symbolic link; artifact files must be regular files inside the artifact")
    if not path.exists():
        kind = "tensor file" if path.suffix == ".safetensors" else "artifact file"
        raise ArtifactError(f"missing {kind} {path}")
    if not path.is_file():
        raise ArtifactError(f"{path} is not a regular file")
    size = path.stat().st_size
    if size > max_bytes:
        raise ArtifactError(f"{path} is {size:,} bytes, over the {max_bytes:,}-byte limit for this kind of file")
    return size


def _limit(path: Path) -> int:
    return MAX_TENSOR_BYTES if path.suffix == ".safetensors" else MAX_JSON_BYTES


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
    """Load arrays, refusing a file whose checksum differs from the one recorded, or a non-finite array."""
    from safetensors.numpy import load_file

    check_file(path, MAX_TENSOR_BYTES)
    if expected_sha256 is None:
        raise ArtifactError(f"{path}: no checksum recorded for the tensors; refusing to load")
    actual = sha256_file(path)
    if actual != expected_sha256:
        raise ArtifactError(
            f"{path} is corrupt or was modified: sha256 {actual[:12]}… differs from the recorded {expected_sha256[:12]}…"
        )
    try:
        tensors = load_file(str(path))
    except Exception as exc:  # safetensors raises its own error types
        raise ArtifactError(f"{path} is not a valid safetensors file: {exc}") from exc
    for name, array in tensors.items():
        if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
            raise ArtifactError(f"{path}: tensor {name!r} holds NaN or infinite values")
    return tensors


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def read_json(path: Path) -> dict[str, Any]:
    """Parse a JSON object file with errors that name it (no NaN/Infinity, bounded size and depth)."""
    check_file(path, MAX_JSON_BYTES)
    try:
        data = json.loads(path.read_bytes().decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
        raise ArtifactError(f"{path} is not valid JSON: {exc}") from exc
    except RecursionError:
        raise ArtifactError(f"{path} is nested too deeply to be an artifact") from None
    if not isinstance(data, dict):
        raise ArtifactError(f"{path} must hold a JSON object")
    return data


def check_format_version(meta: dict[str, Any], path: Path) -> None:
    version = meta.get("format_version")
    if version != FORMAT_VERSION or isinstance(version, bool):
        raise ArtifactError(
            f"{path} has artifact format version {version!r}; this winroute reads version {FORMAT_VERSION}"
        )


# -- the manifest: one hash over every file ---------------------------------------------------
def _artifact_files(directory: Path) -> list[str]:
    """Every file under ``directory`` (relative POSIX paths, sorted), the manifest and documentation excepted.

    Documentation (``*.md``, e.g. a model card) is never read by a load, so editing it must not
    break the artifact.
    """
    files = []
    for path in sorted(directory.rglob("*")):
        rel = path.relative_to(directory).as_posix()
        if rel == MANIFEST or path.is_dir() or path.suffix.lower() == ".md":
            continue
        check_file(path, _limit(path))
        files.append(rel)
    return files


def router_files(directory: Path) -> list[str]:
    """The files a router load reads (each of which its manifest must list)."""
    files = ["router.json", "predictor/predictor.json", "predictor/predictor.safetensors"]
    files += ["router.safetensors"] if (directory / "router.safetensors").exists() else []
    embedder = directory / "embedder"  # an embedder that travels with the router (a static table)
    if embedder.is_dir():
        files += sorted(p.relative_to(directory).as_posix() for p in embedder.rglob("*") if p.is_file())
    return files


def manifest_digest(files: dict[str, str]) -> str:
    """The artifact's identity: sha256 over the sorted ``path sha256`` lines of its manifest."""
    lines = "".join(f"{rel} {files[rel]}\n" for rel in sorted(files))
    return hashlib.sha256(lines.encode("utf-8")).hexdigest()


def write_manifest(directory: Path) -> str:
    """Record the sha256 of every file of the artifact in ``manifest.json``; returns the artifact digest."""
    files = {rel: sha256_file(directory / rel) for rel in _artifact_files(directory)}
    digest = manifest_digest(files)
    manifest = {"format_version": FORMAT_VERSION, "files": files, "sha256": digest}
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=2, sort_keys=True))
    return digest


def verify_manifest(directory: Path, required: Iterable[str], *, expected_sha256: str | None = None) -> str | None:
    """Check every file the manifest lists (and that it lists every file the loader will read).

    Returns the artifact digest, or None for an artifact saved before manifests (only its
    tensor checksums are checked then; ``expected_sha256`` needs a manifest).
    """
    path = directory / MANIFEST
    if not path.exists() and not path.is_symlink():
        if expected_sha256 is not None:
            raise ArtifactError(f"{directory} has no {MANIFEST}, so it cannot match sha256 {expected_sha256}")
        logger.info("%s has no %s: only its tensor checksums are verified", directory, MANIFEST)
        return None
    manifest = validated(ManifestFile, read_json(path), path)
    digest = manifest_digest(manifest.files)
    if digest != manifest.sha256:
        raise ArtifactError(f"{path}: its sha256 field does not match the files it lists")
    if expected_sha256 is not None and digest != expected_sha256:
        raise ArtifactError(f"{directory} is artifact {digest}, not the expected {expected_sha256}")
    missing = [rel for rel in required if rel not in manifest.files]
    if missing:
        raise ArtifactError(f"{path} does not list {', '.join(missing)}, which the loader reads")
    for rel, expected in sorted(manifest.files.items()):
        file = directory / rel
        if ".." in Path(rel).parts or Path(rel).is_absolute():
            raise ArtifactError(f"{path} lists {rel!r}, which is outside the artifact")
        check_file(file, _limit(file))
        if sha256_file(file) != expected:
            raise ArtifactError(f"{file} is corrupt or was modified: its sha256 differs from {path}'s")
    return digest
