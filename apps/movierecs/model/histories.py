"""Interactions -> per-user histories of vocabulary indices, and the vocabulary itself.

An interaction frame has columns ``user_id, movie_id, rating (NaN for a view), timestamp``. A history is the
user's distinct movies in event-time order (newest last; a movie seen twice keeps its latest event and its latest
known rating), as arrays of vocabulary indices (``1..N``) and ratings (``0.0`` = no rating).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class History:
    user_id: str
    items: np.ndarray  # int64, vocabulary indices 1..N, oldest first
    ratings: np.ndarray  # float32, 0.0 = interaction without rating

    def __len__(self) -> int:
        return len(self.items)


def build_vocab(interactions: pd.DataFrame) -> list[str]:
    """Movie ids ordered by interaction count (most popular first), ties by id: deterministic."""
    counts = interactions.groupby("movie_id").size().reset_index(name="n")
    counts = counts.sort_values(["n", "movie_id"], ascending=[False, True], kind="mergesort")
    return counts["movie_id"].astype(str).tolist()


def dedupe_interactions(interactions: pd.DataFrame) -> pd.DataFrame:
    """One row per (user, movie): the latest event, carrying the latest rating if any; sorted by user and time."""
    frame = interactions[["user_id", "movie_id", "rating", "timestamp"]].copy()
    frame["_order"] = np.arange(len(frame))
    frame = frame.sort_values(["user_id", "timestamp", "_order"], kind="mergesort")
    frame["rating"] = frame.groupby(["user_id", "movie_id"], sort=False)["rating"].ffill()
    frame = frame.drop_duplicates(["user_id", "movie_id"], keep="last")
    return frame.drop(columns="_order").reset_index(drop=True)


def build_histories(interactions: pd.DataFrame, vocab: list[str]) -> list[History]:
    """Histories of every user with at least one movie in ``vocab`` (others' movies are dropped)."""
    index = {movie: i + 1 for i, movie in enumerate(vocab)}
    frame = dedupe_interactions(interactions)
    frame = frame.assign(idx=frame["movie_id"].map(index)).dropna(subset=["idx"])
    histories = []
    for user, group in frame.groupby("user_id", sort=True):
        histories.append(
            History(
                user_id=str(user),
                items=group["idx"].to_numpy(dtype=np.int64),
                ratings=np.nan_to_num(group["rating"].to_numpy(dtype=np.float32), nan=0.0),
            )
        )
    return histories


def pad_left(rows: list[tuple[np.ndarray, np.ndarray]], max_len: int) -> tuple[np.ndarray, np.ndarray]:
    """Stack (items, ratings) pairs into ``[B, L]`` arrays, newest last, keeping at most ``max_len`` newest."""
    length = max(1, min(max_len, max((len(items) for items, _ in rows), default=1)))
    items_out = np.zeros((len(rows), length), dtype=np.int64)
    ratings_out = np.zeros((len(rows), length), dtype=np.float32)
    for row, (items, ratings) in enumerate(rows):
        kept = items[-length:]
        if len(kept):
            items_out[row, length - len(kept):] = kept
            ratings_out[row, length - len(kept):] = ratings[-length:]
    return items_out, ratings_out
