"""The movie catalog and popularity lists, cached in memory and refreshed from MongoDB in the background.

Both are small (thousands of movies) and read on every request, so they are kept in process; a refresh that fails
(MongoDB down) keeps the last good copy, which is what the degraded mode serves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from movierecs.contract import Collections


@dataclass(frozen=True)
class Movie:
    movie_id: str
    title: str | None = None
    year: int | None = None
    genres: tuple[str, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {"movie_id": self.movie_id, "title": self.title, "year": self.year, "genres": list(self.genres)}


WINDOWS: Mapping[str, timedelta | None] = {
    "hour": timedelta(hours=1), "day": timedelta(days=1), "week": timedelta(days=7), "all": None,
}


def movie_from_doc(doc: Mapping[str, Any]) -> Movie:
    return Movie(str(doc["_id"]), doc.get("title"), doc.get("year"), tuple(doc.get("genres") or ()))


class CatalogRepository:
    def __init__(self, db: Any) -> None:
        self._movies = db[Collections.MOVIES]

    async def all_movies(self) -> dict[str, Movie]:
        return {str(d["_id"]): movie_from_doc(d) async for d in self._movies.find({}, {"title": 1, "year": 1,
                                                                                          "genres": 1})}


class PopularityRepository:
    """Most active movies over all time (``movie_stats``) or an event-time window (``movie_activity``)."""

    def __init__(self, db: Any) -> None:
        self._stats = db[Collections.MOVIE_STATS]
        self._activity = db[Collections.MOVIE_ACTIVITY]

    async def all_time(self, limit: int) -> list[tuple[str, float]]:
        pipeline = [
            {"$project": {"score": {"$add": [{"$ifNull": ["$views", 0]}, {"$ifNull": ["$ratings_count", 0]}]},
                          "mean": {"$ifNull": ["$rating_mean", 0]}}},
            {"$sort": {"score": -1, "mean": -1, "_id": 1}},
            {"$limit": limit},
        ]
        return [(str(d["_id"]), float(d["score"])) async for d in await self._stats.aggregate(pipeline)]

    async def latest_hour(self) -> datetime | None:
        doc = await self._activity.find_one({}, {"hour": 1}, sort=[("hour", -1)])
        return doc["hour"] if doc else None

    async def window(self, window: timedelta, limit: int) -> list[tuple[str, float]]:
        """Trending as of the newest activity hour: live data makes that "now"; replayed history still works."""
        latest = await self.latest_hour()
        if latest is None:
            return []
        since = latest - window + timedelta(hours=1)
        pipeline = [
            {"$match": {"hour": {"$gte": since}}},
            {"$group": {"_id": "$movie_id", "score": {"$sum": "$events"}}},
            {"$sort": {"score": -1, "_id": 1}},
            {"$limit": limit},
        ]
        return [(str(d["_id"]), float(d["score"])) async for d in await self._activity.aggregate(pipeline)]


class ProfileRepository:
    def __init__(self, db: Any) -> None:
        self._profiles = db[Collections.USER_PROFILES]

    async def get(self, user_id: str, with_ratings: bool = False) -> Mapping[str, Any] | None:
        """The profile's ranking inputs; the per-movie ratings map (large for heavy users, and decoding it is most
        of a lookup's cost) only when asked for, i.e. for explanations."""
        # user_id passed the contract's pattern, so it is a plain string, never an operator document.
        fields = {"recent": 1, "seen": 1, **({"ratings": 1} if with_ratings else {})}
        return await self._profiles.find_one({"_id": user_id}, fields)
