"""Using a trained policy: learner.predict applies the observation
normaliser exactly as evaluation does, obs_rms exposes it, and an exported
TrainedPolicy acts the same in another process from its file alone."""

from __future__ import annotations

import pickle
import subprocess
import sys

import numpy as np
import pytest

import swiftpg
from swiftpg import _lib
from swiftpg.algorithms import PPO, REINFORCE, PPOConfig
from swiftpg.trained import ObservationNormalizer, TrainedPolicy


def normalised_pendulum(seed: int = 0) -> PPO:
    config = PPOConfig(seed=seed, steps_per_env=64, minibatch_size=64, epochs=2, normalize_observations=True,
                       clip_observations=2.0)
    return PPO("Pendulum-v1", config=config, num_envs=4, hidden_sizes=(16,))


def greedy_rollout_return(env_id: str, act, seed: int) -> float:
    """One episode of a one-lane VectorEnv (float64 observations, as the
    learner's evaluation sees them) stepped in Python with ``act(obs)``."""
    total = 0.0
    with swiftpg.VectorEnv(env_id, 1, seed=seed) as env:
        obs, _ = env.reset(seed=seed)
        while True:
            obs, reward, terminated, truncated, _ = env.step(np.asarray(act(obs[0]))[None])
            total += reward[0]
            if terminated[0] or truncated[0]:
                return total


def test_obs_rms_is_the_running_statistics_and_none_without_normalisation():
    with normalised_pendulum() as learner:
        learner.train(4 * 256)
        rms = learner.obs_rms
        assert isinstance(rms, ObservationNormalizer) and rms.clip == 2.0
        assert rms.count == pytest.approx(4 * 256 + 1e-4, abs=1e-9)   # each observation once (SB3: count starts at 1e-4)
        assert rms.mean.shape == rms.var.shape == (3,) and (rms.var > 0).all()
        with pytest.raises(ValueError):
            rms.mean[0] = 1.0                   # a frozen copy
    with REINFORCE("CartPole-v1", num_envs=2) as plain:
        assert plain.obs_rms is None


def test_predict_normalises_exactly_as_evaluation_does():
    """A Python-stepped greedy episode with ``predict`` has the same return
    as the learner's own evaluation of that episode, and differs from
    running the raw policy on unnormalised observations."""
    with normalised_pendulum(seed=1) as learner:
        learner.train(8 * 256)
        with swiftpg.VectorEnv("Pendulum-v1", 1, seed=5) as env:
            obs, _ = env.reset(seed=5)
            first = obs[0]
        evaluated, _ = learner.evaluate(episodes=1, seed=5, num_envs=1)
        mine = greedy_rollout_return("Pendulum-v1", lambda o: learner.predict(o)[0], seed=5)
        raw = greedy_rollout_return("Pendulum-v1", lambda o: learner.policy.sample(o[None], greedy=True)[0], seed=5)
        assert mine == evaluated[0], (mine, evaluated[0])
        assert raw != pytest.approx(mine, rel=1e-6)
        # One observation gives one action of shape [k]; a batch [B, k]; bounds hold.
        action, state = learner.predict(first)
        assert action.shape == (1,) and state is None
        batch, _ = learner.predict(np.tile(first, (5, 1)) * 100)
        assert batch.shape == (5, 1) and (np.abs(batch) <= 2.0).all()
        sampled, _ = learner.predict(np.tile(first, (5, 1)), deterministic=False)
        assert len(set(sampled[:, 0].tolist())) > 1
        for bad in (np.zeros(4), np.zeros((2, 2)), [np.nan, 0, 0], "x"):
            with pytest.raises((swiftpg.InvalidArgumentError, swiftpg.DTypeError)):
                learner.predict(bad)


def test_discrete_predict_returns_ints():
    with REINFORCE("CartPole-v1", num_envs=2) as learner:
        a, _ = learner.predict(np.zeros(4))
        assert isinstance(a, np.integer) and a in (0, 1)
        b, _ = learner.predict(np.zeros((3, 4)))
        assert b.dtype == np.int64 and b.shape == (3,)


def test_exported_policy_is_a_frozen_copy_that_acts_the_same_from_its_file(tmp_path):
    with normalised_pendulum(seed=2) as learner:
        learner.train(4 * 256)
        exported = learner.export_policy()
        obs = np.random.default_rng(0).normal(size=(16, 3)) * 3
        expected, _ = learner.predict(obs)
        np.testing.assert_array_equal(exported.predict(obs)[0], expected)
        learner.train(8 * 256)                       # later training leaves the export alone
        np.testing.assert_array_equal(exported.predict(obs)[0], expected)
        assert not np.array_equal(learner.predict(obs)[0], expected)
    path = tmp_path / "pendulum_policy.npz"
    exported.save(path)
    np.save(tmp_path / "obs.npy", obs)
    np.save(tmp_path / "expected.npy", expected)
    code = (f"import numpy as np; from swiftpg.trained import TrainedPolicy;"
            f"p = TrainedPolicy.load({str(path)!r}); o = np.load({str(tmp_path / 'obs.npy')!r});"
            f"assert np.array_equal(p.predict(o)[0], np.load({str(tmp_path / 'expected.npy')!r})); print('same')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "same", out.stderr
    copy = pickle.loads(pickle.dumps(exported))
    np.testing.assert_array_equal(copy.predict(obs)[0], expected)


def test_damaged_or_foreign_policy_files_raise_cleanly(tmp_path):
    with normalised_pendulum() as learner:
        learner.iterate()
        good = tmp_path / "p.npz"
        learner.export_policy().save(good)
    data = good.read_bytes()
    cases = {"empty": b"", "text": b"hello", "truncated": data[: len(data) // 2]}
    rng = np.random.default_rng(1)
    for i in range(20):
        b = bytearray(data)
        for j in rng.integers(0, len(b), size=8):
            b[j] ^= 0xFF
        cases[f"flipped{i}"] = bytes(b)
    np.savez(tmp_path / "wrong.npz", format=np.int64(99), policy=np.zeros(3, np.uint8))
    cases["version"] = (tmp_path / "wrong.npz").read_bytes()
    np.savez(tmp_path / "pickled.npz", format=np.int64(1), policy=np.array([object()], dtype=object))
    cases["pickled"] = (tmp_path / "pickled.npz").read_bytes()
    for name, blob in cases.items():
        p = tmp_path / f"{name}.npz"
        p.write_bytes(blob)
        try:
            loaded = TrainedPolicy.load(p)
        except _lib.BadFormatError:
            continue
        # A flip in padding or an unused byte can leave a valid file: it must still act.
        loaded.predict(np.zeros(3))
    with pytest.raises(_lib.CheckpointIOError):
        TrainedPolicy.load(tmp_path / "missing.npz")
    with pytest.raises(swiftpg.DTypeError):
        TrainedPolicy("not a policy")
