"""compare-attention end to end at tiny size (Brian2 back end)."""
import json

from astrosim.cli import main


def test_compare_attention_command_writes_report(tmp_path):
    out = tmp_path / "rep"
    rc = main(["compare-attention", "--backend", "brian2", "--batch", "2", "--tokens", "3", "--dim", "2",
               "--hidden", "2", "--time-per-token", "0.01", "--times", "0.01,0.02", "--hiddens", "2",
               "--out", str(out)])
    assert rc == 0
    rep = json.loads((out / "report.json").read_text())
    rate = rep["comparison"]["astromorphic"]["rate"]["scores"]["astromorphic"]["rel_error"]["mean"]
    assert rate < 1e-10
    assert len(rep["time_sweep"]["rows"]) == 2
    for name in ("outputs.png", "error_vs_time.png", "error_vs_hidden.png", "calcium_alpha.png", "report.md"):
        assert (out / name).stat().st_size > 0
