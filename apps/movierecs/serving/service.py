"""Recommendations for a user: profile read, merge with request events, rank off the event loop, degrade safely."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from typing import Any

from pymongo.errors import PyMongoError

from movierecs.api.metrics import PROFILE_LOOKUP_SECONDS, RECOMMENDATIONS
from movierecs.contract import Event
from movierecs.serving.caches import ServingCaches
from movierecs.serving.catalog import ProfileRepository
from movierecs.serving.history import UserHistory, history_from_profile, merge_events
from movierecs.serving.model_holder import ModelHolder
from movierecs.serving.ranking import Ranked, explain, rank_popular, rank_with_model

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class RecommendationResult:
    items: list[Ranked]
    source: str  # "model" or "popular"
    model_version: str | None
    fallback: str | None = None  # "popular" when a failure forced the popular list
    degraded: str | None = None  # what failed


class RecommendationService:
    def __init__(self, holder: ModelHolder, caches: ServingCaches, profiles: ProfileRepository,
                 profile_timeout_s: float = 2.0) -> None:
        self.holder = holder
        self.caches = caches
        self.profiles = profiles
        self.profile_timeout_s = profile_timeout_s

    async def history(self, user_id: str, with_ratings: bool = False) -> tuple[UserHistory, str | None]:
        """The stored history, or an empty one and the reason when MongoDB cannot be read."""
        started = time.perf_counter()
        try:
            profile = await asyncio.wait_for(self.profiles.get(user_id, with_ratings), self.profile_timeout_s)
        except (PyMongoError, TimeoutError) as exc:
            logger.warning("profile lookup failed", extra={"user_id": user_id, "error": type(exc).__name__})
            return UserHistory(), "mongodb_unavailable"
        finally:
            PROFILE_LOOKUP_SECONDS.observe(time.perf_counter() - started)
        return history_from_profile(profile), None

    async def recommend(self, user_id: str, k: int, events: list[Event] | None = None, genre: str | None = None,
                        with_reasons: bool = False) -> RecommendationResult:
        stored, degraded = await self.history(user_id, with_ratings=with_reasons)
        history = merge_events(stored, events or [])
        model = self.holder.model
        keep = (lambda movie: self.caches.in_genre(movie, genre)) if genre else None
        if model is None:
            items = rank_popular(self.caches.popular, history, k, keep)
            return self._count(RecommendationResult(items, "popular", None, "popular",
                                                    degraded or "model_unavailable"))
        if history.is_empty:
            # Nothing to personalise from: a new user, or a profile MongoDB could not give us.
            items = rank_popular(self.caches.popular or _vocabulary_popularity(model), history, k, keep)
            return self._count(RecommendationResult(items, "popular", model.version,
                                                    "popular" if degraded else None, degraded))

        def rank() -> list[Ranked]:
            ranked = rank_with_model(model, history, k, keep)
            return explain(model, history, ranked, self.caches.title) if with_reasons else ranked

        # Request events alone still personalise while MongoDB is down: degraded, but not a fallback.
        items = await asyncio.to_thread(rank)
        return self._count(RecommendationResult(items, "model", model.version, None, degraded))

    @staticmethod
    def _count(result: RecommendationResult) -> RecommendationResult:
        RECOMMENDATIONS.labels("fallback" if result.fallback else result.source).inc()
        return result


def _vocabulary_popularity(model: Any) -> list[tuple[str, float]]:
    """The model's vocabulary is ordered by training popularity: a popular list that needs no database."""
    if model is None:
        return []
    count = len(model.item_ids)
    return [(movie, float(count - i)) for i, movie in enumerate(model.item_ids)]
