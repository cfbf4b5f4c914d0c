"""Pod templates of the rendered workloads, including the pods a SparkApplication will get from the operator."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PodTemplate:
    owner: str  # "Kind/name[/role]"
    labels: dict[str, str]
    spec: dict[str, Any]  # a core/v1 PodSpec (for Spark: the fields the operator copies into the pod)

    @property
    def containers(self) -> list[dict[str, Any]]:
        return list(self.spec.get("initContainers", [])) + list(self.spec.get("containers", []))

    def port_names(self) -> set[str]:
        return {p["name"] for c in self.spec.get("containers", []) for p in c.get("ports", []) if "name" in p}

    def mounts_of_claim(self, claim: str) -> list[dict[str, Any]]:
        """The volumeMounts (with their volume) that mount the given PVC."""
        volumes = {v["name"]: v for v in self.spec.get("volumes", []) if v.get("persistentVolumeClaim", {}).get(
            "claimName") == claim}
        return [dict(m, volume=volumes[m["name"]]) for c in self.containers for m in c.get("volumeMounts", [])
                if m["name"] in volumes]


def _spark_role(app: dict[str, Any], role: str) -> PodTemplate:
    spec = app["spec"]
    side = spec[role]
    container = {
        "name": f"spark-kubernetes-{role}",
        "image": side.get("image", spec.get("image")),
        "env": side.get("env", []),
        "ports": side.get("ports", []),
        "volumeMounts": side.get("volumeMounts", []),
        "securityContext": side.get("securityContext", {}),
    }
    pod = {"containers": [container], "volumes": spec.get("volumes", []),
           "securityContext": side.get("podSecurityContext", {})}
    return PodTemplate(f"SparkApplication/{app['metadata']['name']}/{role}", side.get("labels", {}), pod)


def pod_templates(objects: list[dict[str, Any]]) -> Iterator[PodTemplate]:
    for obj in objects:
        kind, name = obj["kind"], obj["metadata"]["name"]
        if kind in {"Deployment", "StatefulSet", "Job", "DaemonSet", "ReplicaSet"}:
            template = obj["spec"]["template"]
        elif kind == "CronJob":
            template = obj["spec"]["jobTemplate"]["spec"]["template"]
        elif kind == "SparkApplication":
            yield _spark_role(obj, "driver")
            yield _spark_role(obj, "executor")
            continue
        else:
            continue
        spec = template["spec"]
        if kind == "StatefulSet":
            # Claims from volumeClaimTemplates are volumes of the pod too (one PVC per replica).
            claims = [{"name": t["metadata"]["name"], "volumeClaimTemplate": t["spec"]}
                      for t in obj["spec"].get("volumeClaimTemplates", [])]
            spec = dict(spec, volumes=list(spec.get("volumes", [])) + claims)
        yield PodTemplate(f"{kind}/{name}", template.get("metadata", {}).get("labels", {}), spec)


def selects(selector: dict[str, str], labels: dict[str, str]) -> bool:
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def env_value(pod: PodTemplate, name: str) -> str | None:
    for container in pod.spec.get("containers", []):
        for env in container.get("env", []):
            if env["name"] == name:
                return env.get("value")
    return None
