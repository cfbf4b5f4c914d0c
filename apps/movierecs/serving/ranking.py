"""Pure ranking: a user history + the loaded model (or the popular list) -> ranked movies with reasons."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from movierecs.serving.history import UserHistory

# A rating at or above this counts as "liked" when explaining a recommendation.
LIKED_RATING = 4.0


class Ranker(Protocol):
    @property
    def version(self) -> str: ...

    @property
    def item_ids(self) -> list[str]: ...

    def recommend(self, history: Sequence[tuple], k: int, exclude: Iterable[str]) -> list[tuple[str, float]]: ...

    def similar(self, movie_id: str, k: int) -> list[tuple[str, float]]: ...


@dataclass(frozen=True)
class Ranked:
    movie_id: str
    score: float
    reason: str | None = None


MovieFilter = Callable[[str], bool] | None


def rank_with_model(model: Ranker, history: UserHistory, k: int, keep: MovieFilter = None) -> list[Ranked]:
    """Top-k by the model, seen movies excluded, filtered by ``keep`` (e.g. a genre)."""
    # With a filter, rank the whole vocabulary so that k survivors exist; without one, k is enough.
    depth = len(model.item_ids) if keep else k
    model_history = [(i.movie_id, i.action, i.rating, i.timestamp) for i in history.interactions]
    scored = model.recommend(model_history, depth, history.seen)
    return [Ranked(m, s) for m, s in scored if keep is None or keep(m)][:k]


def rank_popular(popular: Sequence[tuple[str, float]], history: UserHistory, k: int,
                 keep: MovieFilter = None) -> list[Ranked]:
    return [Ranked(m, s) for m, s in popular if m not in history.seen and (keep is None or keep(m))][:k]


def explain(model: Ranker, history: UserHistory, items: list[Ranked], title: Callable[[str], str | None]
            ) -> list[Ranked]:
    """Attach "because you rated X 5/5" (or "watched X"): the history movie most similar to each pick."""
    liked = [i for i in history.interactions if i.rating is None or i.rating >= LIKED_RATING]
    anchors = {i.movie_id: i for i in liked[-50:]}  # newest wins for a movie seen twice
    if not anchors:
        return [Ranked(r.movie_id, r.score, "popular right now") for r in items]
    explained = []
    for item in items:
        closeness = dict(model.similar(item.movie_id, len(model.item_ids)))
        best = anchors[max(anchors, key=lambda movie: closeness.get(movie, float("-inf")))]
        name = title(best.movie_id) or best.movie_id
        rating = history.ratings.get(best.movie_id, best.rating)
        reason = f"because you rated {name} {rating:g}/5" if rating is not None else f"because you watched {name}"
        explained.append(Ranked(item.movie_id, item.score, reason))
    return explained
