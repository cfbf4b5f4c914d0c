"""Datasets: the MovieLens loader (ratings + catalog) and the interaction sources the trainer reads."""
