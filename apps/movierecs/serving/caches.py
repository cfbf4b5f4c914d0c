"""In-process copies of the catalog and the popular list, refreshed in the background.

A failed refresh keeps the last good copy: that copy is what requests fall back to while MongoDB is unreachable.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from pymongo.errors import PyMongoError

from movierecs.serving.catalog import CatalogRepository, Movie, PopularityRepository

logger = logging.getLogger(__name__)

POPULAR_CACHE_SIZE = 500


@dataclass
class ServingCaches:
    catalog_repo: CatalogRepository
    popularity_repo: PopularityRepository
    movies: dict[str, Movie] = field(default_factory=dict)
    popular: list[tuple[str, float]] = field(default_factory=list)

    @classmethod
    def for_db(cls, db: Any) -> ServingCaches:
        return cls(CatalogRepository(db), PopularityRepository(db))

    async def refresh(self) -> bool:
        try:
            movies, popular = await asyncio.gather(
                self.catalog_repo.all_movies(), self.popularity_repo.all_time(POPULAR_CACHE_SIZE)
            )
        except PyMongoError as exc:
            logger.warning("cache refresh failed; serving the last good copy", extra={"error": str(exc)})
            return False
        self.movies = movies
        if popular:
            self.popular = popular
        return True

    async def refresh_forever(self, interval_s: float) -> None:
        while True:
            await asyncio.sleep(interval_s)
            await self.refresh()

    def title(self, movie_id: str) -> str | None:
        movie = self.movies.get(movie_id)
        return movie.title if movie else None

    def in_genre(self, movie_id: str, genre: str | None) -> bool:
        if genre is None:
            return True
        movie = self.movies.get(movie_id)
        return movie is not None and genre.casefold() in (g.casefold() for g in movie.genres)
