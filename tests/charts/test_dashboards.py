"""Dashboards parse, are shipped as sidecar ConfigMaps, and query only metrics that exist; same for the alerts."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path

import pytest

from .conftest import CHARTS_DIR, REPO_ROOT, Render

DASHBOARDS = sorted((CHARTS_DIR / "movierecs-observability" / "dashboards").glob("*.json"))
SOURCE_DIRS = (REPO_ROOT / "apps", REPO_ROOT / "spark-jobs")

# Metrics from third-party exporters the dashboards may use, with who exports them. Anything else must be a
# movierecs_* metric exported by this repository's code.
THIRD_PARTY_METRICS = {
    "up": "Prometheus (scrape health)",
    "kafka_server_brokertopicmetrics_messagesin_total": "Kafka JMX exporter (Strimzi kafka-metrics rules)",
    "kafka_server_brokertopicmetrics_bytesin_total": "Kafka JMX exporter (Strimzi kafka-metrics rules)",
    "kafka_server_brokertopicmetrics_bytesout_total": "Kafka JMX exporter (Strimzi kafka-metrics rules)",
    "kafka_server_replicamanager_underreplicatedpartitions": "Kafka JMX exporter (Strimzi kafka-metrics rules)",
    "kafka_controller_kafkacontroller_activecontrollercount": "Kafka JMX exporter (Strimzi kafka-metrics rules)",
    "kafka_controller_kafkacontroller_offlinepartitionscount": "Kafka JMX exporter (Strimzi kafka-metrics rules)",
    "kafka_brokers": "Strimzi Kafka Exporter",
    "kafka_topic_partition_current_offset": "Strimzi Kafka Exporter",
    "kafka_consumergroup_lag": "Strimzi Kafka Exporter",
    "mongodb_up": "percona/mongodb_exporter",
    "mongodb_ss_connections": "percona/mongodb_exporter (--collect-all)",
    "mongodb_ss_opcounters": "percona/mongodb_exporter (--collect-all)",
}
PROMQL_WORDS = {
    "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile", "count_values", "by",
    "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset", "rate",
    "irate", "increase", "delta", "idelta", "histogram_quantile", "clamp_min", "clamp_max", "time", "absent",
    "abs", "label_values", "vector", "scalar", "inf", "nan",
}
SUFFIXES = ("_bucket", "_sum", "_count", "_total", "_created")


def metric_names(expr: str) -> set[str]:
    """Metric names in a PromQL expression (label matchers, strings, ranges and grouping lists removed)."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', " ", expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\$\{?\w+\}?", " ", text)
    names = set()
    for match in re.finditer(r"(?<![\w.])([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?", text):
        word, is_call = match.group(1), match.group(2)
        if not is_call and word not in PROMQL_WORDS and not re.fullmatch(r"\d+[a-z]*", word):
            names.add(word)
    return names


@cache
def exported_source() -> str:
    return "\n".join(p.read_text(errors="replace") for d in SOURCE_DIRS for p in sorted(d.rglob("*.py")))


def is_exported(metric: str) -> bool:
    """A movierecs_* metric is exported when its name (or its base name without a histogram/counter suffix, as
    prometheus-client appends those) appears in apps/ or spark-jobs/."""
    candidates = {metric}
    for suffix in SUFFIXES:
        if metric.endswith(suffix):
            candidates.add(metric.removesuffix(suffix))
    source = exported_source()
    return any(re.search(rf"[\"']{re.escape(c)}[\"']", source) for c in candidates)


def check_metrics(exprs: list[str]) -> list[str]:
    problems = []
    for expr in exprs:
        names = metric_names(expr)
        if not names:
            problems.append(f"no metric found in {expr!r}")
        for name in names:
            if name.startswith("movierecs_"):
                if not is_exported(name):
                    problems.append(f"{name} is not exported by apps/ or spark-jobs/ ({expr!r})")
            elif name not in THIRD_PARTY_METRICS:
                problems.append(f"{name} is neither a movierecs_ metric nor a known exporter metric ({expr!r})")
    return problems


def test_metric_name_extraction() -> None:
    expr = ('histogram_quantile(0.99, sum by (le, route) (rate(movierecs_api_request_seconds_bucket'
            '{namespace="$namespace",status=~"5.."}[$__rate_interval]))) / time() - max(up)')
    assert metric_names(expr) == {"movierecs_api_request_seconds_bucket", "up"}


def test_there_are_four_dashboards() -> None:
    assert {p.stem for p in DASHBOARDS} == {"api", "streaming", "kafka-mongodb", "model"}


@pytest.mark.parametrize("path", DASHBOARDS, ids=lambda p: p.stem)
def test_dashboard_parses_and_queries_exported_metrics(path: Path) -> None:
    dashboard = json.loads(path.read_text())
    assert dashboard["uid"] and dashboard["title"] and dashboard["panels"]
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    assert exprs and all(p.get("targets") for p in dashboard["panels"])
    assert not check_metrics(exprs), "\n".join(check_metrics(exprs))


def test_dashboard_uids_are_unique() -> None:
    uids = [json.loads(p.read_text())["uid"] for p in DASHBOARDS]
    assert len(uids) == len(set(uids))


def test_dashboards_ship_as_sidecar_config_maps(render: Render) -> None:
    shipped = {}
    for cm in render.of_kind("ConfigMap"):
        if cm["metadata"].get("labels", {}).get("grafana_dashboard") == "1":
            (filename, content) = next(iter(cm["data"].items()))
            shipped[filename] = json.loads(content)
    assert set(shipped) == {p.name for p in DASHBOARDS}
    for path in DASHBOARDS:
        assert shipped[path.name] == json.loads(path.read_text())


def test_alerts_cover_the_issue_and_query_exported_metrics(render: Render) -> None:
    (rule,) = render.of_kind("PrometheusRule")
    alerts = {r["alert"]: r for g in rule["spec"]["groups"] for r in g["rules"]}
    for required in ("MovierecsApiHighErrorRate", "MovierecsApiHighLatencyP99", "MovierecsStreamingLagHigh",
                     "MovierecsStreamingStalled", "MovierecsDeadLetterRateHigh", "MovierecsModelStale"):
        assert required in alerts
    for alert in alerts.values():
        assert alert["labels"]["severity"] in {"warning", "critical"}
        assert alert["annotations"]["summary"]
    problems = check_metrics([a["expr"] for a in alerts.values()])
    assert not problems, "\n".join(problems)
