"""helm lint --strict for every values file, the operator-API guards, and schema rejection of bad values."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .conftest import OPERATOR_APIS, PROFILES, SUBCHARTS, UMBRELLA, run, template_cmd

FIXTURES = Path(__file__).parent / "fixtures"


def _lint_ok(helm: str, chart: Path, values_files: tuple[Path, ...] = ()) -> None:
    cmd = [helm, "lint", "--strict", str(chart)]
    for values_file in values_files:
        cmd += ["--values", str(values_file)]
    result = run(cmd)
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "[ERROR]" not in output and "[WARNING]" not in output, output


@pytest.mark.parametrize("profile", list(PROFILES))
def test_umbrella_lints_strict(helm: str, umbrella: Path, profile: str) -> None:
    _lint_ok(helm, umbrella, PROFILES[profile])


@pytest.mark.parametrize("chart", SUBCHARTS, ids=lambda p: p.name)
def test_subchart_lints_strict(helm: str, chart: Path) -> None:
    _lint_ok(helm, chart)


@pytest.mark.parametrize("chart", SUBCHARTS, ids=lambda p: p.name)
def test_subchart_renders_alone(helm: str, chart: Path) -> None:
    result = run(template_cmd(helm, chart))
    assert result.returncode == 0, result.stderr


def test_every_chart_has_the_required_files() -> None:
    for chart in [UMBRELLA, *SUBCHARTS]:
        for required in ("Chart.yaml", "values.yaml", "values.schema.json", "templates/_helpers.tpl",
                         "templates/NOTES.txt"):
            assert (chart / required).is_file(), f"{chart.name} lacks {required}"


@pytest.mark.parametrize("missing", OPERATOR_APIS)
def test_rendering_fails_clearly_without_an_operator_api(helm: str, umbrella: Path, missing: str) -> None:
    cmd = template_cmd(helm, umbrella, api_versions=False)
    for api in OPERATOR_APIS:
        if api != missing:
            cmd += ["--api-versions", api]
    result = run(cmd)
    assert result.returncode != 0, f"rendered although {missing} is not served"
    assert f"the cluster does not serve {missing}" in result.stderr, result.stderr
    assert "--api-versions" in result.stderr  # says how to render offline


def test_disabling_a_component_removes_its_operator_requirement(helm: str, umbrella: Path) -> None:
    cmd = template_cmd(helm, umbrella, api_versions=False, extra=(
        "--set", "kafka.enabled=false", "--set", "streaming.enabled=false", "--set", "observability.enabled=false",
        "--set", "api.serviceMonitor.enabled=false", "--set", "mongodb.metrics.serviceMonitor.enabled=false"))
    result = run(cmd)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(
    ("values_file", "expected"),
    [
        ("values-unknown-key.yaml", "Additional property replicaCont is not allowed"),
        ("values-wrong-type.yaml", "Invalid type. Expected: integer"),
        ("values-bad-enum.yaml", "pullPolicy"),
        ("values-bad-global.yaml", "clusterName"),
    ],
)
def test_schema_rejects_invalid_values(helm: str, umbrella: Path, values_file: str, expected: str) -> None:
    for cmd in (template_cmd(helm, umbrella, (FIXTURES / values_file,)),
                [helm, "lint", "--strict", str(umbrella), "--values", str(FIXTURES / values_file)]):
        result = run(cmd)
        output = result.stdout + result.stderr
        assert result.returncode != 0, f"{values_file} was accepted by: {' '.join(cmd[:2])}"
        assert "schema" in output and expected in output, output


def _objects_without_closed_properties(schema: object, path: str = "") -> list[str]:
    """Schema nodes that declare properties but accept undeclared ones (maps declare no properties)."""
    found = []
    if isinstance(schema, dict):
        if "properties" in schema and schema.get("additionalProperties") is not False:
            found.append(path or "/")
        for key, value in schema.items():
            found += _objects_without_closed_properties(value, f"{path}/{key}")
    elif isinstance(schema, list):
        for index, value in enumerate(schema):
            found += _objects_without_closed_properties(value, f"{path}/{index}")
    return found


@pytest.mark.parametrize("chart", SUBCHARTS, ids=lambda p: p.name)
def test_subchart_values_schemas_are_closed(chart: Path) -> None:
    schema = json.loads((chart / "values.schema.json").read_text())
    assert not _objects_without_closed_properties(schema)


def test_umbrella_schema_is_closed_except_for_delegated_subchart_blocks() -> None:
    schema = json.loads((UMBRELLA / "values.schema.json").read_text())
    assert schema["additionalProperties"] is False
    delegated = {f"/properties/{name}" for name in ("kafka", "mongodb", "streaming", "api", "trainer",
                                                     "observability")}
    # Each subchart block is validated by that subchart's own closed schema.
    assert set(_objects_without_closed_properties(schema)) == delegated
