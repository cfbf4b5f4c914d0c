"""Interactions for training, read from the MongoDB ``events`` collection written by the streaming job."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
from pymongo.database import Database

from movierecs.contract import ACTIONS, Collections

_PROJECTION = {"_id": 0, "user_id": 1, "movie_id": 1, "action": 1, "rating": 1, "timestamp": 1}


def read_interactions(db: Database, batch_size: int = 10_000) -> pd.DataFrame:
    """All events as ``user_id, movie_id, rating (NaN for a view), timestamp (Unix seconds)``, in event order."""
    users: list[str] = []
    movies: list[str] = []
    ratings: list[float] = []
    stamps: list[float] = []
    cursor = db[Collections.EVENTS].find({"action": {"$in": list(ACTIONS)}}, _PROJECTION, batch_size=batch_size)
    for doc in cursor:
        stamp = doc.get("timestamp")
        if not isinstance(stamp, datetime) or not doc.get("user_id") or not doc.get("movie_id"):
            continue
        users.append(doc["user_id"])
        movies.append(doc["movie_id"])
        rating = doc.get("rating")
        ratings.append(float(rating) if doc.get("action") == "rate" and rating is not None else np.nan)
        stamps.append((stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp())
    frame = pd.DataFrame({"user_id": users, "movie_id": movies, "rating": ratings, "timestamp": stamps})
    return frame.sort_values("timestamp", kind="mergesort").reset_index(drop=True)
