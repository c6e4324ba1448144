"""``astrosim plot`` on a sweep folder: a result against one grid axis, or a map over two."""
import pytest

from astrosim.cli import main


@pytest.mark.parametrize("extra", [["--x", "I0"], ["--x", "I0", "--at", "tau=0.02"], ["--x", "I0", "--y", "tau"]])
def test_plot_a_result_against_grid_axes(tmp_path, reference, extra):
    out = tmp_path / "fig.png"
    assert main(["plot", str(reference.path), "--var", "count", "-o", str(out), *extra]) == 0
    assert out.stat().st_size > 5000


@pytest.mark.parametrize("extra, message", [
    (["--var", "v_end", "--x", "I0"], "values per point"),
    (["--var", "nope", "--x", "I0"], "no result 'nope'"),
    (["--var", "count", "--x", "tauu"], "no grid axis 'tauu'"),
    (["--x", "I0"], "say which result"),
])
def test_plot_refuses_what_it_cannot_draw(tmp_path, reference, capsys, extra, message):
    assert main(["plot", str(reference.path), "-o", str(tmp_path / "f.png"), *extra]) == 2
    assert message in capsys.readouterr().err
