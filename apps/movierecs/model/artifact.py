"""The model artifact: export, atomic publishing into the model directory, and loading for serving.

Layout of ``model_dir``::

    versions/<version>/model.pt        TorchScript module (HistoryRecommender)
    versions/<version>/vocab.json      ["m50", "m100", ...]: output column j is item_ids[j]
    versions/<version>/metadata.json   version, created_at, data snapshot, metrics, hyper-parameters, checksums
    current -> versions/<version>      symlink, switched atomically
    .tmp-*                             a version being written (never read)

Serving code calls only :func:`load_model` and :func:`current_version_path`; the TorchScript format stays
behind them so it can be replaced (e.g. by ``torch.export``) without touching callers.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import uuid
import warnings
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import torch

from movierecs.model.network import HistoryRecommender
from movierecs.model.serving import Interaction, LoadedModel

__all__ = [
    "FORMAT_VERSION",
    "ArtifactError",
    "Interaction",
    "LoadedModel",
    "current_version_path",
    "list_versions",
    "load_model",
    "publish_model",
    "write_artifact",
]

FORMAT_VERSION = 1
MODEL_FILE = "model.pt"
VOCAB_FILE = "vocab.json"
METADATA_FILE = "metadata.json"
VERSIONS_DIR = "versions"
CURRENT_LINK = "current"
MIN_KEEP = 2
# TorchScript is deprecated upstream in favour of torch.export; the format is private to this module (see
# docs/model.md for the migration path), so its deprecation warnings are noise for every caller. One filter,
# installed at import: ``warnings.catch_warnings`` per call would not be thread-safe.
warnings.filterwarnings("ignore", message=r"`torch\.jit\.\w+` is deprecated", category=DeprecationWarning)
_REQUIRED_METADATA = ("format_version", "version", "created_at", "num_items", "max_history", "files")


class ArtifactError(RuntimeError):
    """The artifact is missing, corrupt or inconsistent; the message says which file and why."""


# --- writing ------------------------------------------------------------------------------------------------------


def new_version(now: datetime | None = None) -> str:
    """Sortable, unique version name: UTC time to the microsecond plus a random suffix."""
    now = now or datetime.now(UTC)
    return f"{now:%Y%m%dT%H%M%S%f}Z-{uuid.uuid4().hex[:6]}"


def write_artifact(
    directory: Path,
    model: HistoryRecommender,
    item_ids: Sequence[str],
    version: str,
    max_history: int,
    extra_metadata: Mapping[str, Any] | None = None,
) -> None:
    """Write model.pt, vocab.json and metadata.json into ``directory`` (created; should be new and private)."""
    if len(item_ids) != model.num_items:
        raise ValueError(f"vocabulary has {len(item_ids)} ids but the model scores {model.num_items} items")
    directory.mkdir(parents=True, exist_ok=False)
    model.eval()
    encoder_silent = model.mark_silent_encoder()
    try:
        torch.jit.save(torch.jit.script(model), str(directory / MODEL_FILE))
    finally:
        model.encoder_silent = False  # only the exported module takes the shortcut; the caller may train on
    _write_json(directory / VOCAB_FILE, list(item_ids))
    metadata = {
        **dict(extra_metadata or {}),
        "format_version": FORMAT_VERSION,
        "format": "torchscript",
        "version": version,
        "created_at": datetime.now(UTC).isoformat(),
        "model_class": type(model).__name__,
        "encoder_silent": encoder_silent,
        "num_items": len(item_ids),
        "embedding_dim": model.dim,
        "max_history": max_history,
        "torch_version": torch.__version__,
        "files": {name: _file_digest(directory / name) for name in (MODEL_FILE, VOCAB_FILE)},
    }
    _write_json(directory / METADATA_FILE, metadata)
    _fsync_dir(directory)


def publish_model(
    model_dir: Path,
    model: HistoryRecommender,
    item_ids: Sequence[str],
    max_history: int,
    extra_metadata: Mapping[str, Any] | None = None,
    keep: int = 5,
    version: str | None = None,
) -> Path:
    """Write, validate and atomically publish a new version; point ``current`` at it; prune old versions.

    A reader following ``current`` sees either the previous complete version or the new complete one: the
    version is written under a hidden temp dir in ``model_dir`` (same filesystem), loaded back with
    :func:`load_model`, renamed into ``versions/``, and only then the ``current`` symlink is replaced (a temp
    symlink renamed over it with ``os.replace``). Returns the published version directory.
    """
    version = version or new_version()
    model_dir = Path(model_dir)
    versions = model_dir / VERSIONS_DIR
    versions.mkdir(parents=True, exist_ok=True)
    staging = model_dir / f".tmp-{version}"
    try:
        write_artifact(staging, model, item_ids, version, max_history, extra_metadata)
        load_model(staging)  # never publish what the API could not load
        final = versions / version
        os.rename(staging, final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _fsync_dir(versions)
    switch_current(model_dir, version)
    prune_versions(model_dir, keep)
    return final


def switch_current(model_dir: Path, version: str) -> None:
    """Atomically point ``model_dir/current`` at ``versions/<version>`` (relative link, survives remounts)."""
    target = Path(VERSIONS_DIR) / version
    if not (model_dir / target / METADATA_FILE).is_file():
        raise ArtifactError(f"cannot switch to {version}: {model_dir / target} is not a published version")
    temp_link = model_dir / f".current-{uuid.uuid4().hex}"
    os.symlink(target, temp_link)
    os.replace(temp_link, model_dir / CURRENT_LINK)
    _fsync_dir(model_dir)


def list_versions(model_dir: Path) -> list[str]:
    """Published versions, oldest first."""
    versions = Path(model_dir) / VERSIONS_DIR
    if not versions.is_dir():
        return []
    return sorted(p.name for p in versions.iterdir() if p.is_dir() and not p.name.startswith("."))


def prune_versions(model_dir: Path, keep: int) -> list[str]:
    """Delete all but the newest ``max(keep, 2)`` versions, never the one ``current`` points to."""
    keep = max(keep, MIN_KEEP)
    current = current_version_path(model_dir)
    removable = list_versions(model_dir)[:-keep]
    removed = []
    for name in removable:
        if current is not None and current.name == name:
            continue
        shutil.rmtree(Path(model_dir) / VERSIONS_DIR / name, ignore_errors=True)
        removed.append(name)
    return removed


def current_version_path(model_dir: Path) -> Path | None:
    """The version directory ``current`` points to (absolute), or None when nothing is published yet.

    Resolve once and load from the returned path: later switches of ``current`` then cannot mix files of two
    versions. The hot-reload poller compares ``path.name`` with ``LoadedModel.version``.
    """
    link = Path(model_dir) / CURRENT_LINK
    try:
        target = os.readlink(link)
    except (FileNotFoundError, OSError):
        return None
    resolved = (link.parent / target).resolve()
    return resolved if resolved.is_dir() else None


# --- loading ------------------------------------------------------------------------------------------------------


def load_model(path: Path | str) -> LoadedModel:
    """Load and validate an artifact; raise :class:`ArtifactError` with a clear reason if it is unusable.

    ``path`` is a version directory, or a model directory (its ``current`` version is loaded). Checks: the three
    files exist; metadata has the required keys and a supported format; the vocabulary is a list of unique ids
    whose length matches the metadata; checksums match; the TorchScript module loads, its item table matches
    the vocabulary, and a test forward pass yields finite scores for every item.
    """
    directory = Path(path)
    if (directory / CURRENT_LINK).exists() or (directory / VERSIONS_DIR).is_dir():
        resolved = current_version_path(directory)
        if resolved is None:
            raise ArtifactError(f"no current model version in {directory}")
        directory = resolved
    if not directory.is_dir():
        raise ArtifactError(f"no model artifact at {directory}")
    metadata = _read_metadata(directory)
    item_ids = _read_vocab(directory, metadata)
    for name, expected in metadata["files"].items():
        file = directory / name
        if not file.is_file():
            raise ArtifactError(f"{file} is missing")
        if _file_digest(file)["sha256"] != expected.get("sha256"):
            raise ArtifactError(f"{file} does not match the checksum in {METADATA_FILE} (corrupt or replaced)")
    try:
        module = torch.jit.load(str(directory / MODEL_FILE), map_location="cpu")
        module.eval()
    except Exception as exc:
        raise ArtifactError(f"{directory / MODEL_FILE} is not a loadable TorchScript module: {exc}") from exc
    try:
        return LoadedModel.create(module, item_ids, metadata, directory)
    except ArtifactError:
        raise
    except Exception as exc:
        raise ArtifactError(f"test forward pass of {directory / MODEL_FILE} failed: {exc}") from exc


def _read_metadata(directory: Path) -> dict[str, Any]:
    metadata = _read_json(directory / METADATA_FILE)
    if not isinstance(metadata, dict):
        raise ArtifactError(f"{directory / METADATA_FILE} must hold a JSON object")
    missing = [key for key in _REQUIRED_METADATA if key not in metadata]
    if missing:
        raise ArtifactError(f"{directory / METADATA_FILE} lacks {', '.join(missing)}")
    if metadata["format_version"] != FORMAT_VERSION:
        raise ArtifactError(
            f"{directory / METADATA_FILE}: format_version {metadata['format_version']!r} is not supported "
            f"(this code reads {FORMAT_VERSION})"
        )
    if not directory.name.startswith(".tmp-") and metadata["version"] != directory.name:
        raise ArtifactError(
            f"{directory / METADATA_FILE} says version {metadata['version']!r} but the directory is {directory.name!r}"
        )
    if not isinstance(metadata["files"], dict) or set(metadata["files"]) != {MODEL_FILE, VOCAB_FILE}:
        raise ArtifactError(f"{directory / METADATA_FILE}: 'files' must list {MODEL_FILE} and {VOCAB_FILE}")
    return metadata


def _read_vocab(directory: Path, metadata: Mapping[str, Any]) -> list[str]:
    vocab = _read_json(directory / VOCAB_FILE)
    if not isinstance(vocab, list) or not all(isinstance(v, str) and v for v in vocab):
        raise ArtifactError(f"{directory / VOCAB_FILE} must be a JSON list of movie id strings")
    if len(set(vocab)) != len(vocab):
        raise ArtifactError(f"{directory / VOCAB_FILE} has duplicate movie ids")
    if len(vocab) != metadata["num_items"]:
        raise ArtifactError(
            f"{directory / VOCAB_FILE} has {len(vocab)} ids but {METADATA_FILE} says num_items={metadata['num_items']}"
        )
    return vocab


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ArtifactError(f"{path} is missing") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ArtifactError(f"{path} is not valid JSON: {exc}") from None


def _write_json(path: Path, value: Any) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(value, handle, indent=1, sort_keys=isinstance(value, dict), default=str)
        handle.flush()
        os.fsync(handle.fileno())


def _file_digest(path: Path) -> dict[str, Any]:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return {"sha256": digest.hexdigest(), "bytes": path.stat().st_size}


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
