import json

import pytest

from movierecs.api.errors import InvalidPayload, PayloadTooLarge
from movierecs.api.payloads import parse_events_payload

BRIEF = {
    "user_id": "u123",
    "user_events": [
        {"movie_id": "m1", "action": "view", "timestamp": "2023-01-01T12:00:00"},
        {"movie_id": "m2", "action": "rate", "rating": 4.5, "timestamp": "2023-01-01T12:05:00"},
    ],
}


def parse(payload, max_events: int = 100):
    return parse_events_payload(json.dumps(payload).encode(), max_events)


def test_brief_envelope_gives_events_of_its_user():
    events = parse(BRIEF)
    assert [(e.user_id, e.movie_id, e.action.value) for e in events] == [("u123", "m1", "view"), ("u123", "m2", "rate")]


def test_single_object_and_list_are_accepted():
    one = {"user_id": "u1", "movie_id": "m1", "action": "view"}
    assert len(parse(one)) == 1
    assert len(parse([one, {**one, "movie_id": "m2"}])) == 2


def test_invalid_item_is_reported_by_index_and_nothing_passes():
    payload = {"user_id": "u123", "user_events": [BRIEF["user_events"][0], {"movie_id": "m2", "action": "rate"}]}
    with pytest.raises(InvalidPayload) as info:
        parse(payload)
    assert info.value.details[0]["index"] == 1
    assert "rating is required" in info.value.details[0]["msg"]


def test_envelope_user_conflict_and_extra_keys_are_rejected():
    with pytest.raises(InvalidPayload, match="invalid event"):
        parse({"user_id": "u1", "user_events": [{"user_id": "u2", "movie_id": "m1", "action": "view"}]})
    with pytest.raises(InvalidPayload, match="unexpected field"):
        parse({**BRIEF, "k": 5})


@pytest.mark.parametrize("payload", [[], {"user_id": "u1", "user_events": []}])
def test_empty_batches_are_rejected(payload):
    with pytest.raises(InvalidPayload, match="no events"):
        parse(payload)


def test_batch_length_is_bounded():
    one = {"user_id": "u1", "movie_id": "m1", "action": "view"}
    with pytest.raises(PayloadTooLarge):
        parse([one] * 3, max_events=2)


@pytest.mark.parametrize("body", [b"{not json", b"\xff\xfe", b"42", b'"text"', b"null"])
def test_non_event_bodies_are_rejected(body):
    with pytest.raises(InvalidPayload):
        parse_events_payload(body, 10)


def test_unicode_ids_are_rejected_cleanly():
    with pytest.raises(InvalidPayload) as info:
        parse({"user_id": "用户", "movie_id": "m1", "action": "view"})
    assert info.value.details[0]["loc"] == ["user_id"]
