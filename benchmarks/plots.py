"""Precision / recall (and alerts) against threshold, per matcher, as PNG files."""

from __future__ import annotations

from pathlib import Path

COLOURS = {
    "tamiz": "#1b7837",
    "logic-v2": "#2166ac",
    "logic-v1": "#67a9cf",
    "rapidfuzz": "#b2182b",
}


def _colour(name: str) -> str:
    return COLOURS.get(name, "#555555")


def _mark_threshold(ax, results: dict, name: str) -> None:
    t = results["matchers"].get(name, {}).get("threshold")
    if t is not None:
        ax.axvline(t, color=_colour(name), linestyle=":", linewidth=1.2)


def write_plots(results: dict, folder: Path) -> list[Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    q = results.get("quality") or {}
    thresholds = q.get("thresholds")
    if not thresholds:
        return []
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []

    pair_sets = q.get("pairs") or {}
    if pair_sets:
        fig, axes = plt.subplots(
            1, len(pair_sets), figsize=(6 * len(pair_sets), 4.5), squeeze=False
        )
        for ax, (group, data) in zip(axes[0], pair_sets.items(), strict=True):
            for name, m in data["matchers"].items():
                curve = m["curve"]
                # No prediction at all leaves precision undefined: a gap, not a 1.0.
                precision = [float("nan") if v is None else v for v in curve["precision"]]
                ax.plot(thresholds, precision, color=_colour(name), label=f"{name} precision")
                ax.plot(
                    thresholds,
                    curve["recall"],
                    color=_colour(name),
                    linestyle="--",
                    label=f"{name} recall",
                )
                _mark_threshold(ax, results, name)
            ax.set_title(f"{group}: {data['positives']} matches, {data['negatives']} non-matches")
            ax.set_xlabel("threshold (dotted: each matcher's default)")
            ax.set_ylim(0, 1.02)
            ax.grid(alpha=0.3)
        axes[0][0].set_ylabel("precision (solid) / recall (dashed)")
        axes[0][-1].legend(fontsize=7, loc="lower left")
        fig.suptitle("Record-linkage pairs: precision and recall against threshold")
        fig.tight_layout()
        path = folder / "pairs_precision_recall.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)

    alias = q.get("alias") or {}
    clean = q.get("clean") or {}
    if alias or clean:
        fig, (left, right) = plt.subplots(1, 2, figsize=(12, 4.5))
        styles = ["-", "--", "-.", ":"]
        for i, (group, data) in enumerate(alias.items()):
            for name, m in data["matchers"].items():
                left.plot(
                    thresholds,
                    m["curve"],
                    color=_colour(name),
                    linestyle=styles[i % 4],
                    label=f"{name} · {group}",
                )
        for name in results["matchers"]:
            _mark_threshold(left, results, name)
            _mark_threshold(right, results, name)
        left.axhline(0.99, color="black", linewidth=0.6)
        left.set_title("Recall: held-out alias finds its entity first (≥ threshold)")
        left.set_xlabel("threshold (dotted: defaults; line: 99% target)")
        left.set_ylim(0, 1.02)
        left.grid(alpha=0.3)
        left.legend(fontsize=7, loc="lower left")
        pooled: dict[str, list[float]] = {}
        counts: dict[str, int] = {}
        for group, data in clean.items():
            if "name only" in group:
                continue
            for name, m in data["matchers"].items():
                n = m["n"]
                acc = pooled.setdefault(name, [0.0] * len(thresholds))
                pooled[name] = [a + c * n for a, c in zip(acc, m["curve"], strict=True)]
                counts[name] = counts.get(name, 0) + n
        for name, acc in pooled.items():
            right.plot(thresholds, [a / counts[name] for a in acc], color=_colour(name), label=name)
        right.axhline(2, color="black", linewidth=0.6)
        right.set_yscale("symlog", linthresh=1)
        right.set_ylim(bottom=0)
        right.set_title("False alerts per 1,000 clean names (vr sets with attributes + census)")
        right.set_xlabel("threshold (dotted: defaults; line: target 2 / 1,000)")
        right.grid(alpha=0.3)
        right.legend(fontsize=8)
        fig.tight_layout()
        path = folder / "screening_recall_alerts.png"
        fig.savefig(path, dpi=110)
        plt.close(fig)
        written.append(path)
    return written
