"""MovieLens loader: ratings and the movie catalog, with ids as strings (``u<userId>``, ``m<movieId>``).

Layouts understood (detected from the files in the directory given):

* RecBole atomic files ``*.inter`` / ``*.item`` (typed TSV headers). The default dataset is the real ML-100K
  that ships inside the ``recbole==1.2.1`` wheel; it is located on disk only — recbole is never imported.
* GroupLens ml-100k: ``u.data`` (tab-separated) and ``u.item`` (``|``-separated, latin-1, 19 genre flags).
* GroupLens ml-1m / ml-10m: ``ratings.dat`` / ``movies.dat`` (``::``-separated, latin-1).
* GroupLens ml-latest / ml-latest-small / ml-25m: ``ratings.csv`` / ``movies.csv`` (UTF-8 CSV with a header).

Every layout gives the same frames:
``ratings``: user_id (str), movie_id (str), rating (float), timestamp (int, Unix seconds);
``movies``: movie_id (str), title (str, without the trailing "(year)"), year (int or None), genres (list[str]).
"""

from __future__ import annotations

import importlib.util
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

ML100K_GENRES = (
    "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama",
    "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
)  # fmt: skip
_TITLE_YEAR = re.compile(r"^(?P<title>.*?)\s*\((?P<year>\d{4})(?:[-–]\d{0,4})?\)\s*$")
RATING_COLUMNS = ["user_id", "movie_id", "rating", "timestamp"]


class DatasetError(RuntimeError):
    """The dataset directory is missing or in a layout this loader does not understand."""


@dataclass(frozen=True)
class MovieLens:
    ratings: pd.DataFrame
    movies: pd.DataFrame
    name: str
    source: Path

    def describe(self) -> dict[str, object]:
        return {
            "name": self.name,
            "path": str(self.source),
            "ratings": len(self.ratings),
            "users": int(self.ratings["user_id"].nunique()),
            "movies": int(self.ratings["movie_id"].nunique()),
        }


def bundled_ml100k_dir() -> Path:
    """The real ML-100K shipped in the recbole wheel (located via its spec; the package is not imported)."""
    spec = importlib.util.find_spec("recbole")
    if spec is None or not spec.submodule_search_locations:
        raise DatasetError(
            "the bundled ML-100K needs the recbole==1.2.1 wheel installed (pip install --no-deps recbole==1.2.1), "
            "or pass --path to a GroupLens MovieLens directory"
        )
    directory = Path(next(iter(spec.submodule_search_locations))) / "dataset_example" / "ml-100k"
    if not (directory / "ml-100k.inter").is_file():
        raise DatasetError(f"recbole is installed but {directory}/ml-100k.inter is missing")
    return directory


def load_movielens(path: Path | str | None = None) -> MovieLens:
    """Load ratings and catalog from ``path`` (a directory in any known layout); default: the bundled ML-100K."""
    directory = Path(path) if path is not None else bundled_ml100k_dir()
    if not directory.is_dir():
        raise DatasetError(f"{directory} is not a directory")
    inter = sorted(directory.glob("*.inter"))
    if inter:
        ratings, movies = _load_atomic(inter[0])
    elif (directory / "u.data").is_file():
        ratings, movies = _load_ml100k(directory)
    elif (directory / "ratings.dat").is_file():
        ratings, movies = _load_dat(directory)
    elif (directory / "ratings.csv").is_file():
        ratings, movies = _load_csv(directory)
    else:
        raise DatasetError(
            f"no MovieLens files in {directory}: expected *.inter, u.data, ratings.dat or ratings.csv"
        )
    return MovieLens(ratings=_normalise_ratings(ratings), movies=movies, name=directory.name, source=directory)


# --- layouts ----------------------------------------------------------------------------------------------------


def _load_atomic(inter_file: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    frame = _read_typed_tsv(inter_file)
    ratings = pd.DataFrame(
        {
            "user_id": frame["user_id"],
            "movie_id": frame["item_id"],
            "rating": frame.get("rating", 1.0),
            "timestamp": frame.get("timestamp", 0),
        }
    )
    item_file = inter_file.with_suffix(".item")
    if not item_file.is_file():
        return ratings, _empty_movies()
    items = _read_typed_tsv(item_file)
    title_col = next((c for c in ("movie_title", "title") if c in items), None)
    titles = items[title_col] if title_col else items["item_id"]
    years = items["release_year"] if "release_year" in items else pd.Series([None] * len(items))
    genres = items["class"] if "class" in items else items.get("genre", pd.Series([""] * len(items)))
    movies = pd.DataFrame(
        {
            "movie_id": "m" + items["item_id"].astype(str),
            "title": titles.fillna("").astype(str),
            "year": pd.Series([_year(y) for y in years], dtype=object),
            "genres": [str(g).split() if isinstance(g, str) else [] for g in genres],
        }
    )
    return ratings, movies


def _read_typed_tsv(path: Path) -> pd.DataFrame:
    """RecBole atomic file: header cells are ``name:type``; everything is read as text, then numbers converted."""
    frame = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, na_values=[""], quoting=3)
    frame.columns = [c.split(":", 1)[0] for c in frame.columns]
    return frame


def _load_ml100k(directory: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    ratings = pd.read_csv(directory / "u.data", sep="\t", header=None, names=RATING_COLUMNS, dtype=str)
    item_file = directory / "u.item"
    if not item_file.is_file():
        return ratings, _empty_movies()
    rows = []
    for line in item_file.read_text(encoding="latin-1").splitlines():
        if not line.strip():
            continue
        cells = line.split("|")
        flags = cells[5:5 + len(ML100K_GENRES)]
        rows.append((cells[0], cells[1], cells[2], [g for g, f in zip(ML100K_GENRES, flags, strict=False) if f == "1"]))
    return ratings, _movies_frame(
        [_catalog_row(movie, title, genres, release) for movie, title, release, genres in rows]
    )


def _load_dat(directory: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    lines = (directory / "ratings.dat").read_text(encoding="latin-1").splitlines()
    ratings = pd.DataFrame([line.split("::") for line in lines if line.strip()], columns=RATING_COLUMNS)
    movie_file = directory / "movies.dat"
    if not movie_file.is_file():
        return ratings, _empty_movies()
    rows = []
    for line in movie_file.read_text(encoding="latin-1").splitlines():
        if line.strip():
            movie, title, genres = line.split("::", 2)
            rows.append(_catalog_row(movie, title, _split_genres(genres)))
    return ratings, _movies_frame(rows)


def _load_csv(directory: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    ratings = pd.read_csv(directory / "ratings.csv", dtype=str).rename(
        columns={"userId": "user_id", "movieId": "movie_id"}
    )[RATING_COLUMNS]
    movie_file = directory / "movies.csv"
    if not movie_file.is_file():
        return ratings, _empty_movies()
    raw = pd.read_csv(movie_file, dtype=str, keep_default_na=False)
    rows = [
        _catalog_row(movie, title, _split_genres(genres))
        for movie, title, genres in zip(raw["movieId"], raw["title"], raw["genres"], strict=True)
    ]
    return ratings, _movies_frame(rows)


# --- helpers ----------------------------------------------------------------------------------------------------


def _normalise_ratings(ratings: pd.DataFrame) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "user_id": "u" + ratings["user_id"].astype(str).str.strip(),
            "movie_id": "m" + ratings["movie_id"].astype(str).str.strip(),
            "rating": pd.to_numeric(ratings["rating"]).astype("float64"),
            "timestamp": pd.to_numeric(ratings["timestamp"]).astype("float64").astype("int64"),
        }
    )
    return frame.reset_index(drop=True)


def _catalog_row(
    movie_id: str, raw_title: str, genres: list[str], release_date: str | None = None
) -> tuple[str, str, int | None, list[str]]:
    title, year = split_title_year(raw_title)
    if year is None and release_date:
        year = _year(release_date[-4:])
    return "m" + movie_id.strip(), title, year, genres


def split_title_year(raw_title: str) -> tuple[str, int | None]:
    """``"Toy Story (1995)"`` -> ``("Toy Story", 1995)``; a title without a year is kept whole."""
    match = _TITLE_YEAR.match(raw_title.strip())
    if match is None:
        return raw_title.strip(), None
    return match.group("title"), int(match.group("year"))


def _split_genres(genres: str) -> list[str]:
    return [g for g in genres.strip().split("|") if g and g != "(no genres listed)"]


def _year(value: object) -> int | None:
    try:
        year = int(float(str(value)))
    except (TypeError, ValueError):
        return None
    return year if 1800 <= year <= 2100 else None


def _movies_frame(rows: list[tuple[str, str, int | None, list[str]]]) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["movie_id", "title", "year", "genres"])
    frame["year"] = pd.Series([r[2] for r in rows], dtype=object)
    return frame


def _empty_movies() -> pd.DataFrame:
    return _movies_frame([])
