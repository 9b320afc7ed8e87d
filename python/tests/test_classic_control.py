"""Acrobot-v1, MountainCar-v0, MountainCarContinuous-v0 and Pendulum-v1
checked step by step against Gymnasium's own implementations."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import swiftpg

ENVS = ["CartPole-v1", "Acrobot-v1", "MountainCar-v0", "MountainCarContinuous-v0", "Pendulum-v1"]


def policy(env_id, obs, rng):
    """Actions that reach the interesting regions (goals, clipping), mixed
    with random ones, as Gymnasium's single env receives them."""
    explore = rng.random() < 0.3
    if env_id == "Acrobot-v1":  # pump energy: torque along the second joint's velocity
        return int(rng.integers(3)) if explore else (2 if obs[5] > 0 else 0)
    if env_id == "MountainCar-v0":
        return int(rng.integers(3)) if explore else (2 if obs[1] >= 0 else 0)
    if env_id == "MountainCarContinuous-v0":  # beyond [-1, 1] on purpose (clipping)
        a = rng.uniform(-2, 2) if explore else (1.3 if obs[1] >= 0 else -1.0)
        return np.array([a], np.float32)
    if env_id == "Pendulum-v1":
        return np.array([rng.uniform(-3, 3)], np.float32)
    return int(rng.integers(2))


def gym_state(env_id, ref):
    s = ref.unwrapped.state
    return np.asarray(s, np.float64)


@pytest.mark.parametrize("env_id", ENVS)
@pytest.mark.parametrize("seed", [0, 7])
def test_trajectories_match_gymnasium_across_episodes(env_id, seed):
    """reset(seed), then many episodes: observations, rewards and flags equal
    Gymnasium's at every step; swiftpg's automatic resets draw the same
    starting states as Gymnasium's reset()."""
    rng = np.random.default_rng(seed)
    ref = gym.make(env_id)
    env = swiftpg.make(env_id)
    o_ref, _ = ref.reset(seed=seed)
    o, _ = env.reset(seed=seed)
    assert np.array_equal(o, o_ref)
    ends = terminations = 0
    steps = {"MountainCarContinuous-v0": 6000}.get(env_id, 3000)
    for t in range(steps):
        a = policy(env_id, o_ref, rng)
        o_ref, r_ref, term_ref, trunc_ref, _ = ref.step(a)
        o, r, term, trunc, _ = env.step(a)
        assert o.dtype == o_ref.dtype == np.float32
        assert np.array_equal(o, o_ref), f"{env_id} step {t}: {o} != {o_ref}"
        assert r == r_ref, f"{env_id} step {t}: reward {r} != {r_ref}"
        assert (term, trunc) == (term_ref, trunc_ref), f"{env_id} step {t}"
        if not (term or trunc):
            np.testing.assert_array_equal(env.get_state(), gym_state(env_id, ref))
        else:
            ends += 1
            terminations += term
            o_ref, _ = ref.reset()
            o, _ = env.reset()
            assert np.array_equal(o, o_ref)
    assert ends >= 3, f"{env_id}: only {ends} episodes ended"
    if env_id != "Pendulum-v1":  # Pendulum never terminates
        assert terminations >= 1, f"{env_id}: no episode terminated"
    env.close()


def random_state(env_id, rng):
    if env_id == "CartPole-v1":
        return rng.uniform([-2.3, -2, -0.2, -2], [2.3, 2, 0.2, 2])
    if env_id == "Acrobot-v1":
        return rng.uniform([-np.pi, -np.pi, -4 * np.pi, -9 * np.pi], [np.pi, np.pi, 4 * np.pi, 9 * np.pi])
    if env_id in ("MountainCar-v0", "MountainCarContinuous-v0"):
        return rng.uniform([-1.2, -0.07], [0.6, 0.07])
    return rng.uniform([-8, -8], [8, 8])  # Pendulum: unwrapped angles too


@pytest.mark.parametrize("env_id", ENVS)
def test_random_states_match_gymnasium(env_id):
    """Same arbitrary state in both, then steps until the episode ends (or
    100 steps): every observation, reward and flag agrees."""
    rng = np.random.default_rng(11)
    ref = gym.make(env_id)
    env = swiftpg.make(env_id)
    for trial in range(40):
        ref.reset(seed=trial)
        env.reset(seed=trial)
        state = random_state(env_id, rng)
        ref.unwrapped.state = state.copy()
        env.set_state(state)
        o_ref = ref.unwrapped._get_obs() if hasattr(ref.unwrapped, "_get_obs") else None
        for t in range(100):
            a = policy(env_id, o_ref if o_ref is not None else np.zeros(6), rng)
            o_ref, r_ref, term_ref, trunc_ref, _ = ref.step(a)
            o, r, term, trunc, _ = env.step(a)
            assert np.array_equal(o, o_ref), f"{env_id} trial {trial} step {t}"
            assert r == r_ref and term == term_ref and trunc == trunc_ref
            if term:
                break
            np.testing.assert_array_equal(env.get_state(), gym_state(env_id, ref))
    env.close()


@pytest.mark.parametrize("env_id", ENVS)
def test_check_env(env_id):
    env = swiftpg.make(env_id, seed=0)
    check_env(env, skip_render_check=True)
    env.close()


@pytest.mark.parametrize("env_id", ENVS)
def test_spaces_match_gymnasium(env_id):
    ref = gym.make(env_id)
    env = swiftpg.make(env_id)
    assert env.observation_space == ref.observation_space
    assert env.action_space == ref.action_space
    vec = swiftpg.make_vec(env_id, 3)
    assert vec.max_episode_steps == ref.spec.max_episode_steps
    assert vec.reward_threshold == ref.spec.reward_threshold
    vec.close()
    env.close()


@pytest.mark.parametrize("env_id", ENVS)
def test_observations_stay_in_space_and_seeding_is_deterministic(env_id):
    def run(seed):
        env = swiftpg.make_vec(env_id, 8, seed=seed)
        env.action_space.seed(0)
        obs, _ = env.reset()
        trace = [obs]
        for _ in range(400):
            obs, *_ = env.step(env.action_space.sample())
            assert env.single_observation_space.contains(obs[0].astype(np.float64))
            low, high = env.observation_low, env.observation_high
            assert np.all(obs >= low - 1e-12) and np.all(obs <= high + 1e-12)
            trace.append(obs)
        env.close()
        return np.array(trace)

    a, b, c = run(3), run(3), run(4)
    assert np.array_equal(a, b) and not np.array_equal(a, c)


def test_reference_golden_trajectories():
    """REFERENCE.md's golden values (gymnasium 1.4, float64 start states)."""
    env = swiftpg.make_vec("Acrobot-v1", 1, seed=0)
    env.set_state([[0.0, 0.0, 0.0, 0.0]])
    for a, want in zip([2, 2, 0, 1, 2], [
        [-0.0132629671772278, 0.03428722934738544, -0.12866185280996106, 0.33450108998660194],
        [-0.0484896538093726, 0.12748779480535294, -0.2132848732767469, 0.5754630640496233],
        [-0.06723706338620503, 0.18553771278886602, 0.03071430437045256, -0.00644770930974226],
        [-0.04985902565695462, 0.15938587589964667, 0.13865703759659068, -0.24781201811290368],
        [-0.02783750347047965, 0.12565550630718345, 0.0761272888971682, -0.08043805600267706]]):
        env.step(np.array([a]))
        np.testing.assert_allclose(env.get_state()[0], want, rtol=1e-14, atol=1e-16)
    env.close()

    env = swiftpg.make_vec("MountainCarContinuous-v0", 1, seed=0)
    env.set_state([[-0.5, 0.0]])
    rewards = []
    for a in [1.0, 0.5, -2.0, 0.0, 0.3]:
        _, r, *_ = env.step(np.array([[np.float32(a)]]))
        rewards.append(r[0])
    np.testing.assert_array_equal(env.get_state()[0].astype(np.float32), np.float32([-0.49639025, 2.3122855e-04]))
    assert rewards == [-0.1, -0.025, -0.4, 0.0, -0.009000000715255752]
    env.close()

    env = swiftpg.make_vec("Pendulum-v1", 1, seed=0)
    env.set_state([[np.pi, 0.0]])
    rewards = []
    for u in [2, -2, 3, 0, 1]:
        _, r, *_ = env.step(np.array([[u]], np.float64))
        rewards.append(r[0])
    np.testing.assert_allclose(env.get_state()[0], [3.201550491417037, 0.37580841754789646], rtol=1e-15)
    np.testing.assert_allclose(rewards, [-9.873604401279348, -9.78858162167165, -9.78311187818863,
                                         -9.70010569914983, -9.6202248669462], rtol=1e-14)
    env.close()

    env = swiftpg.make("Pendulum-v1")
    env.reset(seed=0)
    np.testing.assert_array_equal(env.get_state(), [0.8605556614246863, -0.4604265724722594])
    env.close()
