"""Settings of the trainer tools (``movierecs train|evaluate|load-movielens``), env prefix ``MOVIERECS_``."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field

from movierecs.settings import ConnectionSettings


class TrainerSettings(ConnectionSettings):
    # Versions kept in model_dir/versions (the one `current` points to is never deleted; at least 2 are kept).
    keep_versions: int = Field(default=5, ge=2)
    # The machine is shared (Spark tests, the API): training uses this many intra-op threads.
    torch_threads: int = Field(default=2, ge=1)
    seed: int = 42
    train_time_budget_s: float = Field(default=55.0, gt=0)
    reports_dir: Path = Path(".state/reports")
    # Real Kafka supports the idempotent producer; the local Tansu broker does not.
    kafka_idempotence: bool = False
    kafka_request_timeout_ms: int = Field(default=30000, ge=100)


@lru_cache
def trainer_settings() -> TrainerSettings:
    return TrainerSettings()
