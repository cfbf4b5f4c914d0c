"""Settings of each deployable, read from ``MOVIERECS_*`` environment variables.

One class per deployable; the connection settings they share live in ``ConnectionSettings`` so each concept has
one name everywhere (Helm values, env vars, local stack). No other module reads ``os.environ``.
Build them through the cached ``*_settings()`` functions (or construct explicitly in tests), never at import.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from movierecs.contract import DATABASE, EVENTS_TOPIC


class ConnectionSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MOVIERECS_", extra="ignore")

    kafka_bootstrap_servers: str = "127.0.0.1:9092"
    events_topic: str = EVENTS_TOPIC
    mongo_uri: str = "mongodb://127.0.0.1:27017/?replicaSet=rs0"
    mongo_db: str = DATABASE
    model_dir: Path = Path(".state/models")
    log_level: str = "INFO"


class ApiSettings(ConnectionSettings):
    # Real Kafka supports the idempotent producer; the local Tansu broker does not, so it is a switch.
    kafka_idempotence: bool = False
    kafka_request_timeout_ms: int = Field(default=3000, ge=100)
    # Publishing waits at most this long before the API answers 503 (the broker is down or unreachable).
    publish_timeout_s: float = Field(default=3.0, gt=0)
    # Comma-separated keys; when set, write endpoints require a matching X-API-Key header.
    api_keys: str = ""
    # Bounds on one request; a batch is validated whole before anything is published.
    max_request_bytes: int = Field(default=1_000_000, gt=0)
    max_events_per_request: int = Field(default=1000, gt=0)
    model_poll_interval_s: float = Field(default=2.0, gt=0)

    def api_key_set(self) -> frozenset[str]:
        return frozenset(k.strip() for k in self.api_keys.split(",") if k.strip())


@lru_cache
def api_settings() -> ApiSettings:
    return ApiSettings()
