"""The command line: every argument checked before training, --steps in
env steps for every algorithm, early stops on evaluation episodes, exact
resume, eval / envs / algos subcommands."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

import swiftpg
from swiftpg import cli


def run(capsys, *argv) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def summary(out: str) -> dict:
    return json.loads(out.strip().splitlines()[-1])


@pytest.mark.parametrize("argv, words", [
    (["--eval-episodes", "0"], "--eval-episodes"),
    (["--steps", "0"], "--steps"),
    (["--num-envs", "0"], "--num-envs"),
    (["--eval-freq", "-5"], "--eval-freq"),
    (["--plot", "/etc/hostname/curve.png"], "not a directory"),
    (["--save-freq", "100"], "--save-dir"),
    (["--resume", "/nonexistent.swiftpg"], "no such file"),
    (["--config", "gamma=7"], "gamma"),
    (["--config", "nonsense"], "key=value"),
    (["--policy", "bogus=1"], "bogus"),
    (["--target", "nan"], "--target"),
    (["--plot", "curve.xyz"], "cannot write .xyz"),
    (["--config", "seed=5"], "--seed"),
    (["--seed", "-1"], "--seed"),
    (["--checkpoint", "/tmp"], "is a directory"),
    (["--resume", "/tmp"], "is a directory"),
])
def test_bad_arguments_fail_before_training(capsys, argv, words):
    code, out, err = run(capsys, "train", "CartPole-v1", "--algo", "ppo", "--quiet", *argv)
    assert code == 2 and words in err and "iter" not in err, err


def test_a_plot_path_that_is_a_directory_or_missing_matplotlib_fails_first(capsys, tmp_path, monkeypatch):
    code, _, err = run(capsys, "train", "CartPole-v1", "--plot", str(tmp_path), "--quiet")
    assert code == 2 and "is a directory" in err
    real = cli.importlib.util.find_spec
    monkeypatch.setattr(cli.importlib.util, "find_spec", lambda name, *a: None if name == "matplotlib" else real(name))
    code, _, err = run(capsys, "train", "CartPole-v1", "--plot", str(tmp_path / "x.png"), "--quiet")
    assert code == 2 and "swiftpg[plot]" in err


def test_search_options_are_honoured_or_refused(capsys):
    code, _, err = run(capsys, "train", "Pendulum-v1", "--algo", "cem", "--quiet")
    assert code == 2 and "discrete" in err
    code, _, err = run(capsys, "train", "CartPole-v1", "--algo", "ga", "--policy", "gsde=true", "--quiet")
    assert code == 2 and "gsde" in err and "hidden_sizes" in err
    code, _, err = run(capsys, "train", "CartPole-v1", "--algo", "cem", "--resume", "x.swiftpg", "--quiet")
    assert code == 2 and "--resume" in err
    code, _, err = run(capsys, "train", "CartPole-v1", "--algo", "cem", "--save-dir", "x", "--quiet")
    assert code == 2 and "--save-dir" in err
    # --steps counts env steps; --num-envs, --policy hidden_sizes and --stochastic-eval apply.
    code, out, err = run(capsys, "train", "CartPole-v1", "--algo", "cem", "--steps", "3000", "--num-envs", "3",
                         "--policy", "hidden_sizes=4", "--stochastic-eval", "--eval-episodes", "5",
                         "--no-early-stop", "--json", "--quiet", "--config", "population_size=10", "elite_count=2",
                         "episodes_per_evaluation=3")
    s = summary(out)
    assert code == 0 and s["env_steps"] >= 3000 and s["eval_greedy"] is False, err
    assert s["iterations"] >= 1 and s["stopped_early"] is False


def test_policy_hidden_sizes_parse_as_a_tuple():
    assert cli._parse_value("32,32") == (32, 32) and cli._parse_value("64") == 64
    assert cli._parse_value("1e-3") == 1e-3 and cli._parse_value("true") is True


def test_early_stop_uses_evaluation_episodes(capsys):
    code, out, err = run(capsys, "train", "CartPole-v1", "--algo", "ppo", "--steps", "100000", "--target", "60",
                         "--eval-freq", "2048", "--eval-during", "10", "--eval-episodes", "10", "--json", "--quiet")
    s = summary(out)
    assert code == 0 and s["stopped_early"], err
    evals = s["evaluations"]
    # It stopped at the first evaluation that reached the target, and only then.
    assert evals[-1]["mean_return"] >= 60 and all(e["mean_return"] < 60 for e in evals[:-1])
    assert s["env_steps"] == evals[-1]["env_steps"]


def test_resume_continues_exactly_and_eval_reads_the_files(capsys, tmp_path):
    common = ["--algo", "a2c", "--no-early-stop", "--eval-episodes", "10", "--json", "--quiet", "--seed", "3"]
    d = tmp_path / "run"
    code, out, _ = run(capsys, "train", "CartPole-v1", "--steps", "4000", "--save-dir", str(d),
                       "--eval-freq", "2000", *common)
    assert code == 0 and summary(out)["checkpoint"] == str(d / "last.swiftpg")
    assert (d / "last.swiftpg").exists() and (d / "best.swiftpg").exists()
    code, out, err = run(capsys, "train", "CartPole-v1", "--steps", "8000", "--resume", str(d / "last.swiftpg"),
                         *common)
    resumed = summary(out)
    assert code == 0, err
    code, out, _ = run(capsys, "train", "CartPole-v1", "--steps", "8000", *common)
    straight = summary(out)
    assert resumed["env_steps"] == straight["env_steps"] and resumed["algo"] == "a2c"
    assert resumed["eval_mean_return"] == straight["eval_mean_return"]
    code, _, err = run(capsys, "train", "CartPole-v1", "--algo", "ppo", "--resume", str(d / "last.swiftpg"), "--quiet")
    assert code == 2 and "a2c" in err
    code, _, err = run(capsys, "train", "Acrobot-v1", "--resume", str(d / "last.swiftpg"), "--quiet")
    assert code == 2 and "CartPole-v1" in err
    code, _, err = run(capsys, "train", "CartPole-v1", "--resume", str(d / "last.swiftpg"), "--num-envs", "4")
    assert code == 2 and "--num-envs" in err
    code, _, err = run(capsys, "train", "CartPole-v1", "--resume", str(d / "last.swiftpg"), "--steps", "1000")
    assert code == 2 and "nothing to train" in err
    code, _, err = run(capsys, "eval", str(d / "last.swiftpg"), "--seed", "-1")
    assert code == 2 and "--seed" in err
    # eval / enjoy: the learner from the file alone.
    code, out, _ = run(capsys, "eval", str(d / "last.swiftpg"), "--episodes", "5", "--json")
    e = summary(out)
    assert code == 0 and e["env"] == "CartPole-v1" and e["algo"] == "a2c" and e["trained_env_steps"] == 4000
    with swiftpg.algorithms.load(d / "last.swiftpg") as learner:
        returns, _ = learner.evaluate(episodes=5, seed=12345)
    assert e["mean_return"] == float(np.mean(returns))
    bad = tmp_path / "bad.swiftpg"
    bad.write_bytes(b"not a checkpoint")
    for path in (bad, tmp_path / "missing.swiftpg"):
        code, _, err = run(capsys, "enjoy", str(path))
        assert code == 2 and str(path) in err


def test_envs_and_algos_list_what_exists(capsys):
    code, out, _ = run(capsys, "envs")
    assert code == 0 and out.split() == list(swiftpg.env_ids())
    code, out, _ = run(capsys, "algos")
    for name in cli.ALGORITHMS:
        assert f"{name} (" in out
    assert "clip_range = 0.2" in out and "population_size" in out
    code, out, _ = run(capsys, "algos", "trpo")
    assert code == 0 and "max_kl" in out and "clip_range" not in out


def test_logs_and_tensorboard_from_the_cli(capsys, tmp_path):
    code, out, err = run(capsys, "train", "CartPole-v1", "--algo", "reinforce", "--steps", "3000", "--no-early-stop",
                         "--log-dir", str(tmp_path / "csv"), "--tensorboard", str(tmp_path / "tb"),
                         "--plot", str(tmp_path / "new" / "folder" / "curve.png"), "--eval-episodes", "3", "--quiet")
    assert code == 0, err
    assert (tmp_path / "new" / "folder" / "curve.png").stat().st_size > 10_000
    assert (tmp_path / "csv" / "progress.csv").exists() and (tmp_path / "csv" / "episodes.csv").exists()
    assert any(name.startswith("events.out.tfevents") for name in os.listdir(tmp_path / "tb"))


def test_short_corridor_evaluates_stochastically_by_default(capsys):
    """Its states are aliased (Sutton & Barto Example 13.1): a greedy policy
    never reaches the goal, so the CLI samples unless told otherwise."""
    base = ["train", "ShortCorridor-v0", "--steps", "5000", "--eval-episodes", "20", "--json"]
    code, out, err = run(capsys, *base)
    s = summary(out)
    assert code == 0 and s["eval_greedy"] is False and s["eval_mean_return"] > -100 and "aliased" in err
    code, out, _ = run(capsys, *base, "--greedy-eval", "--quiet")
    assert summary(out)["eval_greedy"] is True


def test_hyperparameter_files(capsys, tmp_path):
    """rl-baselines3-zoo style files: one section per env; the shipped
    presets are such files (swiftpg/hyperparams/<algo>.yml)."""
    assert cli.PRESETS[("ppo", "CartPole-v1")]["config"]["gae_lambda"] == 0.8
    assert cli.PRESETS[("ppo", "MountainCarContinuous-v0")]["policy"]["gsde"] is True
    good = tmp_path / "a2c.yml"
    good.write_text("CartPole-v1:\n  n_envs: 4\n  n_timesteps: !!float 3e3\n  learning_rate: 0.002\n"
                    "  n_steps: 16\n  ent_coef: 0.01\n  policy_kwargs:\n    hidden_sizes: [16]\n")
    zoo = cli.load_hyperparams(str(good))["CartPole-v1"]
    assert zoo["steps"] == 3000 and zoo["config"]["steps_per_env"] == 16 and zoo["config"]["entropy_coef"] == 0.01
    code, out, err = run(capsys, "train", "CartPole-v1", "--algo", "a2c", "--hyperparams", str(good),
                         "--no-early-stop", "--eval-episodes", "2", "--json", "--quiet")
    s = summary(out)
    assert code == 0 and 3000 <= s["env_steps"] < 3100, err
    cases = {
        "Acrobot-v1:\n  n_envs: 4\n": "no section for CartPole-v1",
        "CartPole-v1: [1, 2]\n": "must map",
        "CartPole-v1:\n  n_envs: 0\n": "n_envs",
        "CartPole-v1:\n  learning_rat: 0.1\n": "learning_rat",
        "CartPole-v1:\n  policy_kwargs: 3\n": "policy_kwargs",
        "CartPole-v1: {\n": "not valid YAML",
    }
    for i, (text, words) in enumerate(cases.items()):
        bad = tmp_path / f"bad{i}.yml"
        bad.write_text(text)
        code, _, err = run(capsys, "train", "CartPole-v1", "--algo", "a2c", "--hyperparams", str(bad), "--quiet")
        assert code == 2 and words in err, (text, err)
    code, _, err = run(capsys, "train", "CartPole-v1", "--hyperparams", str(tmp_path / "missing.yml"), "--quiet")
    assert code == 2 and "missing.yml" in err
