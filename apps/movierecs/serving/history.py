"""A user's live history: the profile the streaming job wrote, merged with events sent in the request. Pure."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from movierecs.contract import PROFILE_RECENT_LIMIT, Event


@dataclass(frozen=True)
class Interaction:
    event_id: str
    movie_id: str
    action: str
    rating: float | None
    timestamp: datetime


@dataclass(frozen=True)
class UserHistory:
    """Interactions oldest first, the movies to exclude, and the latest rating per movie."""

    interactions: tuple[Interaction, ...] = ()
    seen: frozenset[str] = field(default_factory=frozenset)
    ratings: Mapping[str, float] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not self.interactions and not self.seen


def _as_utc(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.min.replace(tzinfo=UTC)


def history_from_profile(profile: Mapping[str, Any] | None) -> UserHistory:
    """Read a ``user_profiles`` document (see docs/data-model.md); a missing profile is an empty history."""
    if not profile:
        return UserHistory()
    interactions = tuple(
        Interaction(
            event_id=str(item.get("event_id", "")),
            movie_id=str(item["movie_id"]),
            action=str(item.get("action", "view")),
            rating=item.get("rating"),
            timestamp=_as_utc(item.get("timestamp")),
        )
        for item in profile.get("recent", [])
        if item.get("movie_id")
    )
    ratings = {movie: float(r["rating"]) for movie, r in (profile.get("ratings") or {}).items() if "rating" in r}
    seen = frozenset(profile.get("seen") or ()) | {i.movie_id for i in interactions}
    return UserHistory(tuple(sorted(interactions, key=lambda i: i.timestamp)), seen, ratings)


def merge_events(history: UserHistory, events: Iterable[Event]) -> UserHistory:
    """Add events not yet in the profile (by event_id), keep event-time order and the cap the profile has."""
    known = {i.event_id for i in history.interactions}
    new = [
        Interaction(e.event_id, e.movie_id, e.action.value, e.rating, e.timestamp)
        for e in events
        if e.event_id not in known
    ]
    if not new:
        return history
    merged = sorted((*history.interactions, *new), key=lambda i: i.timestamp)[-PROFILE_RECENT_LIMIT:]
    ratings = dict(history.ratings)
    for interaction in sorted(new, key=lambda i: i.timestamp):
        if interaction.rating is not None:
            ratings[interaction.movie_id] = interaction.rating
    return UserHistory(tuple(merged), history.seen | {i.movie_id for i in new}, ratings)
