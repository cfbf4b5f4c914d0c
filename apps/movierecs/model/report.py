"""The evaluation report: a console table beside the published numbers, a JSON file and a PNG chart."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from movierecs.model.evaluation import PUBLISHED_ML100K, ProtocolResult

OURS = "movierecs (this run)"


def format_table(results: Sequence[ProtocolResult]) -> str:
    a, b = results[0], results[1]
    lines = [
        f"(a) Microsoft Recommenders ML-100K protocol: stratified 75/25 split (seed 42), top-10, {a.users} users",
        f"{'model':<50}{'MAP':>8}{'nDCG@10':>9}{'P@10':>8}{'R@10':>8}",
        _row(OURS, a.model),
        _row(OURS + " [last 200]", a.model_recent),
    ]
    lines += [_row(name + " (published)", values) for name, values in PUBLISHED_ML100K.items()]
    lines += [
        _row("popularity (this run)", a.popularity),
        "",
        f"(b) temporal leave-last-out, full catalogue minus history, {b.users} users",
        f"{'model':<50}{'HR@10':>8}{'nDCG@10':>9}",
        f"{OURS:<50}{b.model['hit_rate_at_k']:>8.4f}{b.model['ndcg_at_k']:>9.4f}",
        f"{'popularity (this run)':<50}{b.popularity['hit_rate_at_k']:>8.4f}{b.popularity['ndcg_at_k']:>9.4f}",
        f"{'ratio model / popularity':<50}{_ratio(b, 'hit_rate_at_k'):>8.2f}{_ratio(b, 'ndcg_at_k'):>9.2f}",
        "",
        f"training time: (a) {a.train_seconds:.1f} s, (b) {b.train_seconds:.1f} s",
    ]
    return "\n".join(lines)


def _row(name: str, values: dict[str, float]) -> str:
    cells = [values.get(key) for key in ("map", "ndcg_at_k", "precision_at_k", "recall_at_k")]
    widths = (8, 9, 8, 8)
    return f"{name:<50}" + "".join(
        f"{v:>{w}.4f}" if v is not None else f"{'—':>{w}}" for v, w in zip(cells, widths, strict=True)
    )


def _ratio(result: ProtocolResult, key: str) -> float:
    base = result.popularity[key]
    return result.model[key] / base if base else float("inf")


def build_report(results: Sequence[ProtocolResult], dataset: dict[str, Any], config: dict[str, Any],
                 command: str) -> dict[str, Any]:
    return {
        "created_at": datetime.now(UTC).isoformat(),
        "command": command,
        "dataset": dataset,
        "config": config,
        "published_ml100k": PUBLISHED_ML100K,
        "protocols": [asdict(r) for r in results],
    }


def write_report(report: dict[str, Any], results: Sequence[ProtocolResult], out_dir: Path) -> tuple[Path, Path]:
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path = out_dir / "model-evaluation.json"
    json_path.write_text(json.dumps(report, indent=2, default=str))
    png_path = out_dir / "model-evaluation.png"
    write_chart(results, png_path)
    return json_path, png_path


def write_chart(results: Sequence[ProtocolResult], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    a, b = results[0], results[1]
    names = ["movierecs", "movierecs\n[last 200]", *PUBLISHED_ML100K, "popularity"]
    series = [a.model, a.model_recent, *PUBLISHED_ML100K.values(), a.popularity]
    colors = ["#1f77b4", "#6baed6"] + ["#999999"] * len(PUBLISHED_ML100K) + ["#d62728"]
    fig, axes = plt.subplots(1, 3, figsize=(15, 4.5), gridspec_kw={"width_ratios": [3, 3, 2]})
    for ax, key, title in ((axes[0], "ndcg_at_k", "(a) nDCG@10"), (axes[1], "map", "(a) MAP")):
        values = [s[key] for s in series]
        bars = ax.bar(range(len(names)), values, color=colors)
        ax.bar_label(bars, fmt="%.3f", fontsize=7)
        ax.set_xticks(range(len(names)), names, rotation=35, ha="right", fontsize=8)
        ax.set_title(title + " — ML-100K, Recommenders split (grey: published)")
    labels = ["HR@10", "nDCG@10"]
    width = 0.38
    for offset, (label, metrics, color) in enumerate(
        (("movierecs", b.model, "#1f77b4"), ("popularity", b.popularity, "#d62728"))
    ):
        heights = [metrics["hit_rate_at_k"], metrics["ndcg_at_k"]]
        bars = axes[2].bar([i + offset * width for i in range(2)], heights, width, label=label, color=color)
        axes[2].bar_label(bars, fmt="%.3f", fontsize=7)
    axes[2].set_xticks([i + width / 2 for i in range(2)], labels)
    axes[2].set_title("(b) leave-last-out, full catalogue")
    axes[2].legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
