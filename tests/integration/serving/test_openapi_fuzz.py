"""Schemathesis over the OpenAPI schema: whatever it generates, the API never answers 5xx."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

pytestmark = pytest.mark.integration

EXAMPLES_PER_OPERATION = 30


def test_no_operation_answers_5xx(client):
    # The cases are sent through the test's own client, whose lifespan (Mongo, Kafka, model) is running.
    schema = schemathesis.openapi.from_dict(client.get("/openapi.json").json())
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 8

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def check(case) -> None:
            kwargs = case.as_transport_kwargs(base_url="http://testserver")
            data = kwargs.pop("data", None)
            response = client.request(kwargs.pop("method"), kwargs.pop("url"), params=kwargs.get("params"),
                                      headers=kwargs.get("headers"), json=kwargs.get("json"),
                                      content=data if isinstance(data, (bytes, str)) else None)
            if response.status_code >= 500:
                failures.append(f"{case.method} {case.formatted_path} -> {response.status_code}: {response.text[:200]}")

        check()
    assert not failures, "\n".join(failures[:10])
    # The cases really reached the app: every operation shows up in the request metric.
    metrics = client.get("/metrics").text
    assert all(f'route="{op.path}"' in metrics for op in operations)
