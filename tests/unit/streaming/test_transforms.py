"""The pure transforms on static DataFrames: parsing, every validation rule, parity with the contract, dedup."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pydantic
import pytest
from pyspark.sql import DataFrame, SparkSession

from movierecs.contract import Event, parse_kafka_value
from movierecs_streaming import transforms
from movierecs_streaming.kafka_source import KAFKA_SCHEMA
from movierecs_streaming.transforms import Reason

pytestmark = pytest.mark.spark

TOPIC = "t"


def good(**overrides: object) -> dict:
    event = {
        "event_id": "e-1",
        "user_id": "u1",
        "movie_id": "m2",
        "action": "rate",
        "rating": 4.5,
        "timestamp": "2023-01-01T12:05:00",
    }
    event.update(overrides)
    return {k: v for k, v in event.items() if v is not ...}


def as_value(value: object) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    return (value if isinstance(value, str) else json.dumps(value)).encode()


def kafka_frame(spark: SparkSession, values: list[object]) -> DataFrame:
    now = datetime.now(UTC)
    rows = [(b"u1", as_value(v), TOPIC, 0, offset, now) for offset, v in enumerate(values)]
    return spark.createDataFrame(rows, KAFKA_SCHEMA)


def route(spark: SparkSession, values: list[object]) -> list[dict]:
    rows = transforms.prepare(kafka_frame(spark, values)).orderBy("offset").collect()
    return [r.asDict() for r in rows]


def reason_of(spark: SparkSession, value: object) -> str | None:
    return route(spark, [value])[0]["reason"]


def test_schema_is_derived_from_the_contract() -> None:
    schema = transforms.event_schema()
    assert schema.fieldNames() == list(Event.model_fields)
    types = {f.name: f.dataType.typeName() for f in schema.fields}
    assert types == {
        "user_id": "string",
        "movie_id": "string",
        "action": "string",
        "rating": "double",
        "event_id": "string",
        "timestamp": "timestamp",
    }
    rules = {r.name: r for r in transforms.event_rules()}
    assert rules["event_id"].max_length > rules["user_id"].max_length
    assert rules["action"].allowed == ("view", "rate")


def test_valid_events_are_parsed_with_their_types(spark: SparkSession) -> None:
    rows = route(
        spark,
        [
            good(),
            good(event_id="e-2", action="view", rating=None, timestamp="2023-01-01T12:05:00+02:00"),
            good(event_id="e-3", action="view", rating=..., timestamp="2023-01-01T12:05:00.250Z"),
            good(event_id="e-4", rating=4),
        ],
    )
    assert [r["reason"] for r in rows] == [None] * 4
    assert rows[0]["rating"] == 4.5 and rows[0]["timestamp"] == datetime(2023, 1, 1, 12, 5)
    assert rows[1]["timestamp"] == datetime(2023, 1, 1, 10, 5)
    assert rows[2]["rating"] is None and rows[2]["timestamp"] == datetime(2023, 1, 1, 12, 5, 0, 250000)
    assert rows[3]["rating"] == 4.0
    assert rows[0]["raw"] == json.dumps(good()) and rows[0]["key"] == "u1"


FUTURE = (datetime.now(UTC) + timedelta(hours=1)).isoformat()

INVALID = [
    pytest.param(None, Reason.EMPTY_VALUE, id="tombstone"),
    pytest.param(b"\xff\xfe{}", Reason.NOT_UTF8, id="not-utf8"),
    pytest.param("{not json", Reason.INVALID_JSON, id="bad-json"),
    pytest.param("", Reason.INVALID_JSON, id="empty-string"),
    pytest.param("[1, 2]", Reason.NOT_AN_OBJECT, id="array"),
    pytest.param('"text"', Reason.NOT_AN_OBJECT, id="string"),
    pytest.param(good(action="click"), Reason.UNKNOWN_ACTION, id="unknown-action"),
    pytest.param(good(action=1), f"{Reason.WRONG_TYPE}:action", id="action-number"),
    pytest.param(good(user_id=...), f"{Reason.MISSING_FIELD}:user_id", id="missing-user"),
    pytest.param(good(movie_id=None), f"{Reason.MISSING_FIELD}:movie_id", id="null-movie"),
    pytest.param(good(event_id=...), f"{Reason.MISSING_FIELD}:event_id", id="missing-event-id"),
    pytest.param(good(timestamp=...), f"{Reason.MISSING_FIELD}:timestamp", id="missing-timestamp"),
    pytest.param(good(user_id=123), f"{Reason.WRONG_TYPE}:user_id", id="numeric-user"),
    pytest.param(good(movie_id={"$gt": ""}), f"{Reason.WRONG_TYPE}:movie_id", id="operator-object"),
    pytest.param(good(user_id=["u1"]), f"{Reason.WRONG_TYPE}:user_id", id="array-user"),
    pytest.param(good(user_id="$where"), f"{Reason.INVALID_ID}:user_id", id="dollar-id"),
    pytest.param(good(movie_id="a.b"), f"{Reason.INVALID_ID}:movie_id", id="dotted-id"),
    pytest.param(good(user_id="u1\n"), f"{Reason.INVALID_ID}:user_id", id="newline-id"),
    pytest.param(good(user_id=""), f"{Reason.INVALID_ID}:user_id", id="empty-id"),
    pytest.param(good(user_id="u" * 65), f"{Reason.INVALID_ID}:user_id", id="long-id"),
    pytest.param(good(rating=5.5), Reason.RATING_OUT_OF_RANGE, id="rating-high"),
    pytest.param(good(rating=0), Reason.RATING_OUT_OF_RANGE, id="rating-zero"),
    pytest.param(good(rating=4.25), Reason.RATING_NOT_IN_STEPS, id="rating-step"),
    pytest.param(good(rating="4.5"), f"{Reason.WRONG_TYPE}:rating", id="rating-string"),
    pytest.param(good(rating=True), f"{Reason.WRONG_TYPE}:rating", id="rating-bool"),
    pytest.param(good(rating=None), Reason.RATING_REQUIRED, id="rate-without-rating"),
    pytest.param(good(action="view"), Reason.RATING_NOT_ALLOWED, id="rating-on-view"),
    pytest.param(good(timestamp=FUTURE), Reason.TIMESTAMP_IN_FUTURE, id="far-future"),
    pytest.param(good(timestamp="1969-12-31T23:59:59Z"), Reason.TIMESTAMP_BEFORE_EPOCH, id="before-1970"),
    pytest.param(good(timestamp="yesterday"), Reason.INVALID_TIMESTAMP, id="timestamp-text"),
    pytest.param(good(timestamp="2023"), Reason.INVALID_TIMESTAMP, id="timestamp-year-only"),
    pytest.param(good(timestamp="2023-02-30T00:00:00"), Reason.INVALID_TIMESTAMP, id="timestamp-no-such-day"),
    pytest.param(good(timestamp=1672531200), f"{Reason.WRONG_TYPE}:timestamp", id="timestamp-number"),
    pytest.param({**good(), "admin": True}, Reason.UNKNOWN_FIELD, id="extra-field"),
]


@pytest.fixture(scope="module")
def invalid_reasons(spark: SparkSession) -> list[str | None]:
    """All invalid samples routed in one Spark job (one job per sample would cost a second each)."""
    return [row["reason"] for row in route(spark, [param.values[0] for param in INVALID])]


@pytest.mark.parametrize(("index", "reason"), [pytest.param(i, p.values[1], id=p.id) for i, p in enumerate(INVALID)])
def test_each_invalid_kind_has_its_reason(invalid_reasons: list[str | None], index: int, reason: str) -> None:
    found = invalid_reasons[index]
    assert found is not None and reason in found.split(transforms.REASON_SEPARATOR), found


def test_all_problems_of_a_record_are_listed(spark: SparkSession) -> None:
    found = reason_of(spark, good(user_id=1, movie_id="$x", rating=9))
    assert found == "; ".join(
        [f"{Reason.WRONG_TYPE}:user_id", f"{Reason.INVALID_ID}:movie_id", Reason.RATING_OUT_OF_RANGE]
    )


# Where the job is deliberately stricter than the API's model (none at present: the contract's ISO 8601 check is
# shared, so a digit string such as "2023" is rejected by both).
KNOWN_STRICTER: set[str] = set()


def test_spark_rules_agree_with_the_contract(spark: SparkSession) -> None:
    """Every sample is accepted by the Spark job exactly when the API's model accepts it."""
    samples: list[object] = [
        param.values[0] for param in INVALID if param.values[0] is not None and param.id not in KNOWN_STRICTER
    ]
    samples += [
        good(),
        good(rating=0.5),
        good(rating=5),
        good(action="view", rating=None),
        good(timestamp="2023-01-01"),
        good(timestamp="2023-01-01 12:05"),
        good(timestamp="2023-01-01T12:05:00.123456789Z"),
        good(timestamp="2023-01-01t12:05:00z"),
        good(timestamp="2023-01-01T12:05:00-0530"),
        good(timestamp="2023-01-01T12:05:00 "),
        good(user_id="A-b_c:9", event_id="x" * 128),
        good(event_id="x" * 129),
        '{"event_id":"d","event_id":"d2","user_id":"u","movie_id":"m","action":"view","timestamp":"2023-01-01"}',
    ]
    rows = route(spark, samples)
    for sample, row in zip(samples, rows, strict=True):
        try:
            parse_kafka_value(as_value(sample) or b"")
            api_accepts = True
        except (pydantic.ValidationError, ValueError):
            api_accepts = False
        shown = json.dumps(sample) if isinstance(sample, dict) else sample
        assert (row["reason"] is None) == api_accepts, (shown, row["reason"])
        if api_accepts:
            event = parse_kafka_value(as_value(sample) or b"")
            assert row["event_id"] == event.event_id and row["user_id"] == event.user_id
            # Spark keeps microseconds, as pydantic does; nanoseconds are truncated by both.
            assert row["timestamp"].replace(tzinfo=UTC) == event.timestamp


def test_dedup_keeps_one_event_per_id_and_every_dead_letter(spark: SparkSession) -> None:
    values = [
        good(),
        good(),  # same event_id again
        good(event_id="e-1", rating=99),  # invalid, same event_id: a dead letter, never merged with the valid one
        "{broken",
        "{broken",  # identical bad records are still two dead letters (two offsets)
        good(event_id="e-2"),
    ]
    routed = transforms.prepare(kafka_frame(spark, values), dedup_window="10 minutes")
    valid = transforms.valid_events(routed).collect()
    dead = transforms.dead_letters(routed).collect()
    assert sorted(r.event_id for r in valid) == ["e-1", "e-2"]
    assert sorted(r.offset for r in dead) == [2, 3, 4]
    assert set(transforms.valid_events(routed).columns) >= set(Event.model_fields)
