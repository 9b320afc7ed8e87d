"""The miniature table of issue 16 in its fast variant (one seed of the tiny
tabular task): every row present, every preference-trained method beating
SFT under the gold reward by more than the standard error of its sampled
cross-check, exact figures consistent with sampling and with the library's
own best-of-n formulas; the over-optimisation PNG; the command line's
``rlhf table`` and ``rlhf train`` (exit status 2 on bad arguments, JSON on
stdout). The whole table script (≥ 5 seeds of summarise) is bench/rlhf_table.py."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pytest

import swiftpg
from swiftpg import cli, rlhf, rlhf_table

# One seed of the tiny tabular task (85 responses per prompt, 3 prompts).
FAST = dict(task="tiny", seeds=1, budget=1024, batch_size=32, learning_rate=0.05, demonstrations=1000,
            comparisons=2000, human_samples=4000, check_samples=4000, curve_points=4, dpo_epochs=5,
            curve_best_of=64)


@pytest.fixture(scope="module")
def table():
    return rlhf_table.run_table(rlhf_table.TableConfig(**FAST))


def test_the_table_has_every_row_and_prints_them(table):
    s = table.summary()
    assert list(s["rows"]) == list(rlhf_table.METHODS)
    text = table.format()
    for row in rlhf_table.METHODS:
        assert (f"best-of-{table.config.best_of}" if row == "best-of-n" else row) in text
    assert "lecture" in text and "77.9" in text          # the lecture's RLOO k=4 beside ours
    json.dumps(s)                                          # JSON-ready


def test_every_method_beats_sft_by_more_than_its_standard_error(table):
    figures = table.records[0]["methods"]
    sft = figures["SFT"]
    assert sft["win_rate"] == pytest.approx(0.5, abs=1e-12) and abs(sft["kl"]) < 1e-12
    for row, f in figures.items():
        assert f["kl"] >= 0, row
        # The exact win rate agrees with its sampled cross-check ...
        assert abs(f["win_rate_sampled"] - f["win_rate"]) < 4 * f["win_rate_sampled_se"], (row, f)
        assert 0 < f["human_win_rate_se"] < 0.02 and 0 <= f["human_win_rate"] <= 1, (row, f)
        if row == "SFT":
            continue
        # ... and every preference-trained method beats SFT by more than that standard error.
        assert f["win_rate"] - 0.5 > 3 * f["win_rate_sampled_se"], (row, f)
        assert f["gold"] > sft["gold"] and f["human_win_rate"] > sft["human_win_rate"], (row, f)
    online = [r for r in rlhf_table.METHODS if rlhf_table.ROWS[r][0] in rlhf_table.ONLINE]
    for row in online:
        assert figures[row]["samples"] == table.config.budget and figures[row]["seconds"] > 0


def test_curves_start_at_sft_and_best_of_n_matches_the_library(table):
    curves = table.curves[0]
    pipeline = rlhf_table.prepare(table.config, table.records[0]["seed"])       # the same seed: the same pipeline
    try:
        for row in ("REINFORCE", "RLOO k=4", "PPO"):
            points = curves[row]
            assert len(points) == table.config.curve_points + 1
            assert points[0]["samples"] == 0 and abs(points[0]["kl"]) < 1e-12
            assert points[-1]["samples"] == table.config.budget
            assert points[-1]["kl"] == pytest.approx(table.records[0]["methods"][row]["kl"], rel=1e-9)
        w = pipeline.prompt_probs
        for point in curves["best-of-n"]:
            n = point["n"]
            kl = sum(w[x] * rlhf.best_of_n_kl(np.exp(pipeline.reference_log_probs[x]), pipeline.scores[x], n)
                     for x in range(len(w)))
            assert point["kl"] == pytest.approx(kl, abs=1e-9)
            assert point["kl"] <= rlhf.best_of_n_kl_bound(n) + 1e-12
        assert [p["n"] for p in curves["best-of-n"]] == [1, 2, 4, 8, 16, 32, 64]
        assert pipeline.reference_log_probs.shape == pipeline.gold.shape == (3, 85)
    finally:
        pipeline.close()


def test_plot_and_files(table, tmp_path, monkeypatch):
    pytest.importorskip("matplotlib")
    path = table.plot(tmp_path / "curves.png")
    with open(path, "rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    files = rlhf_table.save_table(table, tmp_path / "out")
    assert json.load(open(files["json"]))["rows"]["PPO"]["kl"]["se"] is None      # one seed: no standard error
    assert open(files["text"]).read().startswith("The miniature table")
    with pytest.raises(swiftpg.CheckpointIOError):
        table.plot(tmp_path / "missing" / "x.png")
    import sys
    monkeypatch.setitem(sys.modules, "matplotlib", None)            # as if it were not installed
    with pytest.raises(ImportError, match=r"swiftpg\[plot\]"):
        table.plot(tmp_path / "y.png")


@pytest.mark.parametrize("changes, error, words", [
    (dict(budget=100, batch_size=64), swiftpg.InvalidArgumentError, "multiple of batch_size"),
    (dict(batch_size=6, budget=60), swiftpg.InvalidArgumentError, "multiple of 4"),
    (dict(methods="SFT"), swiftpg.DTypeError, "methods"),
    (dict(methods=("SFT", "SFT")), swiftpg.InvalidArgumentError, "at most once"),
    (dict(beta=0.0), swiftpg.InvalidArgumentError, "DPO"),
    (dict(beta=float("nan")), swiftpg.InvalidArgumentError, "beta"),
    (dict(task="nope"), swiftpg.InvalidArgumentError, "task"),
    (dict(seeds=0), swiftpg.InvalidArgumentError, "seeds"),
    (dict(seeds=1.5), swiftpg.DTypeError, "seeds"),
])
def test_config_refuses_bad_values(changes, error, words):
    with pytest.raises(error, match=words):
        rlhf_table.TableConfig(**changes)


def test_functions_refuse_what_they_cannot_use(table):
    for cls in (rlhf_table.Pipeline, rlhf_table.MethodResult, rlhf_table.Table):
        with pytest.raises(swiftpg.DTypeError, match="made by"):
            cls()
    with pytest.raises(swiftpg.DTypeError, match="TableConfig"):
        rlhf_table.run_table(None)
    with pytest.raises(swiftpg.DTypeError, match="pipeline"):
        rlhf_table.train_method(table, "rloo", table.config)
    config = rlhf_table.TableConfig(**dict(FAST, demonstrations=50, comparisons=50, human_samples=50))
    pipeline = rlhf_table.prepare(config, 3)
    with pipeline_closed(pipeline):
        for method, k, words in (("rebel", 4, "pairs"), ("rloo", 1, "k >= 2"), ("grpo", 3, "divide"),
                                 ("sft", 2, "does not apply"), ("nope", None, "method")):
            with pytest.raises(swiftpg.InvalidArgumentError, match=words):
                rlhf_table.train_method(pipeline, method, config, k=k)
        stopped = rlhf_table.train_method(pipeline, "remax", config, callback=lambda stats: False)
        assert len(stopped.history) == 1 and stopped.samples == config.batch_size
        best = rlhf_table.train_method(pipeline, "best-of-n", config, k=4)
        assert len(best.sample(np.zeros(5, np.int32), seed=1)) == 5
    assert len(stopped.sample(np.zeros(2, np.int32))) == 2     # a trained policy outlives its pipeline
    with pytest.raises(swiftpg.ClosedError):
        best.sample(np.zeros(2, np.int32))                     # best-of-n samples the pipeline's reference


class pipeline_closed:
    def __init__(self, pipeline):
        self.pipeline = pipeline

    def __enter__(self):
        return self.pipeline

    def __exit__(self, *exc):
        self.pipeline.close()
        assert self.pipeline.closed


# ------------------------------------------------------------------------------------ command line

def run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


TINY = ["--task", "tiny", "--budget", "256", "--batch-size", "16", "--demonstrations", "500", "--comparisons",
        "500", "--human-samples", "500", "--check-samples", "500", "--dpo-epochs", "2"]


@pytest.mark.parametrize("argv, words", [
    (["table", "--seeds", "0"], "--seeds"),
    (["table", "--budget", "100"], "--budget"),
    (["table", "--batch-size", "6"], "--batch-size"),
    (["table", "--beta", "-1"], "--beta"),
    (["table", "--first-seed", "-1"], "--first-seed"),
    (["table", "--best-of", "0"], "--best-of"),
    (["table", "--methods", "bogus"], "--methods"),
    (["table", "--task", "nope"], "--task"),
    (["table", "--out", "/etc/hostname"], "--out"),
    (["table", "--plot", "/tmp/curves.svg"], "--plot"),
    (["table", "--plot", "/tmp/x.png", "--no-plot"], "--no-plot"),
    (["train", "--method", "rebel", "--k", "4"], "--k"),
    (["train", "--method", "rloo", "--k", "3"], "--k"),
    (["train", "--method", "dpo", "--k", "2"], "--k"),
    (["train", "--method", "nope"], "--method"),
    (["train", "--method", "rloo", "--seed", "-1"], "--seed"),
    (["train", "--method", "rloo", "--save", "/tmp"], "--save"),
    (["train", "--method", "ppo", "--learning-rate", "0"], "--learning-rate"),
    (["train"], "--method"),
])
def test_cli_refuses_bad_arguments_before_training(capsys, argv, words):
    try:
        code, _, err = run(capsys, "rlhf", *argv)
    except SystemExit as exit:                             # argparse's own checks (choices, required)
        code, err = exit.code, capsys.readouterr().err
    assert code == 2 and words in err, err
    assert not any(line.startswith(("iter", "SFT:", "seed ")) for line in err.splitlines()), err


def test_cli_train_prints_progress_and_json(capsys, tmp_path):
    code, out, err = run(capsys, "rlhf", "train", "--method", "rloo", "--k", "4", *TINY, "--json",
                         "--save", str(tmp_path / "policy.ckpt"))
    assert code == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["method"] == "rloo" and summary["k"] == 4 and summary["samples"] == 256
    assert summary["iterations"] == 16 and len([l for l in err.splitlines() if l.startswith("iter")]) == 16
    assert summary["kl"] >= 0 and 0 <= summary["win_rate"] <= 1 and math.isfinite(summary["human_win_rate_se"])
    assert rlhf.SequencePolicy.load(summary["policy"]).family == "tabular"
    code, out, err = run(capsys, "rlhf", "train", "--method", "dpo", *TINY)
    assert code == 0 and "win rate vs SFT" in out and err.count("epoch") == 2, err


def test_cli_table_writes_its_files(capsys, tmp_path):
    code, out, err = run(capsys, "rlhf", "table", "--seeds", "2", "--methods", "sft", "rloo-k2", "best-of-n",
                         *TINY, "--out", str(tmp_path / "run"), "--json", "--quiet", "--no-plot")
    assert code == 0 and err == "", err
    summary = json.loads(out)
    assert list(summary["rows"]) == ["SFT", "RLOO k=2", "best-of-n"] and summary["seeds"] == [0, 1]
    assert summary["rows"]["RLOO k=2"]["win_rate"]["se"] is not None
    assert sorted(os.listdir(tmp_path / "run")) == ["table.json", "table.txt"]


def test_cli_plot_without_matplotlib_names_the_extra(capsys, tmp_path, monkeypatch):
    import importlib.util
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name))
    code, _, err = run(capsys, "rlhf", "table", *TINY, "--plot", str(tmp_path / "curves.png"))
    assert code == 2 and "swiftpg[plot]" in err and "--plot" in err
    # With --out the table is still written, without the PNG, and a note says why.
    code, out, err = run(capsys, "rlhf", "table", "--seeds", "1", "--methods", "sft", "reinforce", *TINY,
                         "--out", str(tmp_path / "run"))
    assert code == 0 and "swiftpg[plot]" in err and out.startswith("The miniature table")
    assert sorted(os.listdir(tmp_path / "run")) == ["table.json", "table.txt"]
