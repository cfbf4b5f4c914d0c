"""The Spark Structured Streaming job: Kafka events -> validated, deduplicated -> MongoDB (see docs/data-model.md)."""
