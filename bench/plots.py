"""PNG plots of the benchmark figures. matplotlib is the ``bench`` extra
(``pip install -e '.[bench]'``) and is imported only inside these functions, so printing
figures never needs it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

INSTALL = "matplotlib is not installed: .venv/bin/pip install -e '.[bench]'"


def _pyplot():  # type: ignore[no-untyped-def]
    try:
        import matplotlib
    except ImportError:
        return None
    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


def latency_vs_size(
    directory: Path, sizes: Sequence[int], p50_ms: Mapping[str, Sequence[float]]
) -> Path | str:
    """p50 latency per endpoint against the number of articles (log-log)."""
    plt = _pyplot()
    if plt is None:
        return INSTALL
    directory.mkdir(parents=True, exist_ok=True)
    figure, axes = plt.subplots(figsize=(8, 5))
    for label, values in p50_ms.items():
        axes.plot(sizes, values, marker="o", label=label)
    axes.set_xscale("log")
    axes.set_yscale("log")
    axes.set_xticks(list(sizes), [f"{size:,}" for size in sizes])
    axes.set_xlabel("articles in the database")
    axes.set_ylabel("p50 latency, ms (wrk -c4, one worker, cache off)")
    axes.set_title("Quillpress list endpoints: latency against data size")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="small")
    path = directory / "latency_vs_size.png"
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def throughput(directory: Path, figures: Mapping[str, tuple[float, float]]) -> Path | str:
    """Requests/s per target, each bar labelled with its ratio to the floor."""
    plt = _pyplot()
    if plt is None:
        return INSTALL
    directory.mkdir(parents=True, exist_ok=True)
    labels = list(figures)
    figure, axes = plt.subplots(figsize=(9, 5))
    bars = axes.barh(labels, [figures[label][0] for label in labels])
    for bar, label in zip(bars, labels, strict=True):
        axes.text(
            bar.get_width(),
            bar.get_y() + bar.get_height() / 2,
            f" {figures[label][1]:.2f}x floor",
            va="center",
            fontsize="small",
        )
    axes.invert_yaxis()
    axes.set_xlabel("requests/s (GET a page of 20 articles, one worker)")
    axes.set_title("Throughput per target")
    axes.margins(x=0.2)
    path = directory / "throughput.png"
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path


def soak(
    directory: Path,
    throughput: Sequence[tuple[float, float]],
    rss_mib: Mapping[str, Sequence[tuple[float, float]]],
) -> Path | str:
    """bench/soak.py: requests/s over time above, each instance's RSS over time below."""
    plt = _pyplot()
    if plt is None:
        return INSTALL
    directory.mkdir(parents=True, exist_ok=True)
    figure, (load, memory) = plt.subplots(2, 1, figsize=(9, 6), sharex=True)
    load.plot([t for t, _ in throughput], [rate for _, rate in throughput], drawstyle="steps-post")
    load.set_ylabel("requests/s")
    load.set_ylim(bottom=0)
    load.set_title("Soak through nginx: throughput and RSS per instance")
    for name, series in rss_mib.items():
        memory.plot([t for t, _ in series], [mib for _, mib in series], label=name)
    memory.set_ylabel("RSS (MiB)")
    memory.set_xlabel("seconds into the load")
    memory.set_ylim(bottom=0)
    memory.legend(loc="lower right")
    path = directory / "soak.png"
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path
