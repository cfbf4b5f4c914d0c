"""Restricted Pod Security Standard for every pod the charts define, and NetworkPolicies in front of them."""

from __future__ import annotations

from .conftest import Render
from .pods import pod_templates, selects


def test_pods_meet_the_restricted_standard(render: Render) -> None:
    problems = []
    for pod in pod_templates(render.objects):
        pod_ctx = pod.spec.get("securityContext", {})
        if pod_ctx.get("runAsNonRoot") is not True:
            problems.append(f"{pod.owner}: pod runAsNonRoot")
        if pod_ctx.get("seccompProfile", {}).get("type") != "RuntimeDefault":
            problems.append(f"{pod.owner}: pod seccompProfile")
        if pod.spec.get("hostNetwork") or pod.spec.get("hostPID") or pod.spec.get("hostIPC"):
            problems.append(f"{pod.owner}: host namespaces")
        for container in pod.containers:
            ctx = container.get("securityContext", {})
            where = f"{pod.owner}/{container['name']}"
            if ctx.get("allowPrivilegeEscalation") is not False:
                problems.append(f"{where}: allowPrivilegeEscalation")
            if ctx.get("readOnlyRootFilesystem") is not True:
                problems.append(f"{where}: readOnlyRootFilesystem")
            if ctx.get("capabilities", {}).get("drop") != ["ALL"] or ctx.get("capabilities", {}).get("add"):
                problems.append(f"{where}: capabilities")
            if ctx.get("privileged"):
                problems.append(f"{where}: privileged")
            if ctx.get("runAsUser", pod_ctx.get("runAsUser")) in (None, 0):
                problems.append(f"{where}: runs as root")
        for volume in pod.spec.get("volumes", []):
            if "hostPath" in volume:
                problems.append(f"{pod.owner}: hostPath volume {volume['name']}")
    assert not problems, f"[{render.profile}]\n" + "\n".join(problems)


def test_strimzi_managed_containers_get_the_restricted_context(render: Render) -> None:
    kafka = render.of_kind("Kafka")[0]["spec"]
    (pool,) = render.of_kind("KafkaNodePool")
    contexts = [pool["spec"]["template"]["kafkaContainer"]["securityContext"],
                kafka["entityOperator"]["template"]["topicOperatorContainer"]["securityContext"],
                kafka["entityOperator"]["template"]["userOperatorContainer"]["securityContext"]]
    if "kafkaExporter" in kafka:
        contexts.append(kafka["kafkaExporter"]["template"]["container"]["securityContext"])
    for ctx in contexts:
        assert ctx["allowPrivilegeEscalation"] is False and ctx["capabilities"]["drop"] == ["ALL"]
        assert ctx["runAsNonRoot"] is True and ctx["seccompProfile"]["type"] == "RuntimeDefault"
    listeners = kafka["kafka"]["listeners"]
    assert all(li.get("networkPolicyPeers") for li in listeners), "Strimzi listeners must restrict their peers"


def test_every_pod_is_covered_by_a_network_policy(render: Render) -> None:
    policies = render.of_kind("NetworkPolicy")
    for pod in pod_templates(render.objects):
        covering = [p for p in policies if selects(p["spec"]["podSelector"].get("matchLabels", {}), pod.labels)
                    or (render.values.get("networkPolicy", {}).get("defaultDenyIngress")
                    and p["spec"]["podSelector"] == {})]
        assert covering, f"[{render.profile}] no NetworkPolicy selects {pod.owner}"


def test_no_pod_mounts_a_service_account_token_it_does_not_need(render: Render) -> None:
    for pod in pod_templates(render.objects):
        if pod.owner.startswith("SparkApplication/"):
            continue  # the Spark driver talks to the API server to manage its executors
        assert pod.spec.get("automountServiceAccountToken") is False, pod.owner
