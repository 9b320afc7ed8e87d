"""swiftpg.sb3: SB3's VecEnv contract over the native batch, checked without
SB3 (it needs PyTorch): the transitions equal those of SB3's DummyVecEnv
over Gymnasium's own environments with the same seeds, DummyVecEnv's
step loop written out below as SB3 2.x has it. bench/sb3_interop.py checks
the same against SB3 itself and trains PPO through the adapter."""

from __future__ import annotations

import importlib.util
import subprocess
import sys

import gymnasium as gym
import numpy as np
import pytest

import swiftpg
from swiftpg.sb3 import VecEnvCore


class DummyVecEnvLike:
    """SB3's DummyVecEnv (stable_baselines3/common/vec_env/dummy_vec_env.py)
    reduced to what the contract needs: seeds s + i at the next reset, same-call
    reset of an ended env, terminal_observation and TimeLimit.truncated."""

    def __init__(self, env_fns):
        self.envs = [fn() for fn in env_fns]
        self.num_envs = len(self.envs)
        space = self.envs[0].observation_space
        self.buf_obs = np.zeros((self.num_envs, *space.shape), space.dtype)
        self._seeds = [None] * self.num_envs

    def seed(self, seed):
        self._seeds = [seed + i for i in range(self.num_envs)]

    def reset(self):
        for i, env in enumerate(self.envs):
            self.buf_obs[i] = env.reset(seed=self._seeds[i])[0]
        self._seeds = [None] * self.num_envs
        return self.buf_obs.copy()

    def step(self, actions):
        rews = np.zeros(self.num_envs, np.float32)
        dones = np.zeros(self.num_envs, bool)
        infos = []
        for i, env in enumerate(self.envs):
            obs, rews[i], terminated, truncated, info = env.step(actions[i])
            dones[i] = terminated or truncated
            info["TimeLimit.truncated"] = truncated and not terminated
            if dones[i]:
                info["terminal_observation"] = obs
                obs, _ = env.reset()
            self.buf_obs[i] = obs
            infos.append(info)
        return self.buf_obs.copy(), rews, dones, infos


@pytest.mark.parametrize("env_id, n, steps", [("CartPole-v1", 4, 700), ("Pendulum-v1", 3, 450),
                                              ("MountainCarContinuous-v0", 2, 1100)])
def test_transitions_equal_dummy_vec_env_over_gymnasium(env_id, n, steps):
    ours = VecEnvCore(env_id, n)
    theirs = DummyVecEnvLike([lambda: gym.make(env_id) for _ in range(n)])
    ours.seed(11)
    theirs.seed(11)
    o1, o2 = ours.reset(), theirs.reset()
    np.testing.assert_array_equal(o1, o2)
    assert o1.dtype == o2.dtype == np.float32
    space = gym.make(env_id).action_space
    space.seed(0)
    ends = truncations = 0
    for t in range(steps):
        actions = np.array([space.sample() for _ in range(n)])
        (obs, rew, dones, infos), (obs2, rew2, dones2, infos2) = ours.step(actions), theirs.step(actions)
        np.testing.assert_array_equal(obs, obs2)
        np.testing.assert_array_equal(rew, rew2)
        np.testing.assert_array_equal(dones, dones2)
        assert rew.dtype == np.float32 and dones.dtype == bool
        for a, b in zip(infos, infos2):
            assert set(a) == set(b) and a["TimeLimit.truncated"] is b["TimeLimit.truncated"]
            if "terminal_observation" in a:
                ends += 1
                truncations += a["TimeLimit.truncated"]
                np.testing.assert_array_equal(a["terminal_observation"], b["terminal_observation"])
    assert ends >= n and (truncations > 0 or env_id == "CartPole-v1")
    # Without new seeds, reset() continues each instance's stream as Gymnasium's reset() does.
    np.testing.assert_array_equal(ours.reset(), theirs.reset())
    ours.close()


def test_the_vecenv_interface():
    env = VecEnvCore("Pendulum-v1", 3, seed=0, g=9.81)
    assert env.num_envs == 3 and env.observation_space == gym.make("Pendulum-v1").observation_space
    assert env.action_space == gym.make("Pendulum-v1").action_space
    assert env.get_attr("render_mode") == [None] * 3 and env.metadata["render_modes"] == []
    assert env.get_attr("g", indices=[0, 2]) == [9.81, 9.81] and env.get_attr("env_id", 1) == ["Pendulum-v1"]
    assert env.has_attr("max_episode_steps") and not env.has_attr("no_such_attribute")
    with pytest.raises(AttributeError):
        env.get_attr("no_such_attribute")
    env.set_attr("g", 5.0)
    assert env.vector_env.get_parameter("g").tolist() == [5.0] * 3
    with pytest.raises(swiftpg.NotSupportedError):
        env.set_attr("g", 1.0, indices=[0])
    assert env.env_is_wrapped(gym.Wrapper) == [False] * 3
    assert env.seed(7) == [7, 8, 9]
    obs = env.reset()
    assert obs.shape == (3, 3) and obs.dtype == np.float32
    assert len(env.env_method("get_state", indices=[1])) == 1
    env.set_options({"x": 1})
    with pytest.raises(swiftpg.NotSupportedError, match="options"):
        env.reset()
    with pytest.raises(swiftpg.InvalidArgumentError):
        env.step_wait()
    env.close()
    assert env.closed
    with pytest.raises(swiftpg.ClosedError):
        env.step(np.zeros((3, 1)))


def test_tabular_observations_are_indices_and_bounds():
    env = VecEnvCore("GridWorld-v0", 2, seed=0)
    assert env.observation_space == gym.spaces.Discrete(26)
    obs = env.reset()
    assert obs.dtype == np.int64 and obs.tolist() == [0, 0]
    with pytest.raises(swiftpg.InvalidArgumentError, match="continuous"):
        VecEnvCore("GridWorld-v0", action_bound=1.0)
    reg = VecEnvCore("SimpleRegulator-v0", 2, seed=0, action_bound=2.0)
    assert np.isfinite(reg.action_space.low).all() and reg.action_space.high.tolist() == [2.0]
    reg.reset()
    before = reg.vector_env.get_state()[:, 0]
    reg.step(np.array([[100.0], [-100.0]], np.float32))          # clipped to ±2 (then the noise)
    moved = reg.vector_env.get_state()[:, 0] - before
    assert abs(moved[0] - 2.0) < 1.0 and abs(moved[1] + 2.0) < 1.0


def test_render_tiles_gymnasiums_frames():
    pytest.importorskip("pygame")
    env = VecEnvCore("CartPole-v1", 2, seed=3, render_mode="rgb_array")
    env.reset()
    env.step(np.array([0, 1]))
    frames = env.get_images()
    states = env.vector_env.get_state()
    for i in range(2):
        ref = gym.make("CartPole-v1", render_mode="rgb_array").unwrapped
        ref.reset(seed=0)
        ref.state = states[i]
        np.testing.assert_array_equal(frames[i], ref.render())
    image = env.render()
    assert image.shape == (800, 600, 3)
    np.testing.assert_array_equal(image[:400], frames[0])
    with pytest.raises(swiftpg.InvalidArgumentError, match="draw pictures"):
        VecEnvCore("GridWorld-v0", render_mode="rgb_array")
    env.close()


def test_without_sb3_the_error_names_the_extra():
    if importlib.util.find_spec("stable_baselines3") is not None:
        pytest.skip("Stable-Baselines3 is installed")
    # A fresh interpreter: importing swiftpg.sb3 needs no SB3, vec_env names the extra.
    code = ("import swiftpg.sb3 as s\n"
            "try:\n    s.vec_env('CartPole-v1')\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "pip install 'swiftpg[sb3]'" in out and "torch==2.13.0+cpu" in out
