"""Every MOVIERECS_* variable the charts and images set is a real setting of the deployable that reads it.

pydantic-settings silently ignores unknown ``MOVIERECS_*`` variables, so a misspelt or stale name in a template
would change nothing at runtime; these tests catch it offline. Values given literally are also validated by the
settings class (types, bounds, Literal choices), as the process would at start.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError
from pydantic_settings import BaseSettings

from movierecs.model.settings import TrainerSettings
from movierecs.settings import ApiSettings, ConnectionSettings
from movierecs_streaming.settings import StreamingSettings

from .conftest import CHARTS_DIR, REPO_ROOT, Render
from .pods import PodTemplate, pod_templates

PREFIX = "MOVIERECS_"
# app.kubernetes.io/name of the pods -> the settings class their process builds.
SETTINGS_BY_APP: dict[str, type[BaseSettings]] = {
    "movierecs-api": ApiSettings,
    "movierecs-trainer": TrainerSettings,
    "movierecs-streaming": StreamingSettings,
}
# Image -> the settings classes of the processes it runs (docker/api.Dockerfile runs the API and the trainer).
SETTINGS_BY_DOCKERFILE: dict[str, tuple[type[BaseSettings], ...]] = {
    "api.Dockerfile": (ApiSettings, TrainerSettings),
    "spark.Dockerfile": (StreamingSettings,),
}
ENV_NAME = re.compile(rf"\b{PREFIX}[A-Z0-9_]*[A-Z0-9]\b")


def setting_names(cls: type[BaseSettings]) -> set[str]:
    """The environment variable of each field (prefix + field name; the classes declare no aliases)."""
    assert cls.model_config.get("env_prefix") == PREFIX, cls
    for name, field in cls.model_fields.items():
        assert field.alias is None and field.validation_alias is None, f"{cls.__name__}.{name} has an alias"
    return {f"{PREFIX}{name.upper()}" for name in cls.model_fields}


def movierecs_env(pod: PodTemplate) -> list[dict[str, Any]]:
    return [e for c in pod.containers for e in c.get("env", []) if e["name"].startswith(PREFIX)]


@pytest.fixture
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Settings are validated from the rendered values only, not from this shell's MOVIERECS_* variables."""
    for name in list(os.environ):
        if name.startswith(PREFIX):
            monkeypatch.delenv(name)


def env_problems(pod: PodTemplate) -> list[str]:
    """Names the pod's process does not read, and literal values its settings class rejects."""
    env = movierecs_env(pod)
    if not env:
        return []
    app = pod.labels.get("app.kubernetes.io/name", "")
    cls = SETTINGS_BY_APP.get(app)
    if cls is None:
        return [f"{pod.owner} sets {[e['name'] for e in env]} but no settings class is known for {app!r}"]
    known = setting_names(cls)
    problems = [f"{pod.owner}: {e['name']} is not a field of {cls.__name__}" for e in env if e["name"] not in known]
    literal = {e["name"].removeprefix(PREFIX).lower(): e["value"] for e in env if e["name"] in known and "value" in e}
    try:
        cls(**literal)
    except ValidationError as exc:
        problems.append(f"{pod.owner}: {cls.__name__} rejects the rendered values: {exc}")
    return problems


def test_every_env_var_a_pod_sets_is_a_setting_of_its_process(render: Render, clean_environ: None) -> None:
    pods = [p for p in pod_templates(render.objects) if movierecs_env(p)]
    problems = [problem for pod in pods for problem in env_problems(pod)]
    assert not problems, f"[{render.profile}]\n" + "\n".join(problems)
    apps = {p.labels.get("app.kubernetes.io/name") for p in pods}
    assert apps == set(SETTINGS_BY_APP), "every deployable's pods should have been checked"


def test_a_stale_or_invalid_env_var_is_reported(clean_environ: None) -> None:
    def pod(app: str, **env: str) -> PodTemplate:
        container = {"name": "c", "env": [{"name": k, "value": v} for k, v in env.items()]}
        return PodTemplate(f"Test/{app}", {"app.kubernetes.io/name": app}, {"containers": [container]})

    # The streaming job has no Kafka producer, so no idempotence setting; the API has one.
    assert env_problems(pod("movierecs-api", MOVIERECS_KAFKA_IDEMPOTENCE="true")) == []
    assert "MOVIERECS_KAFKA_IDEMPOTENCE is not a field of StreamingSettings" in "".join(
        env_problems(pod("movierecs-streaming", MOVIERECS_KAFKA_IDEMPOTENCE="true")))
    assert "rejects" in "".join(env_problems(pod("movierecs-streaming", MOVIERECS_STARTING_OFFSETS="newest")))
    assert "rejects" in "".join(env_problems(pod("movierecs-streaming", MOVIERECS_EVENTS_PER_TRANSACTION="0")))
    assert "no settings class" in "".join(env_problems(pod("movierecs-other", MOVIERECS_LOG_LEVEL="INFO")))


def test_the_streaming_job_gets_its_own_settings(render: Render) -> None:
    (app,) = render.of_kind("SparkApplication")
    for pod in pod_templates([app]):
        env = {e["name"]: e.get("value") for e in movierecs_env(pod)}
        assert {"MOVIERECS_TRIGGER_INTERVAL", "MOVIERECS_MAX_RECORDS_PER_TRIGGER", "MOVIERECS_EVENTS_PER_TRANSACTION",
                "MOVIERECS_STARTING_OFFSETS", "MOVIERECS_CHECKPOINT_LOCATION", "MOVIERECS_METRICS_PORT",
                "MOVIERECS_SOURCE"} <= set(env), pod.owner
        defaults = yaml.safe_load((CHARTS_DIR / "movierecs-streaming" / "values.yaml").read_text())["streaming"]
        values = {**defaults, **render.values.get("streaming", {}).get("streaming", {})}
        assert env["MOVIERECS_EVENTS_PER_TRANSACTION"] == str(values["eventsPerTransaction"])
        assert env["MOVIERECS_MAX_RECORDS_PER_TRIGGER"] == str(values["maxRecordsPerTrigger"])
        assert env["MOVIERECS_SOURCE"] == "kafka", "the image carries the connector: no silent fallback"


@pytest.mark.parametrize("dockerfile", sorted(SETTINGS_BY_DOCKERFILE))
def test_image_env_vars_are_settings(dockerfile: str) -> None:
    text = (REPO_ROOT / "docker" / dockerfile).read_text()
    names = set(ENV_NAME.findall(text))
    for cls in SETTINGS_BY_DOCKERFILE[dockerfile]:
        assert names <= setting_names(cls), f"{dockerfile}: {sorted(names - setting_names(cls))} not in {cls}"


def test_env_vars_named_in_chart_files_are_settings() -> None:
    """Values comments and NOTES name settings too (e.g. "extraEnv: MOVIERECS_PUBLISH_TIMEOUT_S")."""
    known = set().union(*(setting_names(cls) for cls in (ConnectionSettings, *SETTINGS_BY_APP.values())))
    unknown = {}
    for path in sorted(Path(CHARTS_DIR).rglob("*")):
        if path.is_file() and path.suffix in {".yaml", ".tpl", ".txt", ".json"}:
            for name in set(ENV_NAME.findall(path.read_text(errors="replace"))) - known:
                unknown.setdefault(name, []).append(str(path.relative_to(REPO_ROOT)))
    assert not unknown, unknown
