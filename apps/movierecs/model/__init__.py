"""The recommender: network, training, evaluation, export and loading of the artifact.

Serving code uses only :func:`movierecs.model.artifact.load_model` and :class:`~movierecs.model.artifact.LoadedModel`.
"""
