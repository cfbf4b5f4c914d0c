"""The rendered objects refer to each other correctly: selectors, ports, volumes, Kafka names, Secrets."""

from __future__ import annotations

import re
from typing import Any

from .conftest import Render
from .pods import PodTemplate, env_value, pod_templates, selects

# Strimzi's pods (brokers, Kafka Exporter) name their metrics container port this way (Strimzi docs, PodMonitor
# examples); the operator creates those pods, so the port cannot be checked against a rendered pod spec.
STRIMZI_METRICS_PORT = "tcp-prometheus"


def _kafka_name(render: Render) -> str:
    (kafka,) = render.of_kind("Kafka")
    return kafka["metadata"]["name"]


def _pods(render: Render) -> list[PodTemplate]:
    return list(pod_templates(render.objects))


def _pods_selected(render: Render, selector: dict[str, str]) -> list[PodTemplate]:
    return [p for p in _pods(render) if selects(selector, p.labels)]


def test_hpa_targets_the_api_deployment(render: Render) -> None:
    hpas = render.of_kind("HorizontalPodAutoscaler")
    assert hpas
    for hpa in hpas:
        ref = hpa["spec"]["scaleTargetRef"]
        assert (ref["apiVersion"], ref["kind"]) == ("apps/v1", "Deployment")
        deployment = render.one("Deployment", ref["name"])
        assert "replicas" not in deployment["spec"], "the HPA owns the replica count"
        assert hpa["spec"]["minReplicas"] <= hpa["spec"]["maxReplicas"]
        resources = [m["resource"]["name"] for m in hpa["spec"]["metrics"] if m["type"] == "Resource"]
        assert "cpu" in resources
        for container in deployment["spec"]["template"]["spec"]["containers"]:
            assert container["resources"]["requests"]["cpu"], "CPU utilisation needs CPU requests"


def test_service_selectors_match_pods_and_target_ports_exist(render: Render) -> None:
    for service in render.of_kind("Service"):
        selector = service["spec"].get("selector", {})
        pods = _pods_selected(render, selector)
        assert pods, f"Service {service['metadata']['name']} selects no rendered pod"
        for port in service["spec"]["ports"]:
            target = port.get("targetPort", port["port"])
            for pod in pods:
                if isinstance(target, str):
                    assert target in pod.port_names(), f"{pod.owner} has no port named {target}"
                else:
                    numbers = {p["containerPort"] for c in pod.spec["containers"] for p in c.get("ports", [])}
                    assert target in numbers, f"{pod.owner} has no port {target}"


def test_pdb_selects_the_pods_it_protects(render: Render) -> None:
    for pdb in render.of_kind("PodDisruptionBudget"):
        assert _pods_selected(render, pdb["spec"]["selector"]["matchLabels"]), pdb["metadata"]["name"]


def test_ingress_backends_match_a_service_port(render: Render) -> None:
    ingresses = render.of_kind("Ingress")
    assert ingresses
    for ingress in ingresses:
        paths = [p for rule in ingress["spec"]["rules"] for p in rule["http"]["paths"]]
        assert paths
        for path in paths:
            backend = path["backend"]["service"]
            service = render.one("Service", backend["name"])
            ports = service["spec"]["ports"]
            if "name" in backend["port"]:
                assert backend["port"]["name"] in {p.get("name") for p in ports}
            else:
                assert backend["port"]["number"] in {p["port"] for p in ports}
        assert "/metrics" not in {p["path"] for p in paths}, "metrics must not be public"


def test_service_monitors_select_a_service_and_its_named_ports(render: Render) -> None:
    monitors = render.of_kind("ServiceMonitor")
    assert monitors
    for monitor in monitors:
        selector = monitor["spec"]["selector"]["matchLabels"]
        services = [s for s in render.of_kind("Service") if selects(selector, s["metadata"].get("labels", {}))]
        assert services, f"ServiceMonitor {monitor['metadata']['name']} selects no Service"
        for endpoint in monitor["spec"]["endpoints"]:
            for service in services:
                assert endpoint["port"] in {p.get("name") for p in service["spec"]["ports"]}


def test_pod_monitors_select_pods_with_the_named_port(render: Render) -> None:
    monitors = render.of_kind("PodMonitor")
    assert monitors
    kafka_name = _kafka_name(render)
    for monitor in monitors:
        selector = monitor["spec"]["selector"]["matchLabels"]
        ports = {e["port"] for e in monitor["spec"]["podMetricsEndpoints"]}
        if "strimzi.io/cluster" in selector:
            assert selector == {"strimzi.io/cluster": kafka_name}
            assert ports == {STRIMZI_METRICS_PORT}
            continue
        pods = _pods_selected(render, selector)
        assert pods, f"PodMonitor {monitor['metadata']['name']} selects no rendered pod"
        for pod in pods:
            assert ports <= pod.port_names(), f"{pod.owner} lacks {ports - pod.port_names()}"


def test_model_volume_is_mounted_read_only_by_api_and_writable_by_trainer(render: Render) -> None:
    claim = render.values["global"]["model"]["claimName"]
    mount_path = render.values["global"]["model"]["mountPath"]
    pvc = render.one("PersistentVolumeClaim", claim)
    if render.profile == "production":
        assert pvc["spec"]["accessModes"] == ["ReadWriteMany"]
    api = [p for p in _pods(render) if p.owner == "Deployment/movierecs-api"]
    trainers = [p for p in _pods(render) if p.labels.get("app.kubernetes.io/name") == "movierecs-trainer"]
    assert api and {p.owner.split("/")[0] for p in trainers} == {"CronJob", "Job"}
    for pod in api:
        mounts = pod.mounts_of_claim(claim)
        assert mounts and all(m["readOnly"] and m["mountPath"] == mount_path for m in mounts)
        assert env_value(pod, "MOVIERECS_MODEL_DIR") == mount_path
    for pod in trainers:
        mounts = pod.mounts_of_claim(claim)
        assert mounts and all(not m.get("readOnly") and m["mountPath"] == mount_path for m in mounts), pod.owner
        assert env_value(pod, "MOVIERECS_MODEL_DIR") == mount_path


def test_kafka_resources_belong_to_the_kafka_cluster(render: Render) -> None:
    kafka_name = _kafka_name(render)
    topics = render.of_kind("KafkaTopic")
    assert {t["spec"]["topicName"] for t in topics} == {
        render.values["global"]["kafka"]["eventsTopic"], render.values["global"]["kafka"]["deadLetterTopic"]}
    for obj in topics + render.of_kind("KafkaNodePool"):
        assert obj["metadata"]["labels"]["strimzi.io/cluster"] == kafka_name, obj["metadata"]["name"]
    (pool,) = render.of_kind("KafkaNodePool")
    assert sorted(pool["spec"]["roles"]) == ["broker", "controller"]
    expected_nodes = {"kind": 1, "production": 3}.get(render.profile)
    if expected_nodes:
        assert pool["spec"]["replicas"] == expected_nodes
    for topic in topics:
        assert topic["spec"]["replicas"] <= pool["spec"]["replicas"]
    metrics = render.of_kind("Kafka")[0]["spec"]["kafka"]["metricsConfig"]["valueFrom"]["configMapKeyRef"]
    assert metrics["key"] in render.one("ConfigMap", metrics["name"])["data"]


def test_clients_use_the_strimzi_bootstrap_service(render: Render) -> None:
    kafka = render.of_kind("Kafka")[0]
    plain = next(li for li in kafka["spec"]["kafka"]["listeners"] if not li["tls"])
    expected = f"{kafka['metadata']['name']}-kafka-bootstrap:{plain['port']}"
    clients = [p for p in _pods(render) if env_value(p, "MOVIERECS_KAFKA_BOOTSTRAP_SERVERS") is not None]
    owners = {p.owner for p in clients}
    assert {"Deployment/movierecs-api", "SparkApplication/movierecs-streaming/driver",
            "SparkApplication/movierecs-streaming/executor"} <= owners
    for pod in clients:
        assert env_value(pod, "MOVIERECS_KAFKA_BOOTSTRAP_SERVERS") == expected, pod.owner
        assert env_value(pod, "MOVIERECS_EVENTS_TOPIC") == render.values["global"]["kafka"]["eventsTopic"]


def test_clients_use_the_mongodb_service_and_replica_set(render: Render) -> None:
    mongo = render.values["global"]["mongodb"]
    service = render.one("Service", mongo["name"])
    assert 27017 in {p["port"] for p in service["spec"]["ports"]}
    assert render.one("StatefulSet", mongo["name"])["spec"]["serviceName"] == mongo["name"]
    pattern = re.compile(rf"^mongodb://{mongo['username']}:\$\(MONGO_PASSWORD\)@{mongo['name']}:27017/"
                         rf"{mongo['database']}\?replicaSet={mongo['replicaSet']}&authSource=admin$")
    clients = [p for p in _pods(render) if env_value(p, "MOVIERECS_MONGO_URI") is not None]
    assert len(clients) >= 5  # api, driver, executor, cronjob, job
    for pod in clients:
        assert pattern.match(env_value(pod, "MOVIERECS_MONGO_URI") or ""), pod.owner
        names = [e["name"] for c in pod.spec["containers"] for e in c.get("env", [])]
        assert names.index("MONGO_PASSWORD") < names.index("MOVIERECS_MONGO_URI"), "$(VAR) needs VAR first"


def _secret_refs(obj: dict[str, Any], pods: list[PodTemplate]) -> set[tuple[str, str | None]]:
    refs: set[tuple[str, str | None]] = set()
    for pod in pods:
        for container in pod.containers:
            for env in container.get("env", []):
                ref = env.get("valueFrom", {}).get("secretKeyRef")
                if ref:
                    refs.add((ref["name"], ref["key"]))
            for source in container.get("envFrom", []):
                if "secretRef" in source:
                    refs.add((source["secretRef"]["name"], None))
        for volume in pod.spec.get("volumes", []):
            if "secret" in volume:
                for item in volume["secret"].get("items", [{"key": None}]):
                    refs.add((volume["secret"]["secretName"], item["key"]))
    if obj["kind"] == "Ingress":
        refs |= {(tls["secretName"], "tls.crt") for tls in obj["spec"].get("tls", [])}
    return refs


def _declared_external(values: dict[str, Any]) -> set[str]:
    api = values.get("api", {})
    names = {values["global"]["mongodb"].get("existingSecret"), api.get("auth", {}).get("existingSecret"),
             api.get("ingress", {}).get("tls", {}).get("secretName")}
    return {n for n in names if n}


def test_referenced_secrets_exist_or_are_declared_external(render: Render) -> None:
    external = _declared_external(render.values)
    secrets = {s["metadata"]["name"]: s for s in render.of_kind("Secret")}
    refs: set[tuple[str, str | None]] = set()
    for obj in render.objects:
        refs |= _secret_refs(obj, list(pod_templates([obj])))
    assert refs
    for name, key in sorted(refs, key=str):
        if name in external:
            continue
        assert name in secrets, f"[{render.profile}] Secret {name} is neither rendered nor declared external"
        if key is not None:
            assert key in secrets[name].get("data", {}), f"Secret {name} has no key {key}"
    if render.profile == "production":
        assert external and not (external & set(secrets)), "external Secrets must not also be rendered"


def test_referenced_config_maps_and_claims_exist(render: Render) -> None:
    config_maps = {c["metadata"]["name"] for c in render.of_kind("ConfigMap")}
    claims = {c["metadata"]["name"] for c in render.of_kind("PersistentVolumeClaim")}
    for pod in _pods(render):
        for volume in pod.spec.get("volumes", []):
            if "configMap" in volume:
                assert volume["configMap"]["name"] in config_maps, pod.owner
            if "persistentVolumeClaim" in volume:
                assert volume["persistentVolumeClaim"]["claimName"] in claims, pod.owner
        mounted = {m["name"] for c in pod.containers for m in c.get("volumeMounts", [])}
        assert mounted <= {v["name"] for v in pod.spec.get("volumes", [])}, pod.owner


def test_streaming_driver_exports_metrics_and_checkpoints_on_the_volume(render: Render) -> None:
    (app,) = render.of_kind("SparkApplication")
    spec = app["spec"]
    assert spec["type"] == "Python" and spec["mode"] == "cluster"
    assert spec["restartPolicy"]["type"] in {"Always", "OnFailure"}
    driver = next(p for p in _pods(render) if p.owner.endswith("/driver"))
    port = int(env_value(driver, "MOVIERECS_METRICS_PORT") or 0)
    assert {"name": "metrics", "containerPort": port, "protocol": "TCP"} in spec["driver"]["ports"]
    checkpoint = env_value(driver, "MOVIERECS_CHECKPOINT_LOCATION") or ""
    claim = f"{app['metadata']['name']}-checkpoints"
    for role in ("driver", "executor"):
        pod = next(p for p in _pods(render) if p.owner.endswith(f"/{role}"))
        mounts = pod.mounts_of_claim(claim)
        assert mounts and checkpoint.startswith(mounts[0]["mountPath"] + "/"), role
    sa = spec["driver"]["serviceAccount"]
    assert render.one("ServiceAccount", sa)
    binding = render.one("RoleBinding", sa)
    assert binding["subjects"][0]["name"] == sa and render.one("Role", binding["roleRef"]["name"])
