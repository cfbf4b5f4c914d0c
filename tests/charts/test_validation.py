"""Every rendered object validates against an official schema: core kinds with kubernetes-validate (strict, for
the pinned Kubernetes version), custom resources with the CRD schemas in ../shared/crd-schemas."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest

from .conftest import CRD_SCHEMAS_DIR, KUBE_VERSION, Render, skip_or_fail

# Custom resources the charts may render: apiVersion group -> where their schemas live.
CUSTOM_GROUPS = {"kafka.strimzi.io", "sparkoperator.k8s.io", "monitoring.coreos.com", "mongodbcommunity.mongodb.com",
                 "psmdb.percona.com"}
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")


def _group_version(api_version: str) -> tuple[str, str]:
    group, _, version = api_version.rpartition("/")
    return group, version


def crd_schema_path(obj: dict[str, Any]) -> Path:
    group, version = _group_version(obj["apiVersion"])
    return CRD_SCHEMAS_DIR / group / f"{obj['kind'].lower()}_{version}.json"


@cache
def crd_validator(path: Path) -> jsonschema.protocols.Validator:
    schema = json.loads(path.read_text())
    cls = jsonschema.validators.validator_for(schema, default=jsonschema.Draft7Validator)
    return cls(schema)


def validate_custom_resource(obj: dict[str, Any]) -> list[str]:
    path = crd_schema_path(obj)
    if not CRD_SCHEMAS_DIR.is_dir():
        skip_or_fail(f"CRD schemas not found at {CRD_SCHEMAS_DIR} (expected <repo>/../shared/crd-schemas)")
    if not path.is_file():
        skip_or_fail(f"no CRD schema for {obj['apiVersion']} {obj['kind']} at {path}")
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in crd_validator(path).iter_errors(obj)]


def validate_core(obj: dict[str, Any]) -> list[str]:
    try:
        kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)
    except kubernetes_validate.SchemaNotFoundError as e:
        return [f"unknown kind: {e.message}"]
    except kubernetes_validate.ValidationError as e:
        return [f"{'/'.join(map(str, e.path))}: {e.message}"]
    return []


def validate_object(obj: dict[str, Any]) -> list[str]:
    group, _ = _group_version(obj["apiVersion"])
    return validate_custom_resource(obj) if group in CUSTOM_GROUPS else validate_core(obj)


def test_profiles_render_objects(render: Render) -> None:
    kinds = {o["kind"] for o in render.objects}
    for expected in ("Deployment", "Service", "HorizontalPodAutoscaler", "Ingress", "PodDisruptionBudget",
                     "StatefulSet", "CronJob", "Job", "PersistentVolumeClaim", "NetworkPolicy", "Kafka",
                     "KafkaNodePool", "KafkaTopic", "SparkApplication", "ServiceMonitor", "PodMonitor",
                     "PrometheusRule", "ConfigMap"):
        assert expected in kinds, f"[{render.profile}] no {expected} rendered"


def test_every_object_validates_against_its_schema(render: Render) -> None:
    failures = []
    for obj in render.objects:
        for error in validate_object(obj):
            failures.append(f"{obj['kind']}/{obj['metadata']['name']}: {error}")
    assert not failures, f"[{render.profile}]\n" + "\n".join(failures)


def test_object_names_are_valid_and_unique(render: Render) -> None:
    seen = set()
    for obj in render.objects:
        name = obj["metadata"]["name"]
        assert len(name) <= 253 and DNS_SUBDOMAIN.match(name), f"invalid name {name!r}"
        if obj["kind"] in {"Service", "StatefulSet", "CronJob", "Job"}:
            assert len(name) <= 63 and "." not in name, f"{obj['kind']} name {name!r} must be a DNS label"
        key = (obj["apiVersion"].split("/")[0], obj["kind"], name)
        assert key not in seen, f"duplicate {key}"
        seen.add(key)


def test_an_unknown_kind_fails() -> None:
    assert validate_object({"apiVersion": "v1", "kind": "NotAKind", "metadata": {"name": "x"}})
    assert validate_object({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "x"},
                            "spec": {"selector": {}, "template": {}, "replicaz": 1}})


@pytest.mark.parametrize("kind", ["KafkaWidget", "SparkThing"])
def test_a_custom_resource_without_a_schema_is_not_accepted(kind: str) -> None:
    obj = {"apiVersion": "kafka.strimzi.io/v1", "kind": kind, "metadata": {"name": "x"}, "spec": {}}
    with pytest.raises((pytest.skip.Exception, pytest.fail.Exception)):
        validate_object(obj)


def test_a_custom_resource_with_a_wrong_field_fails() -> None:
    bad = {"apiVersion": "kafka.strimzi.io/v1", "kind": "KafkaTopic", "metadata": {"name": "t"},
           "spec": {"partitions": 0, "replication": 3}}
    assert len(validate_object(bad)) >= 2
