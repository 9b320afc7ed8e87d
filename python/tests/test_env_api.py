"""The environment API: Gymnasium compatibility, buffers, state access."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import swiftpg


def test_check_env_passes_on_single_env():
    env = swiftpg.make("CartPole-v1", seed=0)
    check_env(env, skip_render_check=True)
    env.close()


def test_registered_with_gymnasium():
    env = gym.make("swiftpg/CartPole-v1")
    obs, _ = env.reset(seed=0)
    ref, _ = gym.make("CartPole-v1").reset(seed=0)
    assert np.array_equal(obs, ref)
    check_env(env.unwrapped, skip_render_check=True)
    env.close()


def test_vector_env_interface():
    env = swiftpg.make_vec("CartPole-v1", num_envs=8, seed=3)
    assert isinstance(env, gym.vector.VectorEnv)
    assert env.num_envs == 8
    assert env.metadata["autoreset_mode"] == gym.vector.AutoresetMode.SAME_STEP
    assert env.single_observation_space.shape == (4,)
    assert env.single_action_space == gym.spaces.Discrete(2)
    assert env.observation_space.shape == (8, 4)
    obs, info = env.reset()
    assert obs.shape == (8, 4) and obs.dtype == np.float64 and info == {}
    assert obs in env.observation_space
    obs2, *_ = env.step(env.action_space.sample())
    rew, term, trunc = env.step(np.zeros(8, np.int32))[1:4]
    assert rew.dtype == np.float64 and term.dtype == np.bool_ and trunc.dtype == np.bool_
    env.close()


def test_first_reset_uses_creation_seed_and_reseeding_repeats():
    a = swiftpg.make_vec("CartPole-v1", num_envs=3, seed=21)
    b = swiftpg.make_vec("CartPole-v1", num_envs=3)
    oa, _ = a.reset()
    ob, _ = b.reset(seed=21)
    assert np.array_equal(oa, ob)
    oc, _ = b.reset()
    assert not np.array_equal(oc, ob)  # the stream continues
    od, _ = b.reset(seed=21)
    assert np.array_equal(od, ob)
    a.close()
    b.close()


def test_final_observation_on_termination():
    env = swiftpg.make_vec("CartPole-v1", num_envs=2, seed=0)
    env.reset()
    for _ in range(200):
        obs, rew, term, trunc, info = env.step(np.array([1, 0]))
        if term.any():
            break
    assert term.any()
    assert np.array_equal(info["_final_obs"], term | trunc)
    i = int(np.flatnonzero(term)[0])
    final = info["final_obs"][i]
    assert abs(final[0]) > 2.4 or abs(final[2]) > 0.2094
    assert np.all(np.abs(obs[i]) <= 0.05)  # already the next episode's start
    assert rew[i] == 1.0
    # Rows of instances that did not end are 0, never stale data.
    for j in np.flatnonzero(~(term | trunc)):
        assert np.all(info["final_obs"][j] == 0)
    env.close()


def test_ended_count_matches_flags():
    env = swiftpg.make_vec("CartPole-v1", num_envs=32, seed=1, copy=False)
    env.reset()
    rng = np.random.default_rng(0)
    for _ in range(300):
        _, _, term, trunc, info = env.step(rng.integers(0, 2, 32))
        assert env._ended.value == int((term | trunc).sum())
        assert ("final_obs" in info) == bool((term | trunc).any())
    env.close()


def test_copy_false_returns_internal_buffers():
    env = swiftpg.make_vec("CartPole-v1", num_envs=2, seed=0, copy=False)
    o1, *_ = env.step(np.array([0, 1]))
    snapshot = o1.copy()
    o2, *_ = env.step(np.array([0, 1]))
    assert o1 is o2 and not np.array_equal(o2, snapshot)
    env.close()
    env2 = swiftpg.make_vec("CartPole-v1", num_envs=2, seed=0)
    p1, *_ = env2.step(np.array([0, 1]))
    p2, *_ = env2.step(np.array([0, 1]))
    assert p1 is not p2 and np.array_equal(p1, snapshot)
    env2.close()


def test_get_set_state_and_elapsed_steps():
    env = swiftpg.make_vec("CartPole-v1", num_envs=2, seed=0)
    env.reset()
    env.step(np.array([0, 1]))
    assert list(env.get_elapsed_steps()) == [1, 1]
    states = np.array([[0.0, 0.0, 0.01, 0.0], [0.1, -0.2, 0.03, 0.4]])
    obs = env.set_state(states)
    assert np.array_equal(obs, states) and np.array_equal(env.get_state(), states)
    assert list(env.get_elapsed_steps()) == [1, 1]
    env.step(np.array([1, 1]))
    assert env.get_state()[0, 1] == 0.19497711953185476  # REFERENCE.md golden step
    env.close()


def test_accepts_lists_and_any_integer_dtype():
    env = swiftpg.make_vec("CartPole-v1", num_envs=3, seed=0)
    env.step([0, 1, 1])
    env.step(np.array([1, 0, 1], np.uint8))
    env.step(np.array([1, 0, 1], np.int64)[::-1])  # non-contiguous input is copied
    env.close()


def test_close_is_idempotent_and_context_manager():
    with swiftpg.make_vec("CartPole-v1", num_envs=2) as env:
        env.reset()
    assert env.closed
    env.close()
    with pytest.raises(swiftpg.ClosedError):
        env.step([0, 0])
    with pytest.raises(swiftpg.ClosedError):
        env.reset()
    with pytest.raises(swiftpg.ClosedError):
        env.get_state()


def test_single_env_requires_reset_after_episode_end():
    env = swiftpg.make("CartPole-v1", seed=0)
    with pytest.raises(gym.error.ResetNeeded):
        env.step(0)
    env.reset()
    for _ in range(500):
        _, _, term, trunc, _ = env.step(1)
        if term or trunc:
            break
    with pytest.raises(gym.error.ResetNeeded):
        env.step(1)
    env.reset()
    env.step(np.int64(0))
    env.close()


def test_env_ids():
    assert "CartPole-v1" in swiftpg.env_ids()


@pytest.mark.parametrize("env_id", swiftpg.env_ids())
def test_every_registered_env_works_through_gymnasium_make(env_id):
    env = gym.make(f"swiftpg/{env_id}")
    obs, _ = env.reset(seed=1)
    assert obs in env.observation_space
    for _ in range(20):
        obs, r, term, trunc, _ = env.step(env.action_space.sample())
        assert obs in env.observation_space and isinstance(r, float)
        if term or trunc:
            env.reset()
    check_env(env.unwrapped, skip_render_check=True)
    env.close()
