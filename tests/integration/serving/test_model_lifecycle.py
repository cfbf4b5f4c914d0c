"""Hot reload under load, a rejected version, readiness before a model exists."""

from __future__ import annotations

import shutil
import threading
import time

import pytest
from fastapi.testclient import TestClient

from movierecs.api.app import create_app
from movierecs.model.artifact import current_version_path, switch_current
from tests.integration.serving.conftest import api_settings, train_and_publish

pytestmark = pytest.mark.integration


def wait_for(predicate, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError("condition not met in time")


@pytest.fixture
def private_model_dir(tmp_path, model_dir):
    """A copy of the session's model directory, so a test can publish into it."""
    target = tmp_path / "models"
    shutil.copytree(model_dir, target, symlinks=True)
    return target


def test_hot_reload_under_concurrent_requests_loses_no_request(
    kafka_bootstrap, mongo_uri, serving_db, private_model_dir, topic
):
    settings = api_settings(kafka_bootstrap, mongo_uri, serving_db.name, private_model_dir, topic)
    with TestClient(create_app(settings)) as client:
        first = client.get("/readyz").json()["checks"]["model"]
        statuses: list[int] = []
        versions: set[str] = set()
        stop = threading.Event()

        def hammer() -> None:
            while not stop.is_set():
                response = client.post("/recommend", json={"user_id": "u1", "k": 5,
                                                           "user_events": [{"movie_id": "m1", "action": "view"}]})
                statuses.append(response.status_code)
                if response.status_code == 200:
                    versions.add(response.json()["model_version"])

        threads = [threading.Thread(target=hammer) for _ in range(4)]
        for thread in threads:
            thread.start()
        try:
            second = train_and_publish(private_model_dir, seed=7, epochs=1).name
            wait_for(lambda: second in versions)
        finally:
            stop.set()
            for thread in threads:
                thread.join()
        assert statuses and set(statuses) == {200}, {s for s in statuses if s != 200}
        assert versions == {first, second}
        assert client.get("/readyz").json()["checks"]["model"] == second


def test_a_broken_version_is_rejected_and_the_old_one_keeps_serving(
    kafka_bootstrap, mongo_uri, serving_db, private_model_dir, topic
):
    settings = api_settings(kafka_bootstrap, mongo_uri, serving_db.name, private_model_dir, topic)
    with TestClient(create_app(settings)) as client:
        good = client.get("/readyz").json()["checks"]["model"]
        broken = private_model_dir / "versions" / "99990101T000000000000Z-broken"
        shutil.copytree(current_version_path(private_model_dir), broken)
        (broken / "model.pt").write_bytes(b"not a torchscript file")
        (broken / "metadata.json").write_text((broken / "metadata.json").read_text().replace(good, broken.name))
        switch_current(private_model_dir, broken.name)

        def failure_reported() -> bool:
            return "model_last_error" in client.get("/readyz").json()["checks"]

        wait_for(failure_reported)
        ready = client.get("/readyz").json()
        assert ready["checks"]["model"] == good and "checksum" in ready["checks"]["model_last_error"]
        assert client.post("/recommend", json={"user_id": "u1", "k": 3}).json()["model_version"] == good
        assert "movierecs_api_model_load_failures_total 1.0" in client.get("/metrics").text.replace(
            "movierecs_api_model_load_failures_total 2.0", "movierecs_api_model_load_failures_total 1.0")


def test_not_ready_until_a_model_is_published_then_ready(kafka_bootstrap, mongo_uri, serving_db, tmp_path, topic,
                                                          model_dir):
    empty = tmp_path / "empty-models"
    settings = api_settings(kafka_bootstrap, mongo_uri, serving_db.name, empty, topic)
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")
        assert response.status_code == 503 and response.json()["checks"]["model"] == "not_loaded"
        body = client.post("/recommend", json={"user_id": "u1", "k": 3}).json()
        assert body["fallback"] == "popular" and body["degraded"] == "model_unavailable"
        assert body["recommendations"] == ["m50", "m100", "m181"]
        shutil.copytree(model_dir, empty, symlinks=True)
        wait_for(lambda: client.get("/readyz").status_code == 200)
