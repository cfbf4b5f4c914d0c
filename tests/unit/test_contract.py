from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from movierecs.contract import Action, Event, EventIn, is_valid_rating, parse_kafka_value

GOOD = {"user_id": "u123", "movie_id": "m2", "action": "rate", "rating": 4.5, "timestamp": "2023-01-01T12:05:00"}


def errors_of(payload: dict) -> list[tuple[tuple, str]]:
    with pytest.raises(ValidationError) as info:
        EventIn.model_validate(payload)
    return [(tuple(e["loc"]), e["msg"]) for e in info.value.errors()]


def test_valid_rate_event_is_accepted_and_naive_timestamp_is_utc():
    event = EventIn.model_validate(GOOD)
    assert event.action is Action.RATE
    assert event.rating == 4.5
    assert event.timestamp == datetime(2023, 1, 1, 12, 5, tzinfo=UTC)


def test_offset_timestamp_is_converted_to_utc():
    event = EventIn.model_validate({**GOOD, "timestamp": "2023-01-01T14:05:00+02:00"})
    assert event.timestamp == datetime(2023, 1, 1, 12, 5, tzinfo=UTC)


def test_view_without_rating_and_integer_rating_are_accepted():
    assert EventIn.model_validate({"user_id": "u1", "movie_id": "m1", "action": "view"}).rating is None
    assert EventIn.model_validate({**GOOD, "rating": 4}).rating == 4.0


def test_complete_fills_event_id_and_timestamp():
    received = datetime(2024, 5, 1, tzinfo=UTC)
    event = EventIn.model_validate({"user_id": "u1", "movie_id": "m1", "action": "view"}).complete(received)
    assert len(event.event_id) == 36 and event.timestamp == received
    kept = EventIn.model_validate({**GOOD, "event_id": "client-1"}).complete(received)
    assert kept.event_id == "client-1" and kept.timestamp.year == 2023


def test_kafka_round_trip_is_lossless():
    event = EventIn.model_validate(GOOD).complete()
    assert parse_kafka_value(event.to_kafka_value()) == event
    assert event.kafka_key() == b"u123"


@pytest.mark.parametrize(
    ("change", "loc", "fragment"),
    [
        ({"user_id": None}, ("user_id",), "valid string"),
        ({"movie_id": ""}, ("movie_id",), "at least 1"),
        ({"action": "like"}, ("action",), "'view' or 'rate'"),
        ({"rating": 5.5}, ("rating",), "between 0.5 and 5.0"),
        ({"rating": 0.0}, ("rating",), "between 0.5 and 5.0"),
        ({"rating": 3.3}, ("rating",), "steps of 0.5"),
        ({"rating": "4.5"}, ("rating",), "valid number"),
        ({"rating": True}, ("rating",), "valid number"),
        ({"user_id": 123}, ("user_id",), "valid string"),
        ({"user_id": {"$gt": ""}}, ("user_id",), "valid string"),
        ({"movie_id": "$where"}, ("movie_id",), "pattern"),
        ({"movie_id": "a.b"}, ("movie_id",), "pattern"),
        ({"user_id": "x" * 65}, ("user_id",), "at most 64"),
        ({"user_id": "ünï"}, ("user_id",), "pattern"),
        ({"timestamp": "yesterday"}, ("timestamp",), "ISO 8601"),
        ({"timestamp": 1672574700}, ("timestamp",), "ISO 8601"),
        ({"timestamp": "2023"}, ("timestamp",), "ISO 8601"),  # pydantic alone would read Unix seconds
        ({"timestamp": "1672574700"}, ("timestamp",), "ISO 8601"),
        ({"timestamp": "2023-01-01T12:00:00\n"}, ("timestamp",), "ISO 8601"),
        ({"timestamp": "2023-13-01T12:00:00"}, ("timestamp",), "month"),
        ({"timestamp": "1960-01-01T00:00:00"}, ("timestamp",), "before 1970"),
        ({"extra": 1}, ("extra",), "Extra inputs"),
    ],
)
def test_bad_field_is_rejected_with_its_location(change, loc, fragment):
    problems = errors_of({**GOOD, **change})
    assert any(p_loc == loc and fragment in msg for p_loc, msg in problems), problems


def test_far_future_timestamp_is_rejected_but_small_skew_is_tolerated():
    near = (datetime.now(UTC) + timedelta(minutes=1)).isoformat()
    assert EventIn.model_validate({**GOOD, "timestamp": near})
    far = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    assert any("future" in msg for _, msg in errors_of({**GOOD, "timestamp": far}))


def test_rating_rules_depend_on_action():
    assert any("required" in msg for _, msg in errors_of({**GOOD, "rating": None}))
    assert any("only allowed" in msg for _, msg in errors_of({**GOOD, "action": "view"}))


def test_missing_required_fields_are_each_reported():
    locs = {loc for loc, _ in errors_of({})}
    assert {("user_id",), ("movie_id",), ("action",)} <= locs


def test_wire_event_requires_id_and_timestamp():
    with pytest.raises(ValidationError) as info:
        Event.model_validate({"user_id": "u", "movie_id": "m", "action": "view"})
    assert {tuple(e["loc"]) for e in info.value.errors()} == {("event_id",), ("timestamp",)}


@pytest.mark.parametrize(("rating", "ok"), [(0.5, True), (5.0, True), (2.5, True), (0.25, False), (5.5, False)])
def test_is_valid_rating(rating, ok):
    assert is_valid_rating(rating) is ok
