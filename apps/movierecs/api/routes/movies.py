"""Movie endpoints: trending lists, one movie with its statistics, and similar movies by the model."""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel
from pymongo.errors import PyMongoError

from movierecs.api.deps import Recommendations, Resources
from movierecs.api.errors import NotFound, ServiceUnavailable
from movierecs.api.routes.recommendations import Genre
from movierecs.contract import ID_MAX_LENGTH, ID_PATTERN, Collections
from movierecs.serving.catalog import WINDOWS

router = APIRouter(prefix="/movies", tags=["movies"])

MovieIdPath = Annotated[str, Path(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN)]


class ScoredMovie(BaseModel):
    movie_id: str
    title: str | None
    score: float


class PopularMovies(BaseModel):
    window: str
    items: list[ScoredMovie]
    fallback: str | None = None


class SimilarMovies(BaseModel):
    movie_id: str
    items: list[ScoredMovie]
    model_version: str


@router.get("/popular", response_model=PopularMovies,
            summary="Trending movies over an event-time window (as of the newest activity) or all time")
async def popular(resources: Resources, service: Recommendations,
                  window: Annotated[Literal["hour", "day", "week", "all"], Query()] = "day",
                  genre: Genre = None, k: Annotated[int, Query(ge=1, le=100)] = 10) -> PopularMovies:
    repo = service.caches.popularity_repo
    depth = 2000 if genre else k
    span = WINDOWS[window]
    fallback = None
    try:
        scored = await asyncio.wait_for(repo.window(span, depth) if span else repo.all_time(depth), 3.0)
    except (PyMongoError, TimeoutError):
        scored, fallback = service.caches.popular, "cached_all_time"
    items = [ScoredMovie(movie_id=m, title=service.caches.title(m), score=s)
             for m, s in scored if service.caches.in_genre(m, genre)][:k]
    return PopularMovies(window=window, items=items, fallback=fallback)


@router.get("/{movie_id}", summary="One movie: catalog entry and live statistics")
async def movie(movie_id: MovieIdPath, resources: Resources, service: Recommendations) -> dict[str, Any]:
    cached = service.caches.movies.get(movie_id)
    try:
        stats = await asyncio.wait_for(
            resources.db[Collections.MOVIE_STATS].find_one({"_id": movie_id}, {"_id": 0}), 3.0)
    except (PyMongoError, TimeoutError) as exc:
        if cached is None:  # we cannot tell an unknown movie from one we cannot read
            raise ServiceUnavailable("MongoDB unreachable: movie not in the cached catalog") from exc
        stats = None
    if cached is None and stats is None:
        raise NotFound(f"unknown movie: {movie_id}")
    body = cached.to_json() if cached else {"movie_id": movie_id, "title": None, "year": None, "genres": []}
    return {**body, "stats": stats}


@router.get("/{movie_id}/similar", response_model=SimilarMovies, summary="Movies the model places closest")
async def similar(movie_id: MovieIdPath, service: Recommendations,
                  k: Annotated[int, Query(ge=1, le=100)] = 10) -> SimilarMovies:
    model = service.holder.model
    if model is None:
        raise ServiceUnavailable("no model loaded yet")
    if movie_id not in model:
        raise NotFound(f"movie {movie_id} is not known to the model")
    scored = await asyncio.to_thread(model.similar, movie_id, k)
    return SimilarMovies(movie_id=movie_id, model_version=model.version,
                         items=[ScoredMovie(movie_id=m, title=service.caches.title(m), score=round(s, 6))
                                for m, s in scored])
