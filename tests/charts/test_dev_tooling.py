"""kind-config.yaml, skaffold.yaml and the Dockerfiles agree with the charts (offline: no kind, no skaffold)."""

from __future__ import annotations

import importlib.metadata
import re
from pathlib import Path

import pytest
import yaml

from .conftest import CHARTS_DIR, REPO_ROOT, UMBRELLA

SKAFFOLD = yaml.safe_load((REPO_ROOT / "skaffold.yaml").read_text())
KIND = yaml.safe_load((REPO_ROOT / "kind-config.yaml").read_text())


def _chart_values(alias: str) -> dict:
    return yaml.safe_load((CHARTS_DIR / f"movierecs-{alias}" / "values.yaml").read_text())


def test_kind_cluster_has_an_ingress_ready_control_plane_and_workers() -> None:
    assert (KIND["kind"], KIND["apiVersion"]) == ("Cluster", "kind.x-k8s.io/v1alpha4")
    control_planes = [n for n in KIND["nodes"] if n["role"] == "control-plane"]
    workers = [n for n in KIND["nodes"] if n["role"] == "worker"]
    assert len(control_planes) == 1 and len(workers) >= 1
    (control_plane,) = control_planes
    assert control_plane["labels"]["ingress-ready"] == "true"
    mapped = {(m["containerPort"], m["hostPort"]) for m in control_plane["extraPortMappings"]}
    assert {(80, 80), (443, 443)} <= mapped


def test_skaffold_builds_the_images_the_charts_use() -> None:
    assert SKAFFOLD["apiVersion"].startswith("skaffold/v4")
    artifacts = {a["image"]: a for a in SKAFFOLD["build"]["artifacts"]}
    assert set(artifacts) == {"movierecs-api", "movierecs-streaming"}
    for artifact in artifacts.values():
        assert (REPO_ROOT / artifact["context"] / artifact["docker"]["dockerfile"]).is_file()
    assert _chart_values("api")["image"]["repository"] == "movierecs-api"
    assert _chart_values("trainer")["image"]["repository"] == "movierecs-api"
    assert _chart_values("streaming")["image"]["repository"] == "movierecs-streaming"


def test_skaffold_sets_existing_image_values_of_the_umbrella_chart() -> None:
    (release,) = SKAFFOLD["deploy"]["helm"]["releases"]
    assert (REPO_ROOT / release["chartPath"]).resolve() == UMBRELLA
    templates = release["setValueTemplates"]
    for key, template in templates.items():
        alias, *path = key.split(".")
        node = _chart_values(alias)
        for part in path:
            assert part in node, f"{key} is not a value of movierecs-{alias}"
            node = node[part]
        image = re.fullmatch(r"\{\{\.IMAGE_(REPO|TAG)_(\w+)\}\}", template)
        assert image, template
        assert image.group(2).replace("_", "-") in {a["image"] for a in SKAFFOLD["build"]["artifacts"]}
    assert {k.split(".")[0] for k in templates} == {"api", "trainer", "streaming"}


def test_skaffold_kind_profile_adds_the_kind_values() -> None:
    (profile,) = [p for p in SKAFFOLD["profiles"] if p["name"] == "kind"]
    assert {"kubeContext": "kind-" + KIND["name"]} in profile["activation"]
    added = [p["value"] for p in profile["patches"] if p["path"].endswith("valuesFiles/-")]
    assert added == ["charts/movierecs/values-kind.yaml"]
    assert (REPO_ROOT / added[0]).is_file()


def test_images_run_as_the_users_the_charts_expect() -> None:
    api = (REPO_ROOT / "docker" / "api.Dockerfile").read_text()
    spark = (REPO_ROOT / "docker" / "spark.Dockerfile").read_text()
    assert "USER 10001:10001" in api and _chart_values("api")["securityContext"]["runAsUser"] == 10001
    assert "USER 185" in spark and _chart_values("streaming")["securityContext"]["runAsUser"] == 185
    main_file = _chart_values("streaming")["mainApplicationFile"].removeprefix("local://")
    assert f"COPY docker/streaming_main.py {main_file}" in spark
    spark_version = _chart_values("streaming")["sparkVersion"]
    assert f"ARG SPARK_VERSION={spark_version}" in spark
    assert (REPO_ROOT / ".dockerignore").is_file()


def _dockerfile_args(text: str) -> dict[str, str]:
    return dict(re.findall(r"^ARG (\w+)=(.*)$", text, flags=re.MULTILINE))


def test_spark_image_matches_the_project_pyspark() -> None:
    """One Spark version everywhere: the image's Spark and connector jars, the SparkApplication, pyspark."""
    spark = (REPO_ROOT / "docker" / "spark.Dockerfile").read_text()
    args = _dockerfile_args(spark)
    spark_version = _chart_values("streaming")["sparkVersion"]
    assert args["SPARK_VERSION"] == spark_version
    try:
        pyspark_version = importlib.metadata.version("pyspark")
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("pyspark is not installed (extra [spark]): cannot compare its version")
    assert spark_version == pyspark_version, "docker/spark.Dockerfile and the chart must run the project's pyspark"
    # The official Apache Spark image of that version and Scala line, with Python.
    scala = args["SCALA_BINARY_VERSION"]
    assert args["SPARK_IMAGE"] == "spark:${SPARK_VERSION}-scala${SCALA_BINARY_VERSION}-java21-python3-ubuntu"
    jars = Path(str(importlib.metadata.distribution("pyspark").locate_file("pyspark/jars")))
    assert (jars / f"spark-core_{scala}-{pyspark_version}.jar").is_file(), "pyspark is built for another Scala line"


def test_spark_image_ships_the_kafka_connector_and_its_dependencies() -> None:
    spark = (REPO_ROOT / "docker" / "spark.Dockerfile").read_text()
    assert 'spark="org/apache/spark"' in spark
    spark = spark.replace("${spark}/", "org/apache/spark/")
    suffix = "${SCALA_BINARY_VERSION}/${SPARK_VERSION}/"
    for artifact in ("spark-sql-kafka-0-10_", "spark-token-provider-kafka-0-10_"):
        assert f"org/apache/spark/{artifact}{suffix}{artifact}${{SCALA_BINARY_VERSION}}-${{SPARK_VERSION}}.jar" in spark
    # kafka-clients and commons-pool2: the versions that Spark release was built with, read from its parent POM.
    assert "spark-parent_${SCALA_BINARY_VERSION}/${SPARK_VERSION}/spark-parent_" in spark
    assert "property kafka.version" in spark and "property commons-pool2.version" in spark
    assert "org/apache/kafka/kafka-clients/${kafka_clients}/kafka-clients-${kafka_clients}.jar" in spark
    assert "org/apache/commons/commons-pool2/${commons_pool2}/commons-pool2-${commons_pool2}.jar" in spark
    assert "sha1sum -c" in spark
    assert "COPY --from=kafka-jars /jars/*.jar /opt/spark/jars/" in spark
