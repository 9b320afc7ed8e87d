"""DQN from Python (issue 19): the config against the library's defaults and
its checks, learning CartPole-v1 on a small budget, Q-values against
greedy actions, exact resume through files (with and without the replay
buffer), refusals that change nothing, the callbacks and the command line,
and crash-proofing of the C entry points in a subprocess."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import swiftpg
from swiftpg import _lib, cli
from swiftpg.algorithms import DQN, DQNConfig, PPO, PolicyGradientLearner
from swiftpg.callbacks import EvalCallback

from conftest import run_isolated

SMALL = DQNConfig(total_env_steps=2000, learning_starts=200, train_freq=64, gradient_steps=16, hidden_sizes=(16, 16),
                  seed=3)


def test_config_defaults_are_the_librarys_and_rl_zoos():
    assert DQNConfig.library_defaults() == dataclasses.asdict(DQNConfig())
    c = DQNConfig()
    assert (c.learning_rate, c.batch_size, c.buffer_size, c.learning_starts, c.gamma, c.target_update_interval,
            c.train_freq, c.gradient_steps, c.exploration_fraction, c.exploration_final_eps, c.hidden_sizes,
            c.total_env_steps) == (2.3e-3, 64, 100_000, 1000, 0.99, 10, 256, 128, 0.16, 0.04, (256, 256), 50_000)
    assert "double_q" in DQNConfig.describe()


@pytest.mark.parametrize("changes, error", [
    (dict(gamma=1.5), swiftpg.InvalidArgumentError),
    (dict(tau=0.0), swiftpg.InvalidArgumentError),
    (dict(batch_size=0), swiftpg.InvalidArgumentError),
    (dict(batch_size=2**31), swiftpg.InvalidArgumentError),
    (dict(hidden_sizes=(8,) * 9), swiftpg.InvalidArgumentError),
    (dict(hidden_sizes=(0,)), swiftpg.InvalidArgumentError),
    (dict(hidden_sizes="64"), TypeError),
    (dict(loss="l1"), swiftpg.InvalidArgumentError),
    (dict(target_update_unit="episodes"), swiftpg.InvalidArgumentError),
    (dict(learning_rate=float("nan")), swiftpg.InvalidArgumentError),
    (dict(buffer_size=2**25), swiftpg.InvalidArgumentError),
    (dict(double_q="yes"), TypeError),
])
def test_bad_configs_raise_before_anything_is_created(changes, error):
    with pytest.raises(error):
        DQN("CartPole-v1", SMALL.replace(**changes))


def test_continuous_actions_are_refused():
    with pytest.raises(swiftpg.InvalidArgumentError, match="discrete"):
        DQN("Pendulum-v1", SMALL)


def test_learns_cartpole_on_a_small_budget():
    """Greedy return over 20 evaluation episodes before and after 6000 steps
    (the Swift test's settings): random-ish Q gives ~10-60; the trained
    network clears 100 (it reaches about 200 with these seeds)."""
    config = DQNConfig(total_env_steps=6000, hidden_sizes=(32, 32), train_freq=64, gradient_steps=64,
                       learning_starts=500, exploration_fraction=0.3, target_update_interval=100, seed=1)
    with DQN("CartPole-v1", config) as learner:
        before, _ = learner.evaluate(20, seed=100, num_envs=4)
        history = learner.train()
        after, lengths = learner.evaluate(20, seed=100, num_envs=4)
        again, _ = learner.evaluate(20, seed=100, num_envs=4)
        assert learner.total_env_steps == 6016 and history[-1].total_gradient_steps > 0
        assert np.array_equal(after, again) and after.dtype == np.float64 and lengths.dtype == np.int32
        assert before.mean() < 60 and after.mean() > 100, (before.mean(), after.mean())
        assert all(s.algorithm == "dqn" and s.epsilon >= config.exploration_final_eps for s in history)
        assert sum(s.episodes for s in history) == sum(len(s.episode_returns) for s in history) > 0


def test_q_values_predict_and_their_checks():
    with DQN("CartPole-v1", SMALL) as learner:
        learner.train(600)
        obs = np.random.default_rng(0).normal(0, 0.2, (32, 4))
        q = learner.q_values(obs)
        actions, state = learner.predict(obs)
        assert q.shape == (32, 2) and state is None and actions.dtype == np.int64
        assert np.array_equal(actions, q.argmax(axis=1))
        single, _ = learner.predict(obs[0])
        assert np.ndim(single) == 0 and single == actions[0]
        # float32 passes: a batch of one may round differently from a batch of 32
        assert np.allclose(learner.q_values(obs[0]), q[0], rtol=1e-5, atol=1e-5)
        explored, _ = learner.predict(obs, deterministic=False)
        assert explored.shape == (32,) and set(explored.tolist()) <= {0, 1}
        with pytest.raises(swiftpg.InvalidArgumentError):
            learner.q_values(np.zeros(5))
        with pytest.raises(swiftpg.NotFiniteError):
            learner.predict(np.full(4, np.nan))


def test_save_and_load_resume_exactly(tmp_path):
    path = str(tmp_path / "dqn.swiftpg")
    with DQN("CartPole-v1", SMALL) as learner:
        learner.train(640)
        learner.save(path)
        with DQN.load(path) as opened:
            assert opened.config == learner.config and opened.counters() == learner.counters()
            for _ in range(3):
                a, b = learner.iterate(), opened.iterate()
                assert (a.loss, a.mean_q, a.total_env_steps) == (b.loss, b.mean_q, b.total_env_steps)
            assert np.array_equal(learner.evaluate(5, seed=1)[0], opened.evaluate(5, seed=1)[0])
        small = str(tmp_path / "no-buffer.swiftpg")
        learner.save(small, include_buffer=False)
        import os
        assert os.path.getsize(small) < os.path.getsize(path)
        learner.load(small)
        assert learner.counters()["buffer_count"] == 0 and learner.history == []


def test_foreign_and_damaged_files_change_nothing(tmp_path):
    ppo_path, dqn_path = str(tmp_path / "ppo.swiftpg"), str(tmp_path / "dqn.swiftpg")
    with PPO("CartPole-v1", num_envs=2) as ppo:
        ppo.save(ppo_path)
    with DQN("CartPole-v1", SMALL) as learner:
        learner.train(300)
        learner.save(dqn_path)
        before = learner.counters(), learner.q_values(np.zeros(4))
        with pytest.raises(swiftpg.BadFormatError, match="not dqn"):
            learner.load(ppo_path)
        with pytest.raises(swiftpg.BadFormatError):
            DQN.load(ppo_path)
        with pytest.raises(swiftpg.BadFormatError, match="dqn"):
            PolicyGradientLearner.load(dqn_path)
        data = bytearray(open(dqn_path, "rb").read())
        data[len(data) // 2] ^= 0xFF
        damaged = str(tmp_path / "damaged.swiftpg")
        open(damaged, "wb").write(bytes(data))
        with pytest.raises(swiftpg.BadFormatError):
            learner.load(damaged)
        with DQN("CartPole-v1", SMALL.replace(hidden_sizes=(8,))) as other, pytest.raises(swiftpg.BadFormatError):
            other.load(dqn_path)
        after = learner.counters(), learner.q_values(np.zeros(4))
        assert before[0] == after[0] and np.array_equal(before[1], after[1])


def test_update_on_outside_transitions_and_refusals():
    rng = np.random.default_rng(1)
    t, n = 8, 2
    obs = rng.normal(0, 0.1, (t, n, 4))
    actions = rng.integers(0, 2, (t, n))
    rewards = np.ones((t, n))
    terminated = np.zeros((t, n), bool)
    truncated = np.zeros((t, n), bool)
    terminated[5, 1] = True
    final = np.zeros((t, n, 4))
    nxt = rng.normal(0, 0.1, (n, 4))
    with DQN("CartPole-v1", SMALL.replace(learning_starts=10)) as learner:
        before = learner.counters()
        with pytest.raises(swiftpg.InvalidArgumentError):
            learner.update(obs, np.full((t, n), 2), rewards, terminated, truncated, nxt, final)
        with pytest.raises(swiftpg.InvalidArgumentError, match="final_observations"):
            learner.update(obs, actions, rewards, terminated, truncated, nxt)      # a row ended: finals needed
        bad = obs.copy()
        bad[3, 0, 2] = np.inf
        with pytest.raises(swiftpg.NotFiniteError):
            learner.update(bad, actions, rewards, terminated, truncated, nxt, final)
        assert learner.counters() == before
        stats = learner.update(obs, actions, rewards, terminated, truncated, nxt, final)
        assert stats.env_steps == t * n and stats.gradient_steps == SMALL.gradient_steps
        assert learner.counters()["buffer_count"] == t * n


def test_eval_callback_keeps_the_best_checkpoint(tmp_path):
    with DQN("CartPole-v1", SMALL) as learner:
        callback = EvalCallback(eval_freq=500, n_eval_episodes=3, verbose=0, best_model_save_path=str(tmp_path))
        learner.learn(1500, callback=callback)
        assert len(callback.evaluations_results) == 3
        with DQN.load(str(tmp_path / "best.swiftpg")) as best:
            assert best.total_env_steps in callback.evaluations_timesteps


def test_cli_trains_evaluates_and_resumes(capsys, tmp_path):
    code = cli.main(["train", "CartPole-v1", "--algo", "dqn", "--steps", "1024", "--config", "learning_starts=256",
                     "--policy", "hidden_sizes=16", "--save-dir", str(tmp_path), "--eval-during", "3",
                     "--eval-episodes", "5", "--json", "--quiet"])
    out, _ = capsys.readouterr()
    summary = json.loads(out.strip().splitlines()[-1])
    assert code == 0 and summary["algo"] == "dqn" and summary["env_steps"] >= 1024
    code = cli.main(["eval", str(tmp_path / "last.swiftpg"), "--episodes", "3", "--json"])
    out, _ = capsys.readouterr()
    assert code == 0 and json.loads(out)["algo"] == "dqn"
    code = cli.main(["train", "CartPole-v1", "--resume", str(tmp_path / "last.swiftpg"), "--steps", "1280",
                     "--json", "--quiet", "--eval-episodes", "3"])
    out, _ = capsys.readouterr()
    assert code == 0 and json.loads(out.strip().splitlines()[-1])["env_steps"] >= 1280
    assert cli.main(["train", "Pendulum-v1", "--algo", "dqn", "--quiet"]) == 2
    assert cli.PRESETS[("dqn", "CartPole-v1")]["config"]["batch_size"] == 64


def test_bad_c_calls_return_status_codes_in_a_subprocess():
    """NULL pointers, wrong-kind and stale handles, huge batches: each gives
    its status code and the process exits normally."""
    proc = run_isolated("""
        import ctypes
        from swiftpg import _lib
        from swiftpg.envs import VectorEnv
        L = _lib.lib
        env = VectorEnv("CartPole-v1", 1, seed=0)
        c = _lib.DQNConfigC(); L.swiftpg_dqn_default_config(ctypes.byref(c))
        c.buffer_size = 1000; c.num_hidden = 1; c.hidden[0] = 8
        h = ctypes.c_uint64()
        assert L.swiftpg_dqn_create(env.handle, ctypes.byref(c), ctypes.byref(h)) == 0
        s = _lib.DQNStatsC()
        codes = [
            L.swiftpg_dqn_iterate(h.value, None),
            L.swiftpg_dqn_iterate(env.handle, ctypes.byref(s)),
            L.swiftpg_dqn_iterate(0, ctypes.byref(s)),
            L.swiftpg_dqn_q_values(h.value, None, 1, None),
            L.swiftpg_dqn_predict(h.value, (ctypes.c_double * 4)(), 2**62, (ctypes.c_int32 * 1)()),
            L.swiftpg_dqn_update(h.value, 2**40, 1, None, None, None, None, None, None, None, ctypes.byref(s)),
            L.swiftpg_dqn_save(h.value, None, 1),
            L.swiftpg_dqn_open(b"/nonexistent", ctypes.byref(h), None),
            L.swiftpg_dqn_evaluate(h.value, env.handle, 1, 1, 0, None, None),
            L.swiftpg_dqn_counters(h.value, None, None, None, None, None),
        ]
        assert L.swiftpg_dqn_destroy(h.value) == 0
        assert L.swiftpg_dqn_iterate(h.value, ctypes.byref(s)) == _lib.ERR_BAD_HANDLE
        print(codes)
    """)
    assert proc.returncode == 0, proc.stderr
    codes = eval(proc.stdout.strip().splitlines()[-1])
    assert codes == [_lib.ERR_NULL_POINTER, _lib.ERR_BAD_HANDLE, _lib.ERR_BAD_HANDLE, _lib.ERR_NULL_POINTER,
                     _lib.ERR_TOO_LARGE, _lib.ERR_INVALID_ARGUMENT, _lib.ERR_NULL_POINTER, _lib.ERR_NULL_POINTER,
                     _lib.ERR_INVALID_ARGUMENT, _lib.ERR_NULL_POINTER]


def test_dqn_pickles_and_deep_copies_by_value_and_continues_exactly():
    """Issue 21: a DQN learner pickles by value (its file, replay buffer
    included, and history); the copy has its own environment and continues
    bit for bit; a closed learner refuses with ClosedError."""
    import copy
    import pickle
    config = DQNConfig(seed=2, learning_starts=16, batch_size=8, buffer_size=200, hidden_sizes=(8,), train_freq=8,
                       gradient_steps=4, total_env_steps=400)
    learner = DQN("CartPole-v1", config, num_envs=2)
    learner.iterate()
    learner.iterate()
    for twin in (pickle.loads(pickle.dumps(learner)), copy.deepcopy(learner)):
        assert twin.env is not learner.env and len(twin.history) == len(learner.history)
        a = copy.deepcopy(learner)
        for _ in range(3):
            sa, sb = a.iterate(), twin.iterate()
            assert sa.loss == sb.loss and sa.total_env_steps == sb.total_env_steps
        np.testing.assert_array_equal(a.q_values(np.zeros((1, 4))), twin.q_values(np.zeros((1, 4))))
        np.testing.assert_array_equal(a.env.get_state(), twin.env.get_state())
    learner.close()
    with pytest.raises(swiftpg.ClosedError):
        pickle.dumps(learner)
