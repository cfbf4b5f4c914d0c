"""The one SparkSession of a test session (local[2], lean settings), shared by every test directory that needs it.

The streaming test directories import ``spark`` from here in their conftest; the session is created on first use
and stopped when the interpreter exits, so two conftests importing the fixture still share one JVM.
"""

from __future__ import annotations

import atexit
import functools
import logging

import pytest
from pyspark.sql import SparkSession


@functools.cache
def spark_session() -> SparkSession:
    from movierecs_streaming.session import build_session

    session = build_session(
        "movierecs-tests",
        master="local[2]",
        shuffle_partitions=2,
        extra_conf={
            "spark.sql.streaming.stateStore.maintenanceInterval": "5s",
            "spark.sql.streaming.minBatchesToRetain": "10",
        },
    )
    atexit.register(session.stop)
    # py4j logs at INFO while closing connections at interpreter exit, after pytest has closed its streams.
    logging.getLogger("py4j").setLevel(logging.WARNING)
    return session


@pytest.fixture(scope="session")
def spark() -> SparkSession:
    return spark_session()
