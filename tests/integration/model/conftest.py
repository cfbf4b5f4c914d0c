"""Point the trainer CLI's settings at the test servers, a fresh database, topic and model directory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from movierecs.model.settings import trainer_settings


@pytest.fixture
def trainer_env(monkeypatch, kafka_bootstrap, mongo_uri, mongo_db_name, topic, tmp_path) -> Iterator[Path]:
    model_dir = tmp_path / "models"
    for name, value in {
        "MOVIERECS_KAFKA_BOOTSTRAP_SERVERS": kafka_bootstrap,
        "MOVIERECS_MONGO_URI": mongo_uri,
        "MOVIERECS_MONGO_DB": mongo_db_name,
        "MOVIERECS_EVENTS_TOPIC": topic,
        "MOVIERECS_MODEL_DIR": str(model_dir),
        "MOVIERECS_TORCH_THREADS": "2",
    }.items():
        monkeypatch.setenv(name, value)
    trainer_settings.cache_clear()
    yield model_dir
    trainer_settings.cache_clear()
