"""Publishing and loading artifacts: atomic switch, pruning, and clear rejection of broken artifacts."""

from __future__ import annotations

import json
import shutil
import threading
from pathlib import Path

import pytest

from movierecs.model import artifact
from movierecs.model.artifact import (
    ArtifactError,
    current_version_path,
    list_versions,
    load_model,
    publish_model,
    switch_current,
)
from movierecs.model.training import TrainResult, train_model
from tests.unit.model.synthetic import synthetic_interactions, tiny_config

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.:DeprecationWarning")


@pytest.fixture(scope="module")
def trained() -> TrainResult:
    return train_model(synthetic_interactions(), tiny_config(max_epochs=1), progress=False)


def _publish(model_dir: Path, trained: TrainResult, **kwargs) -> Path:
    return publish_model(model_dir, trained.model, trained.vocab, max_history=200,
                         extra_metadata={"metrics": {"val_ndcg_at_10": 0.5}}, **kwargs)


def _copy_version(model_dir: Path, source: Path, name: str) -> Path:
    target = model_dir / "versions" / name
    shutil.copytree(source, target)
    meta = json.loads((target / "metadata.json").read_text())
    meta["version"] = name
    (target / "metadata.json").write_text(json.dumps(meta))
    return target


def _rewrite_checksums(version: Path) -> None:
    meta = json.loads((version / "metadata.json").read_text())
    meta["files"] = {name: artifact._file_digest(version / name) for name in ("model.pt", "vocab.json")}
    (version / "metadata.json").write_text(json.dumps(meta))


def test_publish_then_load(tmp_path, trained):
    path = _publish(tmp_path, trained)
    assert current_version_path(tmp_path) == path.resolve()
    assert sorted(p.name for p in path.iterdir()) == ["metadata.json", "model.pt", "vocab.json"]
    model = load_model(tmp_path)
    assert model.version == path.name and model.item_ids == trained.vocab
    assert model.metadata["metrics"] == {"val_ndcg_at_10": 0.5}
    assert model.metadata["num_items"] == len(trained.vocab) and "created_at" in model.metadata
    assert load_model(path).version == model.version  # a version directory works too
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temp leftovers


def test_no_model_yet(tmp_path):
    assert current_version_path(tmp_path) is None
    with pytest.raises(ArtifactError, match="no model artifact"):
        load_model(tmp_path / "nothing")


@pytest.mark.parametrize(
    ("breakage", "message"),
    [
        ("garbage_model", "checksum"),
        ("garbage_model_rehashed", "not a loadable TorchScript"),
        ("vocab_shorter", "num_items"),
        ("vocab_mismatch_rehashed", "item table"),
        ("vocab_duplicates", "duplicate"),
        ("metadata_not_json", "not valid JSON"),
        ("metadata_missing_key", "lacks"),
        ("metadata_future_format", "format_version"),
        ("metadata_wrong_version", "directory is"),
        ("missing_vocab", "vocab.json is missing"),
    ],
)
def test_corrupt_or_mismatched_artifacts_are_rejected(tmp_path, trained, breakage, message):
    good = _publish(tmp_path, trained)
    bad = _copy_version(tmp_path, good, "99990101T000000000000Z-bad")
    meta = json.loads((bad / "metadata.json").read_text())
    vocab = json.loads((bad / "vocab.json").read_text())
    if breakage.startswith("garbage_model"):
        (bad / "model.pt").write_bytes(b"definitely not a zip archive")
    elif breakage == "vocab_shorter":
        (bad / "vocab.json").write_text(json.dumps(vocab[:-1]))
    elif breakage == "vocab_mismatch_rehashed":
        (bad / "vocab.json").write_text(json.dumps([*vocab, "m999999"]))
        meta["num_items"] = len(vocab) + 1
        (bad / "metadata.json").write_text(json.dumps(meta))
    elif breakage == "vocab_duplicates":
        (bad / "vocab.json").write_text(json.dumps([vocab[0], *vocab[:-1]]))
    elif breakage == "metadata_not_json":
        (bad / "metadata.json").write_text("{not json")
    elif breakage == "metadata_missing_key":
        del meta["num_items"]
        (bad / "metadata.json").write_text(json.dumps(meta))
    elif breakage == "metadata_future_format":
        meta["format_version"] = 99
        (bad / "metadata.json").write_text(json.dumps(meta))
    elif breakage == "metadata_wrong_version":
        meta["version"] = good.name
        (bad / "metadata.json").write_text(json.dumps(meta))
    elif breakage == "missing_vocab":
        (bad / "vocab.json").unlink()
    if breakage.endswith("_rehashed"):
        _rewrite_checksums(bad)
    with pytest.raises(ArtifactError, match=message):
        load_model(bad)
    # Pointing `current` at it is possible (an operator's mistake); loading through the model dir fails clearly.
    switch_current(tmp_path, bad.name)
    with pytest.raises(ArtifactError):
        load_model(tmp_path)


def test_keeps_last_n_and_never_deletes_current(tmp_path, trained):
    published = [_publish(tmp_path, trained, keep=2).name for _ in range(4)]
    assert list_versions(tmp_path) == published[-2:]
    assert current_version_path(tmp_path).name == published[-1]
    # Rolled back to the older kept version, then a newer version appears: pruning keeps `current`.
    switch_current(tmp_path, published[-2])
    newer = _copy_version(tmp_path, tmp_path / "versions" / published[-1], "99990101T000000000000Z-newer").name
    assert artifact.prune_versions(tmp_path, keep=2) == []
    assert list_versions(tmp_path) == [published[-2], published[-1], newer]
    switch_current(tmp_path, newer)
    assert artifact.prune_versions(tmp_path, keep=2) == [published[-2]]


def test_a_failed_publish_leaves_current_and_no_temp_dir(tmp_path, trained, monkeypatch):
    good = _publish(tmp_path, trained)

    def broken_load(path):
        raise ArtifactError("simulated validation failure")

    monkeypatch.setattr(artifact, "load_model", broken_load)
    with pytest.raises(ArtifactError, match="simulated"):
        _publish(tmp_path, trained)
    assert current_version_path(tmp_path) == good.resolve()
    assert list_versions(tmp_path) == [good.name]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_current_is_switched_only_after_the_version_is_complete(tmp_path, trained, monkeypatch):
    first = _publish(tmp_path, trained)
    seen_during_write: list[Path | None] = []
    real_write = artifact.write_artifact

    def observing_write(directory, *args, **kwargs):
        real_write(directory, *args, **kwargs)
        seen_during_write.append(current_version_path(tmp_path))  # staged, complete, not yet visible
        assert directory.name.startswith(".tmp-") and directory.parent == tmp_path

    monkeypatch.setattr(artifact, "write_artifact", observing_write)
    second = _publish(tmp_path, trained)
    assert seen_during_write == [first.resolve()]
    assert current_version_path(tmp_path) == second.resolve()


def test_a_reader_never_sees_a_half_published_version(tmp_path, trained):
    _publish(tmp_path, trained, keep=5)
    errors: list[str] = []
    loaded: set[str] = set()
    stop = threading.Event()

    def reader() -> None:
        while not stop.is_set():
            try:
                loaded.add(load_model(tmp_path).version)
            except Exception as exc:  # any failure is a torn read
                errors.append(repr(exc))

    threads = [threading.Thread(target=reader) for _ in range(2)]
    for thread in threads:
        thread.start()
    try:
        published = {_publish(tmp_path, trained, keep=5).name for _ in range(4)}
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert errors == []
    assert loaded and loaded <= published | set(list_versions(tmp_path))


def test_recommend_and_similar_semantics(tmp_path, trained):
    _publish(tmp_path, trained)
    model = load_model(tmp_path)
    a, b, c = model.item_ids[:3]
    history = [(a, "rate", 5.0, None), ("m_unknown", "view", None, None), (b, "view", None, None)]
    picks = model.recommend(history, k=5, exclude={c})
    assert len(picks) == 5 and {a, b, c}.isdisjoint(m for m, _ in picks)
    assert [s for _, s in picks] == sorted((s for _, s in picks), reverse=True)
    assert len(model.recommend([], k=3)) == 3  # a new user with no history still gets a ranking
    everything = model.recommend(history, k=10_000)
    assert len(everything) == model.num_items - 2  # all but the two known seen movies
    assert model.recommend(history, k=0) == []
    similar = model.similar(a, k=4)
    assert len(similar) == 4 and a not in dict(similar)
    with pytest.raises(KeyError):
        model.similar("m_unknown")
    assert a in model and "m_unknown" not in model


def test_concurrent_readers_get_the_same_answers(tmp_path, trained):
    _publish(tmp_path, trained)
    model = load_model(tmp_path)
    histories = [[(m, "rate", 4.0, None) for m in model.item_ids[i:i + 3]] for i in range(8)]
    expected = [model.recommend(h, 5) for h in histories]
    results: dict[int, list] = {}

    def work(worker: int) -> None:
        for _ in range(20):
            for i, h in enumerate(histories):
                assert model.recommend(h, 5) == expected[i]
        results[worker] = expected

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(results) == 4
