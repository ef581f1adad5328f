"""One plot style for the whole course: the colour-blind-safe Okabe-Ito palette, light grid, no clutter."""
from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

# Okabe & Ito (2008), "Color Universal Design": distinguishable under the common colour-vision deficiencies.
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
LINESTYLES = ["-", "--", "-.", ":"]


def use_course_style() -> None:
    """Apply the course style to every later matplotlib figure."""
    mpl.rcParams.update({
        "axes.prop_cycle": mpl.cycler(color=PALETTE),
        "figure.figsize": (7.0, 4.0),
        "figure.dpi": 100,
        "axes.grid": True,
        "grid.alpha": 0.3,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.titleweight": "bold",
        "legend.frameon": False,
        "lines.linewidth": 2.0,
        "image.cmap": "viridis",  # perceptually uniform and colour-blind safe
    })


def plot_lines(ax: plt.Axes, x: Sequence[float] | np.ndarray, series: Mapping[str, Sequence[float]],
               *, xlabel: str = "", ylabel: str = "", title: str = "", logy: bool = False) -> plt.Axes:
    """Draw one labelled line per entry of `series` (name -> y values, each as long as `x`).
    Colours and line styles both vary, so the lines stay apart in greyscale too."""
    x = np.asarray(x)
    for i, (name, y) in enumerate(series.items()):
        y = np.asarray(y, dtype=float)
        if y.shape != x.shape:
            raise ValueError(f"series {name!r} has shape {y.shape}, expected {x.shape} (the shape of x)")
        ax.plot(x, y, label=name, color=PALETTE[i % len(PALETTE)], linestyle=LINESTYLES[i % len(LINESTYLES)])
    if logy:
        ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    if series:
        ax.legend()
    return ax


def plot_attention(ax: plt.Axes, weights: np.ndarray, source: Sequence[str], target: Sequence[str], *,
                   title: str = "") -> plt.Axes:
    """An attention map: one row per target token, one column per source token, darker = more weight.

    weights: (len(target), len(source)), e.g. one example's (L, S) from greedy decoding, cut to its real
    length. Spaces in the labels are shown as '␣'."""
    w = np.asarray(weights, dtype=float)
    if w.shape != (len(target), len(source)):
        raise ValueError(f"weights have shape {w.shape}, expected (len(target), len(source)) = "
                         f"({len(target)}, {len(source)})")
    ax.imshow(w, cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto", interpolation="nearest")
    show = lambda tokens: [t.replace(" ", "␣") if t.strip() else "␣" for t in tokens]  # noqa: E731
    ax.set_xticks(np.arange(len(source)), show(source))
    ax.set_yticks(np.arange(len(target)), show(target))
    ax.tick_params(length=0)
    ax.grid(False)
    ax.set(xlabel="source", ylabel="output", title=title)
    return ax
