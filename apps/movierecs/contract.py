"""The event contract: the one definition of a user event, shared by the API, the streaming job and the tools.

Two shapes of the same event:

* ``EventIn`` is what a client may send over HTTP: ``event_id`` and ``timestamp`` are optional and filled in
  by the server (a fresh UUID, the time of receipt).
* ``Event`` is what travels on Kafka: every field present. Any Kafka client may publish it; the streaming job
  validates each record against exactly these rules and dead-letters the rest.

The rules are plain constants so that the Spark job can express the same checks as column expressions
(see ``movierecs_streaming.transforms``) without a second copy of the schema.
"""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints, model_validator

# --- names: topics, database, collections -------------------------------------------------------------------

EVENTS_TOPIC = "movierecs.user.events.v1"
DEAD_LETTER_TOPIC = "movierecs.user.events.dlq.v1"
DATABASE = "movierecs"


class Collections:
    """MongoDB collection names; the streaming job owns all but ``movies`` (loaded by the trainer tools)."""

    EVENTS = "events"
    USER_PROFILES = "user_profiles"
    MOVIE_STATS = "movie_stats"
    DEAD_LETTERS = "dead_letters"
    # Per-movie, per-hour activity buckets (event time) behind the trending lists.
    MOVIE_ACTIVITY = "movie_activity"
    MOVIES = "movies"


# How many recent interactions a user profile keeps (the model reads the newest of these).
PROFILE_RECENT_LIMIT = 200


# --- rules ----------------------------------------------------------------------------------------------------

ID_MAX_LENGTH = 64
EVENT_ID_MAX_LENGTH = 128
# Letters, digits and a few separators: no '$', '.', braces or whitespace, so an id can never be a Mongo operator,
# a dotted field path, or injected markup.
ID_PATTERN = r"^[A-Za-z0-9_\-:]+$"
RATING_MIN = 0.5
RATING_MAX = 5.0
RATING_STEP = 0.5
# Clocks drift; anything later than this beyond the receiver's "now" is a client bug, not a future event.
MAX_FUTURE_SKEW = timedelta(minutes=5)
EARLIEST_TIMESTAMP = datetime(1970, 1, 1, tzinfo=UTC)
# An ISO 8601 timestamp string: a date, optionally a time (T, t or space), optionally a zone. Checked before
# parsing because parsers also accept other shapes: pydantic reads "2023" as Unix seconds, Spark as a year.
ISO_TIMESTAMP_PATTERN = r"^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}(:\d{2}([.,]\d{1,9})?)?([Zz]|[+-]\d{2}(:?\d{2})?)?)?$"


class Action(StrEnum):
    VIEW = "view"
    RATE = "rate"


ACTIONS: tuple[str, ...] = tuple(a.value for a in Action)


def utc_now() -> datetime:
    return datetime.now(UTC)


def _as_utc(value: datetime) -> datetime:
    """Naive timestamps are UTC by contract; aware ones are converted to UTC."""
    value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
    if value > utc_now() + MAX_FUTURE_SKEW:
        raise ValueError(f"timestamp is in the future (more than {MAX_FUTURE_SKEW} ahead of server time)")
    if value < EARLIEST_TIMESTAMP:
        raise ValueError("timestamp is before 1970-01-01")
    return value


def is_valid_rating(rating: float) -> bool:
    return RATING_MIN <= rating <= RATING_MAX and (rating / RATING_STEP).is_integer()


def _check_rating(value: float | None) -> float | None:
    if value is not None and not is_valid_rating(value):
        raise ValueError(f"rating must be between {RATING_MIN} and {RATING_MAX} in steps of {RATING_STEP}")
    return value


EntityId = Annotated[
    str, StringConstraints(min_length=1, max_length=ID_MAX_LENGTH, pattern=ID_PATTERN, strict=True)
]
EventId = Annotated[
    str, StringConstraints(min_length=1, max_length=EVENT_ID_MAX_LENGTH, pattern=ID_PATTERN, strict=True)
]
_ISO_TIMESTAMP = re.compile(ISO_TIMESTAMP_PATTERN.removesuffix("$"), re.ASCII)  # \d: 0-9 only, as in Java


def _iso_string_only(value: Any) -> Any:
    # JSON numbers and digit strings would otherwise be read as Unix seconds; the contract says ISO 8601.
    if isinstance(value, (int, float)) or (isinstance(value, str) and not _ISO_TIMESTAMP.fullmatch(value)):
        raise ValueError("timestamp must be an ISO 8601 string, e.g. 2023-01-01T12:00:00")
    return value


Timestamp = Annotated[datetime, BeforeValidator(_iso_string_only), AfterValidator(_as_utc)]
# strict: "4.5" (a string) and true (a bool) are type errors, not ratings.
Rating = Annotated[float | None, Field(strict=True), AfterValidator(_check_rating)]


class _EventFields(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=False)

    user_id: EntityId
    movie_id: EntityId
    action: Action
    rating: Rating = None

    @model_validator(mode="after")
    def _rating_matches_action(self) -> _EventFields:
        # A rating on a view is rejected rather than dropped: silently discarding data the client sent would
        # hide a client bug, and a 422 loses nothing.
        if self.action is Action.RATE and self.rating is None:
            raise ValueError("rating is required when action is 'rate'")
        if self.action is Action.VIEW and self.rating is not None:
            raise ValueError("rating is only allowed when action is 'rate'")
        return self


class Event(_EventFields):
    """An event as it travels on Kafka and is stored in MongoDB: every field present."""

    event_id: EventId
    timestamp: Timestamp

    def to_kafka_value(self) -> bytes:
        return self.model_dump_json().encode()

    def kafka_key(self) -> bytes:
        # Keyed by user so that one user's events stay ordered within a partition.
        return self.user_id.encode()


class EventIn(_EventFields):
    """An event as a client may send it over HTTP."""

    event_id: EventId | None = None
    timestamp: Timestamp | None = None

    def complete(self, received_at: datetime | None = None) -> Event:
        """Fill in what the client may omit: a new UUID as idempotency key, the receive time as timestamp."""
        # Every field was validated on the way in; constructing skips a second validation on the hot path.
        return Event.model_construct(
            event_id=self.event_id or str(uuid.uuid4()),
            user_id=self.user_id,
            movie_id=self.movie_id,
            action=self.action,
            rating=self.rating,
            timestamp=self.timestamp or received_at or utc_now(),
        )


def parse_kafka_value(value: bytes | str) -> Event:
    """Validate one Kafka record value exactly as the API validates a request (raises pydantic.ValidationError)."""
    return Event.model_validate_json(value)

