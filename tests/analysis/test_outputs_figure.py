"""compare-attention's outputs.png: colour bars and their labels overlap no heat map."""
import numpy as np


def test_colour_bars_do_not_overlap_panels(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from astrosim.analysis.figures import plot_outputs

    seen = []
    original = Figure.savefig

    def keep(fig, *args, **kwargs):
        seen.append(fig)
        return original(fig, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", keep)
    rng = np.random.default_rng(0)
    panels = {"circuit (spiking)": rng.normal(size=(8, 4)), "astromorphic": rng.normal(size=(8, 4)),
              "linear": 3 * rng.normal(size=(8, 4)), "softmax": 0.1 * rng.normal(size=(8, 4)),
              "|circuit - astro|": 0.01 * np.abs(rng.normal(size=(8, 4)))}
    plot_outputs(panels, tmp_path / "outputs.png", groups={"circuit (spiking)": "a", "astromorphic": "a"},
                 title="circuit 0")
    (fig,) = seen
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)  # the figure was closed after saving
    canvas.draw()
    renderer = canvas.get_renderer()
    maps = [ax for ax in fig.axes if ax.images]
    bars = [ax for ax in fig.axes if not ax.images]
    assert len(maps) == 5 and len(bars) == 4  # one bar per colour scale (two panels share one)
    for bar in bars:
        box = bar.get_tightbbox(renderer)  # with tick labels and label
        for ax in maps:
            assert not box.overlaps(ax.get_window_extent(renderer)), (bar, ax)
    for a, b in zip(maps, maps[1:]):
        assert not a.get_tightbbox(renderer).overlaps(b.get_window_extent(renderer))
