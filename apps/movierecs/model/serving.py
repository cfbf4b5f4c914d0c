"""``LoadedModel``: a validated artifact in memory, ranking a user's live history.

Cost of a call: one forward of the TorchScript module for a single history — the item representations (output
vectors, biases and the item-item block) are module tensors loaded once, so scoring all N movies is one
``[1, dim] x [dim, N]`` product plus a sum of at most ``max_history`` item-item rows, then a top-k.

Thread-safety: after :meth:`LoadedModel.create` nothing is mutated — the module is in eval mode, warmed up by
the validation pass, and only called under ``torch.no_grad`` — so any number of threads may call
:meth:`recommend` and :meth:`similar` concurrently.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple

import torch

MASKED = float("-inf")


class Interaction(NamedTuple):
    """One event of a user's history (any 4-tuple in this order works): newest last in a history."""

    movie_id: str
    action: str  # "view" | "rate"
    rating: float | None = None
    timestamp: datetime | None = None


@dataclass(frozen=True)
class LoadedModel:
    version: str
    path: Path
    metadata: dict[str, Any]
    item_ids: list[str]
    max_history: int
    _module: Any = field(repr=False)
    _index: Mapping[str, int] = field(repr=False)  # movie_id -> column

    @classmethod
    def create(
        cls, module: Any, item_ids: list[str], metadata: Mapping[str, Any], path: Path
    ) -> LoadedModel:
        """Precompute the item table and run the validation forward pass (raises on any inconsistency)."""
        from movierecs.model.artifact import ArtifactError

        with torch.no_grad():
            vectors, bias = module.item_table()
        if vectors.dim() != 2 or vectors.shape[0] != len(item_ids) or bias.shape != (len(item_ids),):
            raise ArtifactError(
                f"model item table has shape {tuple(vectors.shape)} / {tuple(bias.shape)} but the vocabulary has "
                f"{len(item_ids)} ids"
            )
        loaded = cls(
            version=str(metadata["version"]),
            path=path,
            metadata=dict(metadata),
            item_ids=list(item_ids),
            max_history=int(metadata["max_history"]),
            _module=module,
            _index={movie: i for i, movie in enumerate(item_ids)},
        )
        loaded._self_test()
        return loaded

    def __contains__(self, movie_id: object) -> bool:
        return movie_id in self._index

    @property
    def num_items(self) -> int:
        return len(self.item_ids)

    def recommend(
        self, history: Sequence[Interaction | tuple], k: int = 10, exclude: Iterable[str] = ()
    ) -> list[tuple[str, float]]:
        """Top ``k`` (movie_id, score) for a history (newest last), best first.

        Movies in the history and in ``exclude`` are never returned; unknown movie ids are ignored; an empty
        history gives the model's prior (popularity-like). Scores are comparable within one call only.
        """
        scores = self.scores(history)
        columns = [column for column in map(self._index.get, exclude) if column is not None]
        if columns:
            scores[torch.tensor(columns, dtype=torch.long)] = MASKED  # one indexed write, not one per movie
        return self._top(scores, k)

    def scores(self, history: Sequence[Interaction | tuple]) -> torch.Tensor:
        """Scores ``[N]`` (aligned with ``item_ids``) with the history's own movies set to ``-inf``."""
        columns: list[int] = []
        ratings: list[float] = []
        for movie_id, action, rating, *_ in history:
            column = self._index.get(movie_id)
            if column is None:
                continue
            columns.append(column)
            ratings.append(float(rating) if action == "rate" and rating is not None else 0.0)
        recent = columns[-self.max_history:]
        with torch.no_grad():
            items = torch.tensor([[c + 1 for c in recent]] if recent else [[0]], dtype=torch.long)
            rating_tensor = torch.tensor([ratings[-self.max_history:]] if recent else [[0.0]])
            scores = self._module(items, rating_tensor)[0].float()
        if columns:
            scores[torch.tensor(columns, dtype=torch.long)] = MASKED
        return scores

    def similar(self, movie_id: str, k: int = 10) -> list[tuple[str, float]]:
        """The ``k`` movies the model ranks highest for a history of just ``movie_id`` ("people who watched
        this"); the movie itself is excluded. ``KeyError`` if the model does not know ``movie_id``."""
        if movie_id not in self._index:
            raise KeyError(movie_id)
        return self._top(self.scores([Interaction(movie_id, "view")]), k)

    def _top(self, scores: torch.Tensor, k: int) -> list[tuple[str, float]]:
        k = max(0, min(k, scores.shape[0]))
        if k == 0:
            return []
        values, columns = torch.topk(scores, k)
        return [
            (self.item_ids[int(c)], float(v))
            for v, c in zip(values.tolist(), columns.tolist(), strict=True)
            if not math.isinf(v)
        ]

    def _self_test(self) -> None:
        from movierecs.model.artifact import ArtifactError

        probe = [Interaction(movie, "rate", 4.0) for movie in self.item_ids[:3]]
        for history in ([], probe, probe[:1]):
            scores = self.scores(history)
            if scores.shape != (self.num_items,):
                raise ArtifactError(f"test forward pass returned shape {tuple(scores.shape)}, "
                                    f"expected ({self.num_items},)")
            finite = scores[~torch.isinf(scores)]
            if not bool(torch.isfinite(finite).all()) or finite.numel() != self.num_items - len(history):
                raise ArtifactError("test forward pass produced non-finite scores")
