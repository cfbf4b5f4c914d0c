"""End to end on a live cluster (kind, docs/kubernetes.md) with the umbrella chart installed.

Skipped when no cluster is reachable. Configuration (environment):
  MOVIERECS_E2E_CONTEXT      kubeconfig context (default: the current one)
  MOVIERECS_E2E_NAMESPACE    namespace of the release (default: movierecs)
  MOVIERECS_E2E_INGRESS_URL  base URL of the Ingress (default: http://localhost, kind-config.yaml maps port 80)
  MOVIERECS_E2E_TIMEOUT_S    how long to wait for the workloads (default: 1800; the first model is trained on start)
"""

from __future__ import annotations

import base64
import os
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any, TypeVar

import httpx
import pytest

kubernetes = pytest.importorskip("kubernetes")
from kubernetes import client, config  # noqa: E402
from kubernetes.client.rest import ApiException  # noqa: E402

pytestmark = pytest.mark.e2e

NAMESPACE = os.environ.get("MOVIERECS_E2E_NAMESPACE", "movierecs")
INGRESS_URL = os.environ.get("MOVIERECS_E2E_INGRESS_URL", "http://localhost").rstrip("/")
TIMEOUT_S = float(os.environ.get("MOVIERECS_E2E_TIMEOUT_S", "1800"))
KAFKA_CLUSTER = "movierecs"
MONGODB = "movierecs-mongodb"
API = "movierecs-api"
STREAMING = "movierecs-streaming"
BRIEF_EVENTS = [
    {"movie_id": "m1", "action": "view"},
    {"movie_id": "m2", "action": "rate", "rating": 4.5},
]
T = TypeVar("T")


def wait_for(what: str, probe: Callable[[], T | None], timeout_s: float = TIMEOUT_S, every_s: float = 5) -> T:
    """Call ``probe`` until it returns something truthy; fail with ``what`` and the last state otherwise."""
    deadline = time.monotonic() + timeout_s
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = probe()
            if last:
                return last
        except ApiException as exc:
            last = f"{exc.status} {exc.reason}"
        time.sleep(every_s)
    pytest.fail(f"timed out after {timeout_s:.0f}s waiting for {what} (last: {last!r})")


@pytest.fixture(scope="module")
def k8s() -> client.ApiClient:
    try:
        config.load_kube_config(context=os.environ.get("MOVIERECS_E2E_CONTEXT"))
    except Exception as kubeconfig_error:
        try:
            config.load_incluster_config()
        except Exception:
            pytest.skip(f"no Kubernetes cluster configured (kubeconfig: {kubeconfig_error})")
    api_client = client.ApiClient()
    try:
        client.VersionApi(api_client).get_code(_request_timeout=3)
        client.CoreV1Api(api_client).read_namespace(NAMESPACE, _request_timeout=3)
    except ApiException as exc:
        if exc.status == 404:
            pytest.skip(f"namespace {NAMESPACE} does not exist: install the chart first (docs/kubernetes.md)")
        pytest.skip(f"Kubernetes API not usable: {exc.status} {exc.reason}")
    except Exception as exc:
        pytest.skip(f"no Kubernetes cluster reachable: {exc}")
    return api_client


def _condition(obj: dict[str, Any], kind: str) -> bool:
    return any(c.get("type") == kind and c.get("status") == "True" for c in obj.get("status", {}).get("conditions", []))


@pytest.fixture(scope="module")
def workloads_ready(k8s: client.ApiClient) -> None:
    custom = client.CustomObjectsApi(k8s)
    apps = client.AppsV1Api(k8s)
    batch = client.BatchV1Api(k8s)

    wait_for("Kafka to be Ready", lambda: _condition(
        custom.get_namespaced_custom_object("kafka.strimzi.io", "v1", NAMESPACE, "kafkas", KAFKA_CLUSTER), "Ready"))
    for topic in ("movierecs.user.events.v1", "movierecs.user.events.dlq.v1"):
        wait_for(f"KafkaTopic {topic}", lambda t=topic: _condition(
            custom.get_namespaced_custom_object("kafka.strimzi.io", "v1", NAMESPACE, "kafkatopics", t), "Ready"))

    def mongodb_ready() -> bool:
        sts = apps.read_namespaced_stateful_set(MONGODB, NAMESPACE)
        return (sts.status.ready_replicas or 0) == sts.spec.replicas
    wait_for("the MongoDB StatefulSet", mongodb_ready)

    def bootstrap_done() -> bool:
        jobs = batch.list_namespaced_job(NAMESPACE, label_selector="app.kubernetes.io/component=bootstrap").items
        for job in jobs:
            failed = job.status.failed or 0
            assert failed <= (job.spec.backoff_limit or 6), f"bootstrap Job {job.metadata.name} failed"
        return bool(jobs) and all((job.status.succeeded or 0) >= 1 for job in jobs)
    wait_for("the bootstrap Job (MovieLens load + first model)", bootstrap_done, every_s=10)

    def streaming_running() -> str | None:
        app = custom.get_namespaced_custom_object("sparkoperator.k8s.io", "v1beta2", NAMESPACE,
                                                  "sparkapplications", STREAMING)
        state = app.get("status", {}).get("applicationState", {}).get("state")
        return state if state == "RUNNING" else None
    wait_for("the SparkApplication to be RUNNING", streaming_running)

    def api_available() -> bool:
        deployment = apps.read_namespaced_deployment(API, NAMESPACE)
        return (deployment.status.available_replicas or 0) >= 1
    wait_for("the API Deployment", api_available)


@pytest.fixture(scope="module")
def http(k8s: client.ApiClient, workloads_ready: None) -> httpx.Client:
    headers = {"Content-Type": "application/json"}
    try:
        secret = client.CoreV1Api(k8s).read_namespaced_secret(f"{API}-auth", NAMESPACE)
        keys = base64.b64decode(secret.data["api-keys"]).decode()
        headers["X-API-Key"] = keys.split(",")[0].strip()
    except ApiException as exc:
        if exc.status != 404:
            raise
    session = httpx.Client(base_url=INGRESS_URL, headers=headers, timeout=10)
    wait_for(f"{INGRESS_URL}/readyz through the Ingress",
             lambda: session.get("/readyz").status_code == 200, timeout_s=300)
    return session


def test_events_are_accepted_through_the_ingress(http: httpx.Client) -> None:
    response = http.post("/events", json={"user_id": "u123", "user_events": BRIEF_EVENTS})
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["accepted"] == 2 and len(body["event_ids"]) == 2


def test_the_brief_request_returns_unseen_recommendations(http: httpx.Client) -> None:
    response = http.post("/recommend", json={"user_id": "u123", "k": 5, "user_events": BRIEF_EVENTS})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["user_id"] == "u123"
    assert len(body["recommendations"]) == 5
    assert not {"m1", "m2"} & set(body["recommendations"])
    datetime.fromisoformat(body["generated_at"].replace("Z", "+00:00"))
    assert body["model_version"], "the bootstrap Job should have published a model"


def test_events_reach_profiles_through_kafka_and_spark(http: httpx.Client) -> None:
    """The streaming path: an event posted to the API changes GET recommendations once Spark wrote the profile."""
    user = f"e2e-{uuid.uuid4().hex[:12]}"
    assert http.post("/events", json={"user_id": user, "user_events": BRIEF_EVENTS}).status_code == 202

    def personalised() -> dict[str, Any] | None:
        response = http.get(f"/users/{user}/recommendations", params={"k": 5})
        body = response.json() if response.status_code == 200 else {}
        return body if body.get("source") == "model" else None

    body = wait_for("the user's events to reach MongoDB via the streaming job", personalised, timeout_s=180,
                    every_s=2)
    assert body["items"] and not {"m1", "m2"} & {item["movie_id"] for item in body["items"]}


def test_popular_movies_are_served(http: httpx.Client) -> None:
    response = http.get("/movies/popular")
    assert response.status_code == 200, response.text


def test_the_hpa_scales_the_api_on_cpu(k8s: client.ApiClient, workloads_ready: None) -> None:
    autoscaling = client.AutoscalingV2Api(k8s)
    hpa = autoscaling.read_namespaced_horizontal_pod_autoscaler(API, NAMESPACE)
    assert hpa.spec.scale_target_ref.kind == "Deployment" and hpa.spec.scale_target_ref.name == API
    assert any(m.type == "Resource" and m.resource.name == "cpu" for m in hpa.spec.metrics)

    def cpu_observed() -> Any:
        status = autoscaling.read_namespaced_horizontal_pod_autoscaler(API, NAMESPACE).status
        return status if status.current_metrics else None

    status = wait_for("the HPA to read CPU metrics (is metrics-server installed?)", cpu_observed, timeout_s=300)
    assert hpa.spec.min_replicas <= status.current_replicas <= hpa.spec.max_replicas
    able = [c for c in status.conditions or [] if c.type == "AbleToScale"]
    assert able and able[0].status == "True", able
