"""``astrosim generate`` and the LM part of ``compare-attention`` on a tiny causal LM trained here."""
import json
from pathlib import Path

import pytest

torch = pytest.importorskip("torch")

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="module")
def lm_run(tmp_path_factory):
    import os

    from astrosim.train.session import make_config, run_training

    root = tmp_path_factory.mktemp("lm")
    old = os.environ.get("ASTROSIM_DATA")
    os.environ["ASTROSIM_DATA"] = str(root / "cache")
    cfg = make_config("sotu", "astromorphic", root / "run", model={"dim": 8, "heads": 2, "layers": 1, "dropout": 0.0},
                      data={"seq_len": 8}, epochs=1, limit=40, limit_test=10, batch_size=16, device="cpu",
                      progress=False)
    run_training(cfg, source=FIXTURES / "sotu")
    yield root / "run"
    if old is None:
        os.environ.pop("ASTROSIM_DATA", None)
    else:
        os.environ["ASTROSIM_DATA"] = old


def _generate(run, attention, tmp_path, tokens=3):
    from astrosim.cli import main

    out = tmp_path / f"{attention}.json"
    rc = main(["generate", "--source", str(run), "--prompt", "the congress", "--tokens", str(tokens),
               "--attention", attention, "--backend", "brian2", "--time-per-token", "0.01", "--out", str(out)])
    assert rc == 0
    return json.loads(out.read_text())


def test_generate_rate_circuit_continues_like_the_model(lm_run, tmp_path):
    algo = _generate(lm_run, "algorithmic", tmp_path, tokens=2)
    rate = _generate(lm_run, "rate", tmp_path, tokens=2)
    assert len(algo["continuation"]) == 2
    # the rate circuit computes the model's causal attention exactly, so greedy decoding agrees
    assert rate["ids"] == algo["ids"]


def test_generate_spiking_circuit_end_to_end(lm_run, tmp_path):
    spk = _generate(lm_run, "spiking", tmp_path, tokens=1)
    assert len(spk["ids"]) == 1 and all(isinstance(i, int) for i in spk["ids"])


def test_compare_attention_on_lm_reports_perplexity_and_agreement(lm_run, tmp_path):
    from astrosim.cli import main

    out = tmp_path / "cmp"
    rc = main(["compare-attention", "--source", str(lm_run), "--examples", "2", "--model-tokens", "8", "--tiers", "rate",
               "--backend", "brian2", "--time-per-token", "0.01", "--out", str(out)])
    assert rc == 0
    rows = json.loads((out / "lm.json").read_text())["rows"]
    assert rows["rate"]["agreement"] == 1.0 and rows["rate"]["tokens"] == 16
    assert rows["rate"]["perplexity"] == pytest.approx(rows["algorithmic"]["perplexity"], rel=1e-4)
    assert main(["compare-attention", "--source", str(lm_run), "--tiers", "rate,exotic", "--out", str(out)]) == 2


def test_generate_refuses_a_classifier_run(tmp_path):
    from astrosim.cli import main

    (tmp_path / "config.json").write_text(json.dumps({"config": {"task": "imdb", "attention": "astromorphic",
                                                                 "out": str(tmp_path)}}))
    assert main(["generate", "--source", str(tmp_path / "nowhere"), "--prompt", "a"]) == 2
