"""Building the SparkSession: the settings the job's semantics depend on, shared by the job and the tests."""

from __future__ import annotations

import os
import sys

from pyspark.sql import SparkSession

# Semantics, not tuning: naive event timestamps are UTC by contract, and a JSON object with a repeated key keeps
# the last value (as the API's parser does) instead of failing to parse.
REQUIRED_CONF: dict[str, str] = {
    "spark.sql.session.timeZone": "UTC",
    "spark.sql.variant.allowDuplicateKeys": "true",
}

# Small-machine defaults; a cluster overrides them through spark-submit.
LEAN_CONF: dict[str, str] = {
    "spark.ui.enabled": "false",
    "spark.ui.showConsoleProgress": "false",
    "spark.sql.adaptive.enabled": "false",
    "spark.driver.memory": "1g",
    "spark.python.worker.reuse": "true",
}


def local_python_environment() -> None:
    """Make executors run this interpreter (with this venv's packages) and bind to loopback."""
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    os.environ.setdefault("PYSPARK_DRIVER_PYTHON", sys.executable)
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")


def build_session(
    app_name: str,
    master: str | None = None,
    shuffle_partitions: int = 2,
    extra_conf: dict[str, str] | None = None,
) -> SparkSession:
    local_python_environment()
    builder = SparkSession.builder.appName(app_name)
    if master:
        builder = builder.master(master)
    conf = {**LEAN_CONF, "spark.sql.shuffle.partitions": str(shuffle_partitions), **(extra_conf or {})}
    conf.update(REQUIRED_CONF)
    for key, value in conf.items():
        builder = builder.config(key, value)
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark
