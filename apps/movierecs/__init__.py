"""movie-recs: a real-time movie recommendation backend."""

__version__ = "0.1.0"
