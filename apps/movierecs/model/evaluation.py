"""Offline evaluation on MovieLens: two protocols, the model against a popularity baseline.

(a) **Microsoft Recommenders ML-100K protocol** — ``python_stratified_split(ratio=0.75, seed=42)`` re-implemented
    exactly (``np.random.seed(42)``, one uniform draw per rating in file order, per-user rank by that draw, the
    first 75 % of each user's ratings are train); each user's train ratings are the model's input; the top 10
    among catalogue movies the user has not rated in train; MAP, nDCG@10, Precision@10, Recall@10 as defined
    in :mod:`movierecs.model.metrics`.
(b) **Temporal leave-last-out** — each user's last interaction (by timestamp, file order breaking ties) is the
    test item, all earlier ones the input; HR@10 and nDCG@10 over the full catalogue minus the user's history.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from movierecs.contract import PROFILE_RECENT_LIMIT
from movierecs.model.histories import build_histories, build_vocab
from movierecs.model.metrics import ranking_metrics
from movierecs.model.training import TrainConfig, TrainResult, learned_weighting, rank_top_k, train_model

K = 10
# Published ML-100K results of the Microsoft Recommenders benchmark (same split and metric code, top 10):
# README "Algorithm Comparison" of recommenders-team/recommenders (examples/06_benchmarks/movielens.ipynb).
PUBLISHED_ML100K: dict[str, dict[str, float]] = {
    "BiVAE": {"map": 0.146126, "ndcg_at_k": 0.475077, "precision_at_k": 0.411771, "recall_at_k": 0.219145},
    "BPR": {"map": 0.132478, "ndcg_at_k": 0.441997, "precision_at_k": 0.388229, "recall_at_k": 0.212522},
    "LightGCN": {"map": 0.088526, "ndcg_at_k": 0.419846, "precision_at_k": 0.379626, "recall_at_k": 0.144336},
    "NCF": {"map": 0.107720, "ndcg_at_k": 0.396118, "precision_at_k": 0.347296, "recall_at_k": 0.180775},
    "SAR": {"map": 0.110591, "ndcg_at_k": 0.382461, "precision_at_k": 0.330753, "recall_at_k": 0.176385},
}


@dataclass
class ProtocolResult:
    name: str
    model: dict[str, float]
    model_recent: dict[str, float]  # input capped at the newest PROFILE_RECENT_LIMIT interactions, as served
    popularity: dict[str, float]
    users: int
    train_seconds: float
    train: dict[str, Any]


def stratified_split(ratings: pd.DataFrame, ratio: float = 0.75, seed: int = 42) -> tuple[pd.DataFrame,
                                                                                          pd.DataFrame]:
    """Recommenders' ``python_stratified_split`` (filter_by user, min_rating 1) on a frame in file order."""
    np.random.seed(seed)  # the reference implementation uses the legacy global generator
    draws = np.random.rand(len(ratings))
    frame = ratings.assign(_random=draws).sort_values(["user_id", "_random"])
    grouped = frame.groupby("user_id")
    rank = (grouped.cumcount() + 1) / grouped["user_id"].transform("count")
    train = frame[rank <= ratio].drop(columns="_random")
    test = frame[rank > ratio].drop(columns="_random")
    return train, test


def leave_last_out(ratings: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Each user's newest interaction is the test row (users with a single interaction stay train-only)."""
    frame = ratings.assign(_order=np.arange(len(ratings)))
    frame = frame.sort_values(["user_id", "timestamp", "_order"], kind="mergesort")
    is_last = ~frame.duplicated("user_id", keep="last")
    has_more = frame.groupby("user_id")["user_id"].transform("count") > 1
    test_mask = is_last & has_more
    return frame[~test_mask].drop(columns="_order"), frame[test_mask].drop(columns="_order")


def popularity_top_k(train: pd.DataFrame, users: list[str], k: int = K) -> list[list[str]]:
    """Most-interacted movies in train, each user's own train movies excluded."""
    ranked = build_vocab(train)  # by count, ties by id
    seen = train.groupby("user_id")["movie_id"].agg(set).to_dict()
    out = []
    for user in users:
        own = seen.get(user, set())
        out.append([m for m in ranked[: k + len(own)] if m not in own][:k])
    return out


def model_top_k(
    result: TrainResult, train: pd.DataFrame, users: list[str], k: int = K, max_len: int | None = None
) -> list[list[str]]:
    """The trained model's top-k for ``users``; input: their whole train history (``max_len`` None) or its
    newest ``max_len`` interactions (what serving sees: profiles keep PROFILE_RECENT_LIMIT)."""
    histories = {h.user_id: h for h in build_histories(train, result.vocab)}
    empty = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))
    inputs = [(histories[u].items, histories[u].ratings) if u in histories else empty for u in users]
    longest = max((len(items) for items, _ in inputs), default=1)
    top = rank_top_k(result.model, inputs, k=k, max_len=max_len or longest)
    return [[result.vocab[j] for j in row] for row in top]


def run_protocol(
    name: str, train: pd.DataFrame, test: pd.DataFrame, config: TrainConfig, progress: bool = True
) -> ProtocolResult:
    truth = test.groupby("user_id")["movie_id"].agg(set)
    users = truth.index.tolist()
    relevant = truth.tolist()
    started = time.perf_counter()
    result = train_model(train, config, progress=progress)
    seconds = time.perf_counter() - started
    model_metrics = ranking_metrics(model_top_k(result, train, users), relevant, K)
    recent_metrics = ranking_metrics(model_top_k(result, train, users, max_len=PROFILE_RECENT_LIMIT), relevant, K)
    popularity_metrics = ranking_metrics(popularity_top_k(train, users), relevant, K)
    return ProtocolResult(
        name=name, model=model_metrics, model_recent=recent_metrics, popularity=popularity_metrics,
        users=len(users), train_seconds=seconds,
        train={"best_epoch": result.best_epoch, "best_stage": result.best_stage, "epochs_run": result.epochs_run,
               "stopped_by": result.stopped_by,
               "best_val_ndcg_at_10": result.best_val_ndcg, "item_item_lambda": result.item_item_lambda,
               "learned_weighting": learned_weighting(result.model),
               "train_rows": len(train), "test_rows": len(test), "curve": result.curve},
    )


def evaluate_movielens(ratings: pd.DataFrame, config: TrainConfig, progress: bool = True) -> list[ProtocolResult]:
    """Both protocols on one ratings frame (in file order)."""
    train_a, test_a = stratified_split(ratings)
    train_b, test_b = leave_last_out(ratings)
    return [
        run_protocol("recommenders_stratified_75_25", train_a, test_a,
                     replace(config, val_holdout="random"), progress),
        run_protocol("temporal_leave_last_out", train_b, test_b, replace(config, val_holdout="last"), progress),
    ]
