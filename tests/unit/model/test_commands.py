"""`movierecs evaluate` and `movierecs train --source movielens` end to end on a tiny ml-100k-layout dataset."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from movierecs.cli import main
from movierecs.model.artifact import load_model
from movierecs.model.settings import trainer_settings
from tests.unit.model.synthetic import synthetic_interactions

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.:DeprecationWarning")


@pytest.fixture
def tiny_movielens(tmp_path: Path, monkeypatch) -> Path:
    directory = tmp_path / "ml-tiny"
    directory.mkdir()
    frame = synthetic_interactions(users=60, per_user=10)
    lines = [f"{u[1:]}\t{m[1:]}\t{4 if math.isnan(r) else int(r)}\t{t}"
             for u, m, r, t in frame.itertuples(index=False)]
    (directory / "u.data").write_text("\n".join(lines) + "\n")
    monkeypatch.setenv("MOVIERECS_TORCH_THREADS", "1")
    trainer_settings.cache_clear()
    yield directory
    trainer_settings.cache_clear()


def test_evaluate_prints_the_table_and_writes_json_and_png(tiny_movielens, tmp_path, capsys):
    out = tmp_path / "reports"
    assert main(["evaluate", "--path", str(tiny_movielens), "--out-dir", str(out), "--max-epochs", "1",
                 "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "BiVAE (published)" in printed and "0.4751" in printed and "popularity (this run)" in printed
    report = json.loads((out / "model-evaluation.json").read_text())
    names = [p["name"] for p in report["protocols"]]
    assert names == ["recommenders_stratified_75_25", "temporal_leave_last_out"]
    for protocol in report["protocols"]:
        assert {"map", "ndcg_at_k", "precision_at_k", "recall_at_k", "hit_rate_at_k"} <= set(protocol["model"])
        assert protocol["users"] == 60
    assert (out / "model-evaluation.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_train_from_a_movielens_path_publishes(tiny_movielens, tmp_path, capsys):
    model_dir = tmp_path / "models"
    assert main(["train", "--source", "movielens", "--path", str(tiny_movielens), "--model-dir", str(model_dir),
                 "--max-epochs", "1", "--no-progress"]) == 0
    model = load_model(model_dir)
    assert model.metadata["data"]["source"] == "movielens" and model.metadata["data"]["interactions"] == 600
    assert f"published {model.version}" in capsys.readouterr().out


@pytest.mark.parametrize("command", [["train", "--source", "movielens"], ["evaluate"], ["load-movielens"]])
def test_a_missing_dataset_is_a_clear_error(tmp_path, capsys, command):
    assert main([*command, "--path", str(tmp_path / "nope"), "--no-progress"]) == 2
    assert "not a directory" in capsys.readouterr().err
