"""The MovieLens loader on tiny fixture files in each GroupLens layout, and on the bundled ML-100K."""

from __future__ import annotations

from pathlib import Path

import pytest

from movierecs.data.movielens import DatasetError, bundled_ml100k_dir, load_movielens, split_title_year

EXPECTED_RATINGS = [
    ["u1", "m10", 4.0, 881250949],
    ["u2", "m20", 2.5, 881250950],
]


def _ratings(dataset) -> list[list]:
    return dataset.ratings[["user_id", "movie_id", "rating", "timestamp"]].values.tolist()


def test_ml100k_layout(tmp_path: Path):
    (tmp_path / "u.data").write_text("1\t10\t4\t881250949\n2\t20\t2.5\t881250950\n")
    flags = ["0"] * 19
    action_comedy = flags.copy()
    action_comedy[1] = action_comedy[5] = "1"
    (tmp_path / "u.item").write_bytes(
        ("10|Café Society (1995)|01-Jan-1995||http://x|" + "|".join(action_comedy) + "\n"
         "20|Untitled|01-Jan-1997||http://y|" + "|".join(flags) + "\n").encode("latin-1")
    )
    dataset = load_movielens(tmp_path)
    assert _ratings(dataset) == EXPECTED_RATINGS
    movies = dataset.movies.set_index("movie_id")
    assert movies.loc["m10", "title"] == "Café Society" and movies.loc["m10", "year"] == 1995
    assert movies.loc["m10", "genres"] == ["Action", "Comedy"]
    assert movies.loc["m20", "year"] == 1997  # no year in the title: taken from the release date


def test_ml1m_layout_latin1(tmp_path: Path):
    (tmp_path / "ratings.dat").write_text("1::10::4::881250949\n2::20::2.5::881250950\n")
    (tmp_path / "movies.dat").write_bytes(
        "10::Amélie (2001)::Comedy|Romance\n20::Seven (Se7en) (1995)::Crime|Thriller\n".encode("latin-1")
    )
    dataset = load_movielens(tmp_path)
    assert _ratings(dataset) == EXPECTED_RATINGS
    movies = dataset.movies.set_index("movie_id")
    assert (movies.loc["m10", "title"], movies.loc["m10", "year"]) == ("Amélie", 2001)
    assert movies.loc["m20", "title"] == "Seven (Se7en)" and movies.loc["m20", "genres"] == ["Crime", "Thriller"]


def test_ml_latest_csv_layout(tmp_path: Path):
    (tmp_path / "ratings.csv").write_text(
        "userId,movieId,rating,timestamp\n1,10,4.0,881250949\n2,20,2.5,881250950\n"
    )
    (tmp_path / "movies.csv").write_text(
        'movieId,title,genres\n10,"American President, The (1995)",Comedy|Drama|Romance\n'
        "20,Some Short (2019),(no genres listed)\n"
    )
    dataset = load_movielens(tmp_path)
    assert _ratings(dataset) == EXPECTED_RATINGS
    movies = dataset.movies.set_index("movie_id")
    assert movies.loc["m10", "title"] == "American President, The"
    assert movies.loc["m20", "genres"] == [] and movies.loc["m20", "year"] == 2019


def test_recbole_atomic_layout(tmp_path: Path):
    (tmp_path / "tiny.inter").write_text(
        "user_id:token\titem_id:token\trating:float\ttimestamp:float\n1\t10\t4\t881250949\n2\t20\t2.5\t881250950\n"
    )
    (tmp_path / "tiny.item").write_text(
        "item_id:token\tmovie_title:token_seq\trelease_year:token\tclass:token_seq\n"
        "10\tToy Story\t1995\tAnimation Children's Comedy\n20\tHeat\t\tAction\n"
    )
    dataset = load_movielens(tmp_path)
    assert _ratings(dataset) == EXPECTED_RATINGS
    movies = dataset.movies.set_index("movie_id")
    assert movies.loc["m10", "genres"] == ["Animation", "Children's", "Comedy"]
    assert movies.loc["m20", "year"] is None


def test_unknown_layout_is_a_clear_error(tmp_path: Path):
    with pytest.raises(DatasetError, match="no MovieLens files"):
        load_movielens(tmp_path)
    with pytest.raises(DatasetError, match="not a directory"):
        load_movielens(tmp_path / "missing")


def test_title_year_split():
    assert split_title_year("Toy Story (1995)") == ("Toy Story", 1995)
    assert split_title_year("Babylon 5") == ("Babylon 5", None)


def test_bundled_ml100k_is_the_real_dataset():
    try:
        bundled_ml100k_dir()
    except DatasetError:
        pytest.skip("recbole==1.2.1 wheel not installed")
    dataset = load_movielens()
    assert dataset.describe()["ratings"] == 100_000
    assert dataset.describe()["users"] == 943 and len(dataset.movies) == 1682
    assert dataset.ratings.iloc[0].tolist() == ["u196", "m242", 3.0, 881250949]
    star_wars = dataset.movies.set_index("movie_id").loc["m50"]
    assert star_wars["title"] == "Star Wars" and star_wars["year"] == 1977
