"""The streaming source: Spark's Kafka connector when its jar is on the classpath, else the Python Kafka source.

Both are given the same options and produce the same columns: key, value, topic, partition, offset, timestamp.
"""

from __future__ import annotations

import logging

from pyspark.sql import DataFrame, SparkSession

from movierecs_streaming.settings import StreamingSettings

log = logging.getLogger(__name__)

KAFKA_PROVIDER_CLASS = "org.apache.spark.sql.kafka010.KafkaSourceProvider"


def kafka_connector_available(spark: SparkSession) -> bool:
    try:
        spark.sparkContext._jvm.java.lang.Class.forName(KAFKA_PROVIDER_CLASS)  # type: ignore[union-attr]
        return True
    except Exception:
        return False


def source_options(settings: StreamingSettings) -> dict[str, str]:
    options = {
        "kafka.bootstrap.servers": settings.kafka_bootstrap_servers,
        "subscribe": settings.events_topic,
        "startingOffsets": settings.starting_offsets,
        # A record deleted by retention before it was read is a gap to report, not a reason to stop forever.
        "failOnDataLoss": "false",
    }
    if settings.max_records_per_trigger:
        options["maxOffsetsPerTrigger"] = str(settings.max_records_per_trigger)
    return options


def resolve_source(spark: SparkSession, choice: str) -> str:
    if choice == "auto":
        return "kafka" if kafka_connector_available(spark) else "python"
    return choice


def read_kafka(spark: SparkSession, settings: StreamingSettings) -> DataFrame:
    kind = resolve_source(spark, settings.source)
    if kind == "kafka":
        fmt = "kafka"
    else:
        # Imported here: the Python source needs pyspark >= 4.2 (admission control), the connector does not.
        from movierecs_streaming.kafka_source import SOURCE_NAME, KafkaDataSource

        spark.dataSource.register(KafkaDataSource)
        fmt = SOURCE_NAME
    log.info("streaming source selected", extra={"source": kind, "topic": settings.events_topic})
    return spark.readStream.format(fmt).options(**source_options(settings)).load()
