"""Ranking metrics on hand-built cases with values worked out by hand (Recommenders' definitions)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from movierecs.model.evaluation import leave_last_out, popularity_top_k, stratified_split
from movierecs.model.metrics import ranking_metrics, user_metrics


def test_two_hits_in_four_with_three_relevant():
    m = user_metrics(["a", "b", "c", "d"], {"a", "c", "e"}, k=10)
    assert m["precision_at_k"] == pytest.approx(2 / 10)  # divided by k, not by the list length
    assert m["recall_at_k"] == pytest.approx(2 / 3)
    dcg = 1 / math.log(2) + 1 / math.log(4)
    idcg = 1 / math.log(2) + 1 / math.log(3) + 1 / math.log(4)
    assert m["ndcg_at_k"] == pytest.approx(dcg / idcg)
    assert m["map"] == pytest.approx((1 / 1 + 2 / 3) / 3)
    assert m["map_at_k"] == pytest.approx((1 / 1 + 2 / 3) / 3)
    assert m["hit_rate_at_k"] == 1.0


def test_more_relevant_than_k_caps_idcg_and_map_at_k_but_not_map():
    m = user_metrics(["x", "a", "y"], {"a", "b", "c"}, k=2)
    assert m["precision_at_k"] == pytest.approx(1 / 2)
    assert m["recall_at_k"] == pytest.approx(1 / 3)
    assert m["ndcg_at_k"] == pytest.approx((1 / math.log(3)) / (1 / math.log(2) + 1 / math.log(3)))
    assert m["map"] == pytest.approx((1 / 2) / 3)
    assert m["map_at_k"] == pytest.approx((1 / 2) / 2)


def test_perfect_and_empty_rankings():
    assert user_metrics(["a", "b"], {"a", "b"}, k=2)["ndcg_at_k"] == pytest.approx(1.0)
    assert user_metrics([], {"a"}, k=10) == dict.fromkeys(user_metrics([], {"a"}, 10), 0.0)


def test_mean_over_users_with_relevant_items_only():
    result = ranking_metrics([["a"], ["z"], ["q"]], [{"a"}, {"b"}, set()], k=1)
    assert result["hit_rate_at_k"] == pytest.approx(0.5)  # the third user has no test items: not counted
    assert result["ndcg_at_k"] == pytest.approx(0.5)


def test_stratified_split_matches_the_reference_algorithm():
    ratings = pd.DataFrame({"user_id": ["u1"] * 4 + ["u2"] * 8, "movie_id": [f"m{i}" for i in range(12)],
                            "rating": 4.0, "timestamp": range(12)})
    train, test = stratified_split(ratings, ratio=0.75, seed=42)
    assert train.groupby("user_id").size().to_dict() == {"u1": 3, "u2": 6}
    assert set(train["movie_id"]).isdisjoint(test["movie_id"])
    assert len(train) + len(test) == len(ratings)
    # Same seed, same split; the draw is np.random.seed(42) + rand(n) in file order, ranked per user.
    import numpy as np

    np.random.seed(42)
    draws = np.random.rand(12)
    expected_test_u1 = {f"m{i}" for i in range(4) if draws[i] == max(draws[:4])}
    assert set(test[test.user_id == "u1"]["movie_id"]) == expected_test_u1
    assert stratified_split(ratings)[1].equals(test)


def test_leave_last_out_takes_the_newest_and_keeps_single_event_users_in_train():
    ratings = pd.DataFrame({"user_id": ["u1", "u1", "u1", "u2"], "movie_id": ["m1", "m2", "m3", "m9"],
                            "rating": 3.0, "timestamp": [5, 9, 7, 1]})
    train, test = leave_last_out(ratings)
    assert test[["user_id", "movie_id"]].values.tolist() == [["u1", "m2"]]
    assert sorted(train["movie_id"]) == ["m1", "m3", "m9"]


def test_popularity_excludes_what_the_user_has_seen():
    train = pd.DataFrame({"user_id": ["u1", "u2", "u3", "u1", "u2", "u3"],
                          "movie_id": ["m1", "m1", "m1", "m2", "m2", "m3"], "rating": 4.0, "timestamp": 0})
    assert popularity_top_k(train, ["u1", "u9"], k=2) == [["m3"], ["m1", "m2"]]
