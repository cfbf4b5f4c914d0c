"""Top-k ranking metrics, defined as in Microsoft Recommenders' ``python_evaluation`` (relevancy ``top_k``).

For each user with at least one relevant (test) item, ``recommended`` is the ranked top-k list and ``relevant``
the set of test items; hits are recommended items in ``relevant``; ``rank`` is 1-based.

* ``precision@k`` = hits / k (k even when fewer than k were recommended, as in Spark and Recommenders)
* ``recall@k``    = hits / |relevant|
* ``ndcg@k``      = DCG / IDCG with binary gain, DCG = Σ_hits 1/log(1 + rank),
  IDCG = Σ_{i=1..min(|relevant|, k)} 1/log(1 + i)  (the log base cancels)
* ``map``         = Σ_hits (hits so far / rank) / |relevant| — Recommenders' ``map`` (its ``map_at_k`` before
  v1.2), the definition behind the published MovieLens table
* ``map@k``       = the same sum divided by min(|relevant|, k) — Recommenders' current ``map_at_k``
* ``hr@k``        = 1 if any hit (the leave-one-out hit rate)

All are averaged over users with relevant items; a user without recommendations counts as zero.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence

METRIC_NAMES = ("map", "map_at_k", "ndcg_at_k", "precision_at_k", "recall_at_k", "hit_rate_at_k")


def user_metrics(recommended: Sequence[Hashable], relevant: set, k: int) -> dict[str, float]:
    """The metrics of one user (``relevant`` must be non-empty)."""
    if not relevant:
        raise ValueError("a user without relevant items has no ranking metrics")
    hits = 0
    dcg = 0.0
    precision_sum = 0.0
    for rank, item in enumerate(recommended[:k], start=1):
        if item in relevant:
            hits += 1
            dcg += 1.0 / math.log(1 + rank)
            precision_sum += hits / rank
    idcg = sum(1.0 / math.log(1 + i) for i in range(1, min(len(relevant), k) + 1))
    return {
        "map": precision_sum / len(relevant),
        "map_at_k": precision_sum / min(len(relevant), k),
        "ndcg_at_k": dcg / idcg,
        "precision_at_k": hits / k,
        "recall_at_k": hits / len(relevant),
        "hit_rate_at_k": 1.0 if hits else 0.0,
    }


def ranking_metrics(
    recommended: Sequence[Sequence[Hashable]], relevant: Sequence[set], k: int = 10
) -> dict[str, float]:
    """Mean of :func:`user_metrics` over users (parallel sequences) that have relevant items."""
    if len(recommended) != len(relevant):
        raise ValueError("recommended and relevant must have one entry per user")
    totals = dict.fromkeys(METRIC_NAMES, 0.0)
    users = 0
    for ranked, truth in zip(recommended, relevant, strict=True):
        if not truth:
            continue
        users += 1
        for name, value in user_metrics(ranked, truth, k).items():
            totals[name] += value
    if users == 0:
        return dict(totals)
    return {name: total / users for name, total in totals.items()}
