"""course_lib.notebook.plotting: the Okabe-Ito palette, the course style, plot_lines and plot_attention (labels
and shape check)."""
from __future__ import annotations

import re

import matplotlib

matplotlib.use("Agg")

import matplotlib as mpl  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.colors import to_hex  # noqa: E402

from course_lib.notebook.plotting import PALETTE, plot_lines, use_course_style  # noqa: E402


# Okabe & Ito (2008), "Color Universal Design", written out independently of course_lib
OKABE_ITO = {"#000000", "#e69f00", "#56b4e9", "#009e73", "#f0e442", "#0072b2", "#d55e00", "#cc79a7"}


@pytest.fixture
def clean_mpl():
    """Restore matplotlib's global settings and close every figure after the test."""
    with mpl.rc_context():
        yield
    plt.close("all")


# ------------------------------------------------------------------------------ plotting
def test_palette_is_okabe_ito():
    assert len(PALETTE) == 8 and len(set(PALETTE)) == 8
    assert {to_hex(c) for c in PALETTE} == OKABE_ITO


def test_use_course_style_sets_the_colour_cycle(clean_mpl):
    mpl.rcParams.update(mpl.rcParamsDefault)
    use_course_style()
    colors = [to_hex(c) for c in mpl.rcParams["axes.prop_cycle"].by_key()["color"]]
    assert colors == [to_hex(c) for c in PALETTE]
    assert set(colors) == OKABE_ITO
    fig, ax = plt.subplots()
    lines = [ax.plot([0, 1], [i, i])[0] for i in range(9)]
    assert [to_hex(line.get_color()) for line in lines] == colors + colors[:1]  # new figures use it
    assert mpl.rcParams["axes.grid"] is True


def test_plot_lines_draws_one_line_per_series(clean_mpl):
    fig, ax = plt.subplots()
    x = np.arange(5)
    series = {"radius 0.5": x * 0.5, "radius 1.0": [1.0] * 5, "radius 2.5": x ** 2.5}
    returned = plot_lines(ax, x, series, xlabel="distance", ylabel="norm", title="gradients", logy=True)
    assert returned is ax
    lines = ax.get_lines()
    assert len(lines) == 3
    assert [line.get_label() for line in lines] == list(series)
    for line, y in zip(lines, series.values()):
        np.testing.assert_array_equal(line.get_xdata(), x)
        np.testing.assert_allclose(line.get_ydata(), np.asarray(y, dtype=float))
    assert len({to_hex(line.get_color()) for line in lines}) == 3
    assert len({line.get_linestyle() for line in lines}) == 3  # apart in greyscale too
    assert ax.get_yscale() == "log"
    assert (ax.get_xlabel(), ax.get_ylabel(), ax.get_title()) == ("distance", "norm", "gradients")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == list(series)


def test_plot_lines_empty_series_has_no_legend(clean_mpl):
    fig, ax = plt.subplots()
    plot_lines(ax, [0, 1], {})
    assert ax.get_lines() == [] and ax.get_legend() is None
    assert ax.get_yscale() == "linear"


def test_plot_lines_rejects_length_mismatch(clean_mpl):
    fig, ax = plt.subplots()
    with pytest.raises(ValueError, match=re.escape("series 'short' has shape (3,), expected (4,)")):
        plot_lines(ax, [0, 1, 2, 3], {"ok": [1, 2, 3, 4], "short": [1, 2, 3]})


def test_plot_attention_labels_and_shape_check():
    from course_lib.notebook.plotting import plot_attention
    fig, ax = plt.subplots()
    w = np.array([[0.9, 0.1, 0.0], [0.0, 0.2, 0.8]])
    plot_attention(ax, w, list("a b"), ["x", "y"], title="map")
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "␣", "b"]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["x", "y"]
    assert np.array_equal(ax.images[0].get_array(), w) and ax.get_title() == "map"
    with pytest.raises(ValueError, match=r"expected \(len\(target\), len\(source\)\) = \(3, 3\)"):
        plot_attention(ax, w, list("abc"), list("xyz"))
    plt.close(fig)
