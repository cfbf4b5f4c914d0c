"""Offline chart tests: helm (pinned, scripts/install-helm.sh) renders the charts; nothing talks to a cluster.

Each values profile is rendered once per session; the tests then look at the rendered objects.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO_ROOT = Path(__file__).resolve().parents[2]
CHARTS_DIR = REPO_ROOT / "charts"
UMBRELLA = CHARTS_DIR / "movierecs"
SUBCHARTS = sorted(p for p in CHARTS_DIR.glob("movierecs-*") if (p / "Chart.yaml").is_file())
SHARED_DIR = REPO_ROOT.parent / "shared"
CRD_SCHEMAS_DIR = SHARED_DIR / "crd-schemas"
INSTALL_HELM = REPO_ROOT / "scripts" / "install-helm.sh"

# The Kubernetes version the charts are rendered and validated for (kind's node image in docs/kubernetes.md).
KUBE_VERSION = "1.34.0"
RELEASE = "movierecs"
NAMESPACE = "movierecs"
# APIs served by the operators the charts need; without them the charts fail on purpose (test_render.py).
OPERATOR_APIS = (
    "kafka.strimzi.io/v1/Kafka",
    "kafka.strimzi.io/v1/KafkaNodePool",
    "kafka.strimzi.io/v1/KafkaTopic",
    "sparkoperator.k8s.io/v1beta2/SparkApplication",
    "monitoring.coreos.com/v1/ServiceMonitor",
    "monitoring.coreos.com/v1/PodMonitor",
    "monitoring.coreos.com/v1/PrometheusRule",
)
# Values profiles of the umbrella chart: name -> values files (the chart defaults, kind, production).
PROFILES: dict[str, tuple[Path, ...]] = {
    "defaults": (),
    "kind": (UMBRELLA / "values-kind.yaml",),
    "production": (UMBRELLA / "values-production.yaml",),
}


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def skip_or_fail(reason: str) -> None:
    """Missing tooling or reference data: a failure in CI, a skip elsewhere."""
    if in_ci():
        pytest.fail(reason)
    pytest.skip(reason)


@dataclass
class Render:
    """The objects of one `helm template` run, with lookups used by the wiring tests."""

    profile: str
    values: dict[str, Any]
    objects: list[dict[str, Any]] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [o for o in self.objects if o["kind"] == kind]

    def get(self, kind: str, name: str) -> dict[str, Any] | None:
        return next((o for o in self.of_kind(kind) if o["metadata"]["name"] == name), None)

    def one(self, kind: str, name: str) -> dict[str, Any]:
        found = self.get(kind, name)
        assert found is not None, f"[{self.profile}] no {kind} named {name!r} rendered"
        return found


def run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=False, **kwargs)


@pytest.fixture(scope="session")
def helm() -> str:
    """Path of the pinned helm binary, installed by scripts/install-helm.sh (a no-op when present)."""
    override = os.environ.get("MOVIERECS_HELM")
    if override:
        return override
    result = run(["bash", str(INSTALL_HELM)])
    if result.returncode != 0:
        skip_or_fail(f"helm is not available (scripts/install-helm.sh failed): {result.stderr.strip()[-500:]}")
    return result.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="session")
def umbrella(helm: str) -> Path:
    """The umbrella chart with its file:// subcharts packaged into charts/movierecs/charts (offline)."""
    result = run([helm, "dependency", "build", str(UMBRELLA)])
    assert result.returncode == 0, result.stderr
    return UMBRELLA


def template_cmd(helm: str, chart: Path, values_files: tuple[Path, ...] = (), *, api_versions: bool = True,
                 extra: tuple[str, ...] = ()) -> list[str]:
    cmd = [helm, "template", RELEASE, str(chart), "--namespace", NAMESPACE, "--kube-version", KUBE_VERSION]
    if api_versions:
        for api in OPERATOR_APIS:
            cmd += ["--api-versions", api]
    for values_file in values_files:
        cmd += ["--values", str(values_file)]
    return cmd + list(extra)


def parse_objects(manifest: str) -> list[dict[str, Any]]:
    return [doc for doc in yaml.safe_load_all(manifest) if doc]


def merged_values(values_files: tuple[Path, ...]) -> dict[str, Any]:
    """The umbrella defaults overlaid with the profile's files (enough for the 'declared external' checks)."""

    def merge(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
        out = dict(base)
        for key, value in over.items():
            out[key] = merge(out[key], value) if isinstance(value, dict) and isinstance(out.get(key), dict) else value
        return out

    values: dict[str, Any] = yaml.safe_load((UMBRELLA / "values.yaml").read_text())
    for values_file in values_files:
        values = merge(values, yaml.safe_load(values_file.read_text()) or {})
    return values


@pytest.fixture(scope="session")
def renders(helm: str, umbrella: Path) -> dict[str, Render]:
    out: dict[str, Render] = {}
    for profile, values_files in PROFILES.items():
        result = run(template_cmd(helm, umbrella, values_files))
        assert result.returncode == 0, f"[{profile}] helm template failed:\n{result.stderr}"
        out[profile] = Render(profile, merged_values(values_files), parse_objects(result.stdout))
    return out


@pytest.fixture(scope="session", params=list(PROFILES))
def render(request: pytest.FixtureRequest, renders: dict[str, Render]) -> Iterator[Render]:
    yield renders[request.param]
