"""Tiny synthetic interactions with structure a model can learn: two taste clusters of movies."""

from __future__ import annotations

import numpy as np
import pandas as pd

from movierecs.model.training import TrainConfig

CLUSTER_A = [f"m{i}" for i in range(1, 13)]
CLUSTER_B = [f"m{i}" for i in range(13, 25)]


def synthetic_interactions(users: int = 60, per_user: int = 8, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(users):
        cluster = CLUSTER_A if u % 2 == 0 else CLUSTER_B
        movies = rng.choice(cluster, size=per_user, replace=False)
        for t, movie in enumerate(movies):
            rating = float(rng.integers(3, 6)) if t % 3 else float("nan")  # some views, some ratings
            rows.append((f"u{u}", str(movie), rating, 1_000_000 + 60 * t + u))
    return pd.DataFrame(rows, columns=["user_id", "movie_id", "rating", "timestamp"])


def tiny_config(**overrides) -> TrainConfig:
    base = {"dim": 16, "heads": 2, "hidden": 32, "batch_size": 32, "max_epochs": 3, "patience": 3,
            "time_budget_s": 30.0, "threads": 1, "item_item_lambdas": (10.0, 50.0)}
    return TrainConfig(**{**base, **overrides})
