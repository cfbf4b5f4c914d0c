"""Training the history encoder: denoising set completion + next-events, full softmax, early stopping.

Each epoch every training user yields ``samples_per_user`` examples, each one of two kinds:

* **set completion** — a random subset of the history is the input, the rest is the target (what the
  random-split protocol and "more like what I rated" need);
* **next events** — a random prefix (in time order) is the input, the next ``target_window`` movies the target
  (what the leave-last-out protocol and live sessions need).

The loss is the multinomial log-likelihood of the targets under a softmax over the whole catalogue, with the
input movies masked out (they are excluded at ranking time too). Validation: a held-out part of the histories of
``val_fraction`` of the users (never trained on); the best epoch by nDCG@10 is kept; training stops after
``patience`` epochs without improvement or when the time budget is spent. Same seed, same data, same thread
count -> the same weights.
"""

from __future__ import annotations

import copy
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
import torch
from tqdm.auto import tqdm

from movierecs.model.histories import History, build_histories, build_vocab, pad_left
from movierecs.model.item_item import fit_item_item, item_gram
from movierecs.model.metrics import ranking_metrics
from movierecs.model.network import HistoryRecommender

logger = logging.getLogger(__name__)
MASKED = -1e9


@dataclass(frozen=True)
class TrainConfig:
    dim: int = 64
    heads: int = 4
    hidden: int = 256
    dropout: float = 0.2
    lr: float = 2e-3
    weight_decay: float = 0.0
    batch_size: int = 128
    max_epochs: int = 40
    patience: int = 6
    # An epoch is a new best only if validation nDCG@10 rises by more than this (validation is noisy).
    min_improvement: float = 0.002
    samples_per_user: int = 1
    temporal_prob: float = 0.5
    keep_min: float = 0.2
    keep_max: float = 0.9
    target_window: int = 5
    # Set completion predicts every movie of the history (Mult-DAE style) instead of only the dropped ones.
    target_all: bool = False
    # Closed-form item-item part (EASE) over the most popular movies; L2 strength chosen on validation.
    item_item_max: int = 4000
    item_item_lambdas: tuple[float, ...] = (100.0, 200.0, 400.0, 800.0, 1600.0)
    item_item_lr: float = 0.02
    # Cross-fitting: a training user's item-item scores come from a block fitted without that user's fold, so
    # the encoder learns to correct out-of-sample item-item scores (as at serving), not in-sample ones.
    cross_fit_folds: int = 2
    max_len: int = 200
    val_fraction: float = 0.25
    val_holdout: Literal["random", "last"] = "last"
    seed: int = 42
    threads: int = 2
    time_budget_s: float = 55.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class TrainResult:
    model: HistoryRecommender
    vocab: list[str]
    config: TrainConfig
    best_epoch: int
    best_val_ndcg: float
    epochs_run: int
    seconds: float
    stopped_by: str
    num_interactions: int
    num_users: int
    curve: list[dict[str, Any]] = field(default_factory=list)
    item_item_lambda: float | None = None
    best_stage: str = "closed_form"  # closed_form (epoch 0) | weighting | encoder


@dataclass(frozen=True)
class _Split:
    train: list[History]
    val_inputs: list[tuple[np.ndarray, np.ndarray]]
    val_targets: list[set[int]]


def train_model(
    interactions: pd.DataFrame,
    config: TrainConfig | None = None,
    progress: bool = True,
    on_epoch: Callable[[dict[str, float]], None] | None = None,
) -> TrainResult:
    """Train on an interaction frame (``user_id, movie_id, rating, timestamp``); returns the best model."""
    config = config or TrainConfig()
    started = time.perf_counter()
    torch.set_num_threads(max(1, config.threads))
    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)

    vocab = build_vocab(interactions)
    if len(vocab) < 2:
        raise ValueError("training needs interactions with at least two distinct movies")
    histories = build_histories(interactions, vocab)
    split = _split_validation(histories, config, rng)
    if not split.train:
        raise ValueError("no user has enough interactions to train on")

    model = HistoryRecommender(len(vocab), dim=config.dim, heads=config.heads, hidden=config.hidden,
                               dropout=config.dropout, item_item_size=min(len(vocab), config.item_item_max))
    item_item_lambda = _fit_item_item(model, split, config)
    folds, fold_blocks = _cross_fit(model, split, config, item_item_lambda, rng)
    tracker = _Tracker(best_state=copy.deepcopy(model.state_dict()),
                       best_val=_validate(model, split, config) if split.val_inputs else -1.0)
    tracker.curve.append({"epoch": 0, "stage": "closed_form", "loss": float("nan"),
                          "val_ndcg_at_10": tracker.best_val})
    bar = tqdm(total=config.max_epochs, desc="train", unit="epoch", disable=not progress)
    stopped_by = "max_epochs"
    for stage in ("weighting", "encoder"):
        model.load_state_dict(tracker.best_state)
        optimizer = _optimizer(model, config, encoder=stage == "encoder")
        stale = 0
        while tracker.epochs < config.max_epochs:
            tracker.epochs += 1
            loss = _run_epoch(model, optimizer, split.train, len(vocab), config, rng, folds, fold_blocks)
            val = _validate(model, split, config) if split.val_inputs else -loss
            tracker.curve.append({"epoch": tracker.epochs, "stage": stage, "loss": loss, "val_ndcg_at_10": val})
            bar.update(1)
            bar.set_postfix(stage=stage, loss=f"{loss:.3f}", val_ndcg=f"{val:.4f}")
            if on_epoch is not None:
                on_epoch(tracker.curve[-1])
            if val > tracker.best_val + config.min_improvement:
                tracker.improve(model, val, stage)
                stale = 0
            else:
                stale += 1
            if time.perf_counter() - started > config.time_budget_s:
                stopped_by = "time_budget"
                break
            if stale >= config.patience:
                stopped_by = "early_stopping"
                break
        if stopped_by == "time_budget":
            break
    bar.close()
    model.load_state_dict(tracker.best_state)
    if item_item_lambda is not None:
        # λ was chosen on validation; the final item-item block also learns from the held-out interactions.
        block = _item_item_block(model)
        block.copy_(fit_item_item(item_gram(histories, block.shape[0]), item_item_lambda))
    model.eval()
    seconds = time.perf_counter() - started
    logger.info("trained", extra={"best_epoch": tracker.best_epoch, "best_stage": tracker.best_stage,
                                  "val_ndcg_at_10": tracker.best_val, "seconds": seconds})
    return TrainResult(
        model=model, vocab=vocab, config=config, best_epoch=tracker.best_epoch, best_val_ndcg=tracker.best_val,
        epochs_run=tracker.epochs, seconds=seconds, stopped_by=stopped_by, num_interactions=len(interactions),
        num_users=len(histories), curve=tracker.curve, item_item_lambda=item_item_lambda,
        best_stage=tracker.best_stage,
    )


@dataclass
class _Tracker:
    """The best state so far across both stages (a stage must beat the previous best to count)."""

    best_state: dict[str, torch.Tensor]
    best_val: float
    best_epoch: int = 0
    best_stage: str = "closed_form"
    epochs: int = 0
    curve: list[dict[str, Any]] = field(default_factory=list)

    def improve(self, model: HistoryRecommender, val: float, stage: str) -> None:
        self.best_state = copy.deepcopy(model.state_dict())
        self.best_val, self.best_epoch, self.best_stage = val, self.epochs, stage


def learned_weighting(model: HistoryRecommender) -> dict[str, Any]:
    """The learned history weighting of the item-item part, as multipliers (1.0 = untrained)."""
    return {
        "scale": round(float(model.item_item_scale.detach()), 4),
        "recency_multiplier_by_bucket": [round(float(v), 3) for v in model.item_item_recency.detach().exp()],
        "rated_multiplier": round(float(model.item_item_rating[0].detach().exp()), 3),
        "per_star_log_weight": round(float(model.item_item_rating[1].detach()) / 2.0, 4),
    }


def _item_item_block(model: HistoryRecommender) -> torch.Tensor:
    block = model.item_item
    assert isinstance(block, torch.Tensor)
    return block


def _optimizer(model: HistoryRecommender, config: TrainConfig, encoder: bool) -> torch.optim.Optimizer:
    """AdamW over the scalars weighting the item-item part (scale, recency, rating; ``item_item_lr``) and, in the
    encoder stage, the encoder (``lr``)."""
    scalars = [p for n, p in model.named_parameters() if n.startswith("item_item_")]
    others = [p for n, p in model.named_parameters() if not n.startswith("item_item_")]
    groups: list[dict[str, Any]] = [{"params": scalars, "lr": config.item_item_lr, "weight_decay": 0.0}]
    if encoder:
        groups.append({"params": others})
    return torch.optim.AdamW(
        groups,
        lr=config.lr, weight_decay=config.weight_decay,
    )


def _fit_item_item(model: HistoryRecommender, split: _Split, config: TrainConfig) -> float | None:
    """Fit the item-item block for each candidate λ and keep the best on validation (the first if none)."""
    size = _item_item_block(model).shape[0]
    if size == 0 or not config.item_item_lambdas:
        return None
    gram = item_gram(split.train, size)
    best_l2, best_val, best_weights = None, -1.0, None
    for l2 in config.item_item_lambdas:
        weights = fit_item_item(gram, l2)
        _item_item_block(model).copy_(weights)
        val = _validate(model, split, config) if split.val_inputs else 0.0
        if best_weights is None or val > best_val:
            best_l2, best_val, best_weights = l2, val, weights
    if best_weights is not None:
        _item_item_block(model).copy_(best_weights)
    return best_l2


def _cross_fit(
    model: HistoryRecommender, split: _Split, config: TrainConfig, l2: float | None, rng: np.random.Generator
) -> tuple[np.ndarray, list[torch.Tensor]]:
    """Fold of each training history and, per fold, the item-item block fitted on the other folds only.

    The last entry of the returned list is the block fitted on all training histories (used for validation)."""
    folds = rng.permutation(len(split.train)) % max(1, config.cross_fit_folds)
    full = _item_item_block(model).clone()
    if l2 is None or config.cross_fit_folds < 2:
        return np.zeros(len(split.train), dtype=np.int64), [full, full]
    size = full.shape[0]
    grams = [item_gram([h for h, f in zip(split.train, folds, strict=True) if f == k], size)
             for k in range(config.cross_fit_folds)]
    total = sum(grams, torch.zeros(size, size, dtype=torch.float64))
    return folds, [fit_item_item(total - gram, l2) for gram in grams] + [full]


def _split_validation(histories: list[History], config: TrainConfig, rng: np.random.Generator) -> _Split:
    eligible = [i for i, h in enumerate(histories) if len(h) >= 5]
    # Leave-last-out validation holds out every eligible user's newest interaction (one item per user is a
    # noisy signal, so all users contribute); random validation holds out 20% of val_fraction of the users.
    fraction = 1.0 if config.val_holdout == "last" else config.val_fraction
    n_val = round(len(eligible) * fraction)
    val_users = set(rng.choice(eligible, size=n_val, replace=False).tolist()) if n_val else set()
    train: list[History] = []
    val_inputs: list[tuple[np.ndarray, np.ndarray]] = []
    val_targets: list[set[int]] = []
    for i, history in enumerate(histories):
        if i not in val_users:
            if len(history) >= 2:
                train.append(history)
            continue
        n = len(history)
        if config.val_holdout == "last":
            held = np.zeros(n, dtype=bool)
            held[-1] = True
        else:
            held = np.zeros(n, dtype=bool)
            held[rng.choice(n, size=max(1, round(0.2 * n)), replace=False)] = True
        kept = History(history.user_id, history.items[~held], history.ratings[~held])
        train.append(kept)
        val_inputs.append((kept.items, kept.ratings))
        val_targets.append(set((history.items[held] - 1).tolist()))
    return _Split(train=train, val_inputs=val_inputs, val_targets=val_targets)


def _sample(history: History, config: TrainConfig, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray,
                                                                                    np.ndarray]:
    """One (input items, input ratings, target items) example from a history of >= 2 movies."""
    n = len(history)
    if rng.random() < config.temporal_prob:
        cut = int(rng.integers(1, n))
        return history.items[:cut], history.ratings[:cut], history.items[cut:cut + config.target_window]
    keep = rng.random(n) < rng.uniform(config.keep_min, config.keep_max)
    if keep.all():
        keep[rng.integers(n)] = False
    target = history.items if config.target_all else history.items[~keep]
    return history.items[keep], history.ratings[keep], target


def _run_epoch(
    model: HistoryRecommender,
    optimizer: torch.optim.Optimizer,
    train: list[History],
    num_items: int,
    config: TrainConfig,
    rng: np.random.Generator,
    folds: np.ndarray,
    fold_blocks: list[torch.Tensor],
) -> float:
    model.train()
    block = _item_item_block(model)
    order = np.concatenate([rng.permutation(len(train)) for _ in range(config.samples_per_user)])
    all_samples = [_sample(train[i], config, rng) for i in order]
    sample_folds = folds[order]
    # Batches of one fold and similar input length (little padding), visited in random order.
    batches_idx = []
    for fold in np.unique(sample_folds):
        members = np.flatnonzero(sample_folds == fold)
        by_length = members[np.argsort([min(len(all_samples[i][0]), config.max_len) for i in members],
                                        kind="stable")]
        batches_idx += [by_length[i:i + config.batch_size] for i in range(0, len(by_length), config.batch_size)]
    total, batches = 0.0, 0
    for b in rng.permutation(len(batches_idx)):
        block.copy_(fold_blocks[int(sample_folds[batches_idx[b][0]])])
        samples = [all_samples[i] for i in batches_idx[b]]
        items, ratings = pad_left([(s[0], s[1]) for s in samples], config.max_len)
        targets = np.zeros((len(samples), num_items), dtype=np.float32)
        for row, (_, _, target) in enumerate(samples):
            targets[row, target - 1] = 1.0
        items_t = torch.from_numpy(items)
        logits = model(items_t, torch.from_numpy(ratings))
        targets_t = torch.from_numpy(targets)
        logits = logits.masked_fill(_seen_mask(items_t, num_items) & (targets_t == 0), MASKED)
        loss = -(torch.log_softmax(logits, dim=1) * targets_t).sum(1).div(targets_t.sum(1)).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += float(loss.detach())
        batches += 1
    block.copy_(fold_blocks[-1])
    return total / max(1, batches)


def _seen_mask(items: torch.Tensor, num_items: int) -> torch.Tensor:
    seen = torch.zeros(items.shape[0], num_items + 1, dtype=torch.bool)
    seen.scatter_(1, items, True)
    return seen[:, 1:]


def _validate(model: HistoryRecommender, split: _Split, config: TrainConfig) -> float:
    top = rank_top_k(model, split.val_inputs, k=10, max_len=config.max_len)
    return ranking_metrics([row.tolist() for row in top], split.val_targets, k=10)["ndcg_at_k"]


@torch.inference_mode()
def rank_top_k(
    model: torch.nn.Module,
    inputs: list[tuple[np.ndarray, np.ndarray]],
    k: int,
    max_len: int = 200,
    batch_size: int = 256,
    exclude: list[np.ndarray] | None = None,
) -> np.ndarray:
    """Top-k vocabulary columns (0-based) per input history, its own movies (and ``exclude``) removed."""
    was_training = model.training
    model.eval()
    out = []
    for start in range(0, len(inputs), batch_size):
        chunk = inputs[start:start + batch_size]
        items, ratings = pad_left(chunk, max_len)
        scores = model(torch.from_numpy(items), torch.from_numpy(ratings))
        num_items = scores.shape[1]
        # Every input movie is excluded, including those older than max_len.
        for row, (hist_items, _) in enumerate(chunk):
            scores[row, torch.from_numpy(hist_items - 1)] = MASKED
            if exclude is not None and len(exclude[start + row]):
                scores[row, torch.from_numpy(exclude[start + row])] = MASKED
        out.append(torch.topk(scores, min(k, num_items), dim=1).indices.numpy())
    model.train(was_training)
    return np.concatenate(out) if out else np.zeros((0, k), dtype=np.int64)

