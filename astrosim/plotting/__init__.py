"""Figures from astrosim recordings: raster + rate, traces, rates, calcium with threshold, summary page."""
from ._common import save_figure
from .raster import plot_raster, plot_rates
from .summary import plot_summary
from .traces import plot_calcium, plot_traces

__all__ = ["plot_raster", "plot_rates", "plot_traces", "plot_calcium", "plot_summary", "plot_file", "KINDS"]

KINDS = {
    "raster": plot_raster,
    "traces": plot_traces,
    "rates": plot_rates,
    "calcium": plot_calcium,
    "summary": plot_summary,
}


def plot_file(path, output, kind="summary", group=None, t_start=None, t_stop=None, dpi=120, **options):
    """Open an astrosim HDF5 file, draw one figure of ``kind`` and save it to ``output`` (png/pdf/svg).

    Returns the output path.
    """
    import matplotlib

    if matplotlib.get_backend().lower() not in ("agg", "pdf", "svg", "cairo"):
        matplotlib.use("Agg")
    from astrosim.io import load

    if kind not in KINDS:
        raise ValueError(f"unknown plot kind '{kind}'; choose one of {', '.join(KINDS)}")
    from ._common import check_options

    with load(path) as rec:
        check_options(rec, t_start, t_stop, options.get("batch", 0))
        fig = KINDS[kind](rec, group=group, t_start=t_start, t_stop=t_stop, **options)
        return save_figure(fig, output, dpi=dpi)
