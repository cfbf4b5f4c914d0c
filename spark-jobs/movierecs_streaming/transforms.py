"""Pure DataFrame -> DataFrame steps of the job: decode, parse, validate, deduplicate, and split the result.

Everything about an event's shape comes from ``movierecs.contract``: the parsed columns and their Spark types are
derived from ``Event.model_fields`` (string constraints, the action enum, the nullable rating, the timestamp), and
the value rules use the contract's constants. Each record is parsed as a VARIANT so its JSON types are known
exactly: ``123`` or ``{"$gt": ""}`` as a user id is a type error, not a string to coerce, as in the API's strict
model. A record either becomes one valid event or one dead letter with every rule it broke, never both.

The same functions work on static frames (unit tests) and streaming frames (the job).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any

from pydantic.types import StringConstraints
from pyspark.sql import Column, DataFrame
from pyspark.sql import functions as F
from pyspark.sql.types import DataType, DoubleType, StringType, StructField, StructType, TimestampType

from movierecs.contract import (
    EARLIEST_TIMESTAMP,
    ISO_TIMESTAMP_PATTERN,
    MAX_FUTURE_SKEW,
    RATING_MAX,
    RATING_MIN,
    RATING_STEP,
    Action,
    Event,
)


class Reason:
    """Why a record was dead-lettered; field-level reasons are ``<reason>:<field>``."""

    EMPTY_VALUE = "empty_value"
    NOT_UTF8 = "not_utf8"
    INVALID_JSON = "invalid_json"
    NOT_AN_OBJECT = "not_an_object"
    UNKNOWN_FIELD = "unknown_field"
    MISSING_FIELD = "missing_field"
    WRONG_TYPE = "wrong_type"
    INVALID_ID = "invalid_id"
    UNKNOWN_ACTION = "unknown_action"
    RATING_REQUIRED = "rating_required"
    RATING_NOT_ALLOWED = "rating_not_allowed"
    RATING_OUT_OF_RANGE = "rating_out_of_range"
    RATING_NOT_IN_STEPS = "rating_not_in_steps"
    INVALID_TIMESTAMP = "invalid_timestamp"
    TIMESTAMP_IN_FUTURE = "timestamp_in_future"
    TIMESTAMP_BEFORE_EPOCH = "timestamp_before_1970"


REASON_SEPARATOR = "; "


def java_regex(python_pattern: str) -> str:
    """A contract pattern for Spark's ``rlike``: Java's ``$`` also matches before a final newline, ``\\z`` does not."""
    return python_pattern.removesuffix("$") + r"\z" if python_pattern.endswith("$") else python_pattern


# --- the event's fields, derived from the contract ------------------------------------------------------------


@dataclass(frozen=True)
class FieldRule:
    name: str
    kind: str  # "id" | "enum" | "number" | "timestamp"
    spark_type: DataType
    required: bool
    max_length: int | None = None
    min_length: int | None = None
    pattern: str | None = None
    allowed: tuple[str, ...] = ()


def _rule_for(name: str, info: Any) -> FieldRule:
    annotation = info.annotation
    required = info.is_required()
    if isinstance(annotation, type) and issubclass(annotation, Enum):
        return FieldRule(name, "enum", StringType(), required, allowed=tuple(m.value for m in annotation))
    if annotation is str:
        constraint = next(m for m in info.metadata if isinstance(m, StringConstraints))
        return FieldRule(
            name,
            "id",
            StringType(),
            required,
            max_length=constraint.max_length,
            min_length=constraint.min_length,
            pattern=constraint.pattern if isinstance(constraint.pattern, str) else None,
        )
    if annotation is datetime:
        return FieldRule(name, "timestamp", TimestampType(), required)
    if float in getattr(annotation, "__args__", (annotation,)):
        return FieldRule(name, "number", DoubleType(), required)
    raise TypeError(f"no Spark rule for contract field {name}: {annotation!r}")


@functools.cache
def event_rules() -> tuple[FieldRule, ...]:
    return tuple(_rule_for(name, info) for name, info in Event.model_fields.items())


def event_schema() -> StructType:
    """The Spark schema of a parsed event, in contract field order."""
    return StructType([StructField(rule.name, rule.spark_type, nullable=not rule.required) for rule in event_rules()])


EVENT_FIELDS: tuple[str, ...] = tuple(Event.model_fields)
RECORD_COLUMNS = ("topic", "partition", "offset", "kafka_timestamp")


# --- steps -----------------------------------------------------------------------------------------------------


def decode(raw: DataFrame) -> DataFrame:
    """Kafka columns -> record coordinates, the value as text (lossless: base64 beside it if not UTF-8)."""
    as_text = F.col("value").cast("string")
    utf8_ok = F.encode(as_text, "UTF-8") == F.col("value")
    return raw.select(
        F.col("topic"),
        F.col("partition"),
        F.col("offset"),
        F.col("timestamp").alias("kafka_timestamp"),
        F.col("key").cast("string").alias("key"),
        as_text.alias("raw"),
        F.when(~utf8_ok, F.base64("value")).alias("raw_base64"),
        # The micro-batch's time (stable when a batch is replayed): the clock for the future-skew rule,
        # ingestion stamps and the dedup window.
        F.current_timestamp().alias("received_at"),
    )


def _json_type(variant: Column) -> Column:
    """The JSON type of a variant value: string, number, boolean, object, array, null."""
    schema = F.schema_of_variant(variant)
    return (
        F.when(variant.isNull(), F.lit(None))
        .when(F.is_variant_null(variant), F.lit("null"))
        .when(schema == "STRING", F.lit("string"))
        .when(schema == "BOOLEAN", F.lit("boolean"))
        .when(schema.startswith("OBJECT"), F.lit("object"))
        .when(schema.startswith("ARRAY"), F.lit("array"))
        .otherwise(F.lit("number"))
    )


def parse(decoded: DataFrame) -> DataFrame:
    """Add one typed column per contract field (null when absent or of the wrong JSON type) and helper columns."""
    doc = F.try_parse_json(F.col("raw"))
    with_doc = decoded.withColumn("_doc", doc).withColumn("_doc_type", _json_type(F.col("_doc")))
    columns: list[Column] = [F.col("*")]
    for rule in event_rules():
        value = F.variant_get(F.col("_doc"), f"$.{rule.name}", "variant")
        json_type = _json_type(value)
        columns.append(json_type.alias(f"_type_{rule.name}"))
        if rule.kind == "number":
            typed = F.when(json_type == "number", F.try_variant_get(value, "$", "double"))
        elif rule.kind == "timestamp":
            text = F.when(json_type == "string", F.try_variant_get(value, "$", "string"))
            columns.append(text.alias(f"_text_{rule.name}"))
            typed = F.when(text.rlike(java_regex(ISO_TIMESTAMP_PATTERN)), F.upper(text).try_cast("timestamp"))
        else:
            typed = F.when(json_type == "string", F.try_variant_get(value, "$", "string"))
        columns.append(typed.cast(rule.spark_type).alias(rule.name))
    known = F.array(*[F.lit(name) for name in EVENT_FIELDS])
    unknown_keys = F.array_except(F.coalesce(F.json_object_keys(F.col("raw")), F.array()), known)
    columns.append(F.size(unknown_keys).alias("_unknown_fields"))
    return with_doc.select(*columns)


def _field_problem(rule: FieldRule) -> Column:
    """The reason this field breaks the contract, or null."""
    json_type = F.col(f"_type_{rule.name}")
    value = F.col(rule.name)
    absent = json_type.isNull() | (json_type == "null")
    missing = F.lit(f"{Reason.MISSING_FIELD}:{rule.name}")
    wrong_type = F.lit(f"{Reason.WRONG_TYPE}:{rule.name}")
    if rule.kind == "id":
        bad = (F.length(value) < (rule.min_length or 1)) | ~value.rlike(java_regex(rule.pattern or ".*"))
        if rule.max_length is not None:
            bad = bad | (F.length(value) > rule.max_length)
        return (
            F.when(absent, missing)
            .when(json_type != "string", wrong_type)
            .when(bad, F.lit(f"{Reason.INVALID_ID}:{rule.name}"))
        )
    if rule.kind == "enum":
        return (
            F.when(absent, missing)
            .when(json_type != "string", wrong_type)
            .when(~value.isin(*rule.allowed), F.lit(Reason.UNKNOWN_ACTION))
        )
    if rule.kind == "timestamp":
        earliest = F.lit(EARLIEST_TIMESTAMP)
        latest = F.col("received_at") + F.expr(f"INTERVAL {int(MAX_FUTURE_SKEW.total_seconds())} SECONDS")
        return (
            F.when(absent, missing)
            .when(json_type != "string", wrong_type)
            .when(value.isNull(), F.lit(Reason.INVALID_TIMESTAMP))
            .when(value < earliest, F.lit(Reason.TIMESTAMP_BEFORE_EPOCH))
            .when(value > latest, F.lit(Reason.TIMESTAMP_IN_FUTURE))
        )
    # number: the rating, optional; its presence is a cross-field rule (see _rating_problem).
    return F.when(~absent & (json_type != "number"), wrong_type)


def _rating_problem() -> Column:
    action, rating, rating_type = F.col("action"), F.col("rating"), F.col("_type_rating")
    present = rating_type.isNotNull() & (rating_type != "null")
    in_range = (rating >= RATING_MIN) & (rating <= RATING_MAX) & ~F.isnan(rating)
    steps = rating / RATING_STEP
    return (
        F.when((action == Action.RATE.value) & ~present, F.lit(Reason.RATING_REQUIRED))
        .when((action == Action.VIEW.value) & present, F.lit(Reason.RATING_NOT_ALLOWED))
        .when(rating.isNotNull() & ~in_range, F.lit(Reason.RATING_OUT_OF_RANGE))
        .when(rating.isNotNull() & (steps != F.floor(steps)), F.lit(Reason.RATING_NOT_IN_STEPS))
    )


def validate(parsed: DataFrame) -> DataFrame:
    """Add ``reason`` (null for a valid event; otherwise every broken rule) and drop the helper columns."""
    record_problem = (
        F.when(F.col("raw").isNull(), F.lit(Reason.EMPTY_VALUE))
        .when(F.col("raw_base64").isNotNull(), F.lit(Reason.NOT_UTF8))
        .when(F.col("_doc").isNull(), F.lit(Reason.INVALID_JSON))
        .when(F.col("_doc_type") != "object", F.lit(Reason.NOT_AN_OBJECT))
    )
    field_problems = [_field_problem(rule) for rule in event_rules()]
    field_problems.append(_rating_problem())
    field_problems.append(F.when(F.col("_unknown_fields") > 0, F.lit(Reason.UNKNOWN_FIELD)))
    all_field_problems = F.concat_ws(REASON_SEPARATOR, *field_problems)
    reason = F.coalesce(record_problem, F.when(all_field_problems != "", all_field_problems))
    helpers = [c for c in parsed.columns if c.startswith("_")]
    return parsed.withColumn("reason", reason).drop(*helpers)


def deduplicate(validated: DataFrame, window: str) -> DataFrame:
    """Drop repeats of an event_id seen within ``window`` of processing time (bounded state).

    Runs after validation: only valid rows are keyed by event_id. A dead letter is keyed by its unique record
    coordinates, so it passes through untouched and can never shadow (or be shadowed by) a valid event that
    happens to carry the same event_id. The window is on the batch's processing time, not on event time, so old
    event timestamps (backfills, replays) are never "late" and dropped.
    """
    key = F.when(
        F.col("reason").isNull(), F.concat(F.lit("event|"), F.col("event_id"))
    ).otherwise(F.concat_ws("|", F.lit("record"), F.col("topic"), F.col("partition"), F.col("offset")))
    keyed = validated.withColumn("_dedup_key", key)
    if not keyed.isStreaming:  # a static frame (tests, backfills) has no watermark: plain dedup
        return keyed.dropDuplicates(["_dedup_key"]).drop("_dedup_key")
    return (
        keyed.withWatermark("received_at", window).dropDuplicatesWithinWatermark(["_dedup_key"]).drop("_dedup_key")
    )


def prepare(raw: DataFrame, dedup_window: str | None = None) -> DataFrame:
    """The whole pipeline from Kafka columns to routed rows (``reason`` null = valid event)."""
    validated = validate(parse(decode(raw)))
    return deduplicate(validated, dedup_window) if dedup_window else validated


def valid_events(routed: DataFrame) -> DataFrame:
    return routed.where(F.col("reason").isNull()).select(*EVENT_FIELDS, *RECORD_COLUMNS, "received_at")


def dead_letters(routed: DataFrame) -> DataFrame:
    return routed.where(F.col("reason").isNotNull()).select(
        "raw", "raw_base64", "key", "reason", *RECORD_COLUMNS, "received_at"
    )
