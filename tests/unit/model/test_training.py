"""Training: TorchScript export scores exactly like the eager model; same seed -> same model; it learns."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from movierecs.model.artifact import load_model, publish_model
from movierecs.model.histories import pad_left
from movierecs.model.training import train_model
from tests.unit.model.synthetic import CLUSTER_A, synthetic_interactions, tiny_config

pytestmark = pytest.mark.filterwarnings("ignore:`torch.jit.:DeprecationWarning")


def _batch(vocab_size: int) -> tuple[torch.Tensor, torch.Tensor]:
    rows = [
        (np.array([1, 2, 3]), np.array([4.0, 0.0, 5.0], dtype=np.float32)),
        (np.array([vocab_size]), np.array([0.0], dtype=np.float32)),
        (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)),
    ]
    items, ratings = pad_left(rows, max_len=200)
    return torch.from_numpy(items), torch.from_numpy(ratings)


def test_torchscript_file_scores_equal_the_eager_model(tmp_path):
    result = train_model(synthetic_interactions(), tiny_config(), progress=False)
    path = publish_model(tmp_path, result.model, result.vocab, max_history=200)
    scripted = torch.jit.load(str(path / "model.pt"))
    items, ratings = _batch(len(result.vocab))
    with torch.no_grad():
        eager = result.model(items, ratings)
        exported = scripted(items, ratings)
    assert exported.shape == (3, len(result.vocab))
    torch.testing.assert_close(exported, eager, rtol=0, atol=0)
    # ... and the serving path gives the same ranking as the eager scores.
    loaded = load_model(tmp_path)
    history = [(result.vocab[0], "rate", 4.0, None), (result.vocab[1], "view", None, None),
               (result.vocab[2], "rate", 5.0, None)]
    expected = [result.vocab[j] for j in torch.topk(eager[0].index_fill(0, torch.tensor([0, 1, 2]),
                                                                         float("-inf")), 5).indices]
    assert [movie for movie, _ in loaded.recommend(history, 5)] == expected


def test_serving_shortcuts_score_like_the_full_computation():
    model = train_model(synthetic_interactions(), tiny_config(), progress=False).model.eval()
    items, ratings = _batch(model.num_items)
    model.encoder_silent = False
    assert model.item_item.shape[0] > 0
    with torch.no_grad():
        full = model(items, ratings)
        # One history at a time takes the gathered item-item path; a batch the dense product.
        singles = torch.cat([model(items[i:i + 1], ratings[i:i + 1]) for i in range(items.shape[0])])
        torch.testing.assert_close(singles, full, rtol=1e-5, atol=1e-5)
        # A silent encoder (last layer zero) is skipped, exactly.
        model.mlp[-1].weight.zero_()
        model.mlp[-1].bias.zero_()
        reference = model(items, ratings)
        assert model.mark_silent_encoder()
        torch.testing.assert_close(model(items, ratings), reference, rtol=0, atol=0)


def test_same_seed_same_model_other_seed_other_model():
    data = synthetic_interactions()
    first = train_model(data, tiny_config(seed=3), progress=False)
    second = train_model(data, tiny_config(seed=3), progress=False)
    other = train_model(data, tiny_config(seed=4), progress=False)
    assert first.vocab == second.vocab
    for name, tensor in first.model.state_dict().items():
        assert torch.equal(tensor, second.model.state_dict()[name]), name
    assert any(not torch.equal(t, other.model.state_dict()[n]) for n, t in first.model.state_dict().items())


def test_it_learns_the_clusters_and_reacts_to_the_newest_events(tmp_path):
    result = train_model(synthetic_interactions(users=80), tiny_config(max_epochs=5), progress=False)
    publish_model(tmp_path, result.model, result.vocab, max_history=200)
    model = load_model(tmp_path)
    # A brand-new user with two events gets movies of their cluster.
    picks = [m for m, _ in model.recommend([("m1", "rate", 5.0, None), ("m2", "view", None, None)], 5)]
    assert set(picks) <= set(CLUSTER_A), picks
    assert {"m1", "m2"}.isdisjoint(picks)


def test_progress_curve_and_early_stopping_bookkeeping():
    result = train_model(synthetic_interactions(), tiny_config(max_epochs=4, patience=1), progress=False)
    assert result.curve[0]["epoch"] == 0 and len(result.curve) == result.epochs_run + 1
    assert result.stopped_by in {"early_stopping", "max_epochs", "time_budget"}
    assert 0 <= result.best_epoch <= result.epochs_run
    assert result.item_item_lambda in (10.0, 50.0)


def test_stages_in_order_and_an_unhelpful_encoder_stays_silent():
    result = train_model(synthetic_interactions(), tiny_config(max_epochs=6, patience=2), progress=False)
    stages = [point["stage"] for point in result.curve]
    assert stages[0] == "closed_form" and stages == sorted(stages, key=["closed_form", "weighting", "encoder"].index)
    assert result.best_stage in {"closed_form", "weighting", "encoder"}
    if result.best_stage != "encoder":  # the encoder's last layer starts at zero: it contributes nothing
        last = result.model.mlp[-1]
        assert torch.count_nonzero(last.weight) == 0 and torch.count_nonzero(last.bias) == 0
