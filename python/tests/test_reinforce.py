"""REINFORCE from Python: learning, statistics, determinism, the CLI."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

import swiftpg
from swiftpg.algorithms import REINFORCE, ReinforceConfig
from conftest import ROOT


def test_short_training_clearly_beats_random_policy():
    """Random CartPole play averages ~22; a short run must exceed 150 in
    greedy evaluation (the full run reaches 500: see `make demo` and bench/)."""
    env = swiftpg.make_vec("CartPole-v1", 8, seed=0)
    random_returns, _ = swiftpg.policies.SoftmaxPolicy.for_env(env, head_gain=0.0).evaluate(
        "CartPole-v1", episodes=50, greedy=False, seed=1)
    with REINFORCE(env, config=ReinforceConfig(seed=0, steps_per_iteration=2500)) as learner:
        history = learner.train(60_000)
        returns, lengths = learner.evaluate(episodes=50)
        learner.policy.close()
    env.close()
    assert random_returns.mean() < 40
    assert history[-1].mean_return > history[0].mean_return + 50
    assert returns.mean() > 150, returns.mean()
    assert np.array_equal(returns, lengths)


def test_stats_are_consistent():
    with REINFORCE("CartPole-v1", config=ReinforceConfig(steps_per_iteration=1000)) as learner:
        s1 = learner.iterate()
        s2 = learner.iterate()
        learner.policy.close()
        learner.env.close()
    assert s1.iteration == 1 and s2.iteration == 2
    assert s1.env_steps >= 1000 and s2.total_env_steps == s1.env_steps + s2.env_steps
    assert abs(s1.mean_length * s1.episodes - s1.env_steps) < 1e-6
    assert s1.min_return <= s1.mean_return <= s1.max_return
    assert 0 < s1.entropy <= np.log(2) + 1e-12
    assert s1.seconds > 0 and s1.steps_per_second > 0


def run_training(seed):
    with REINFORCE("CartPole-v1", config=ReinforceConfig(seed=seed, steps_per_iteration=800)) as learner:
        for _ in range(3):
            learner.iterate()
        params = learner.policy.params
        learner.policy.close()
        learner.env.close()
    return params


def test_same_seed_same_result():
    assert np.array_equal(run_training(4), run_training(4))
    assert not np.array_equal(run_training(4), run_training(5))


@pytest.mark.parametrize("change", [
    dict(gamma=1.5), dict(gamma=-0.1), dict(learning_rate=-1.0), dict(learning_rate=float("nan")),
    dict(steps_per_iteration=0), dict(baseline="optimal-ish"), dict(value_epochs=-1), dict(seed=-3),
])
def test_invalid_config_is_refused_before_training(change):
    with pytest.raises((ValueError, TypeError)):
        REINFORCE("CartPole-v1", config=ReinforceConfig().replace(**change))


def test_unknown_config_field():
    with pytest.raises(ValueError, match="unknown"):
        ReinforceConfig().replace(learning_rat=0.1)


def test_policy_must_fit_env():
    env = swiftpg.make_vec("CartPole-v1", 2)
    pi = swiftpg.policies.SoftmaxPolicy(3, 2)
    with pytest.raises(swiftpg.InvalidArgumentError, match="observation size"):
        REINFORCE(env, policy=pi)
    env.close()
    pi.close()


def test_cli_json_and_plot(tmp_path):
    plot = tmp_path / "curve.png"
    cmd = [sys.executable, "-m", "swiftpg", "train", "CartPole-v1", "--algo", "reinforce", "--seed", "0",
           "--steps", "20000", "--eval-episodes", "10", "--json", "--plot", str(plot)]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    for key in ("env", "algo", "seed", "env_steps", "train_seconds", "eval_mean_return", "eval_std_return"):
        assert key in summary
    assert summary["env"] == "CartPole-v1" and summary["algo"] == "reinforce" and summary["seed"] == 0
    assert summary["env_steps"] >= 20000
    assert "iter" in result.stderr  # progress lines
    assert plot.exists() and plot.stat().st_size > 10_000


def test_cli_rejects_bad_input():
    cmd = [sys.executable, "-m", "swiftpg", "train", "Nope-v0"]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2 and "unknown environment" in result.stderr
    cmd = [sys.executable, "-m", "swiftpg", "train", "CartPole-v1", "--config", "gamma=7"]
    result = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 2 and "gamma" in result.stderr
