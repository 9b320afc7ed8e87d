"""CartPole-v1 checked step by step against Gymnasium's own implementation."""

import gymnasium as gym
import numpy as np
import pytest

import swiftpg


def _gym_env():
    return gym.make("CartPole-v1").unwrapped


@pytest.mark.parametrize("trial", range(20))
def test_random_states_and_actions_match_gymnasium(trial):
    """Same state in both, same random actions: every state, reward and flag
    agrees at every step until the episode ends."""
    rng = np.random.default_rng(trial)
    ref = _gym_env()
    ref.reset(seed=trial)
    env = swiftpg.make("CartPole-v1", seed=trial)
    env.reset()
    state = rng.uniform([-2.3, -2, -0.2, -2], [2.3, 2, 0.2, 2])
    ref.state = state.copy()
    env.set_state(state)
    for t in range(500):
        a = int(rng.integers(2))
        o_ref, r_ref, term_ref, _, _ = ref.step(a)
        o, r, term, trunc, _ = env.step(a)
        assert np.array_equal(o, o_ref) and o.dtype == np.float32, f"step {t}"
        assert r == r_ref and term == term_ref and trunc is False
        if term:
            break  # swiftpg has already reset the instance (same-step autoreset)
        assert np.array_equal(env.get_state(), ref.state), f"step {t}"


@pytest.mark.parametrize("seed", [0, 1, 42, 2**40 + 3])
def test_whole_trajectories_across_episodes_are_bit_exact(seed):
    """reset(seed) then random actions through many episodes: Gymnasium's
    reset() after each end and swiftpg's automatic reset draw the same
    starting states from the same stream."""
    rng = np.random.default_rng(seed % 1000)
    ref = gym.make("CartPole-v1")  # with its TimeLimit(500)
    env = swiftpg.make("CartPole-v1")
    o_ref, _ = ref.reset(seed=seed)
    o, _ = env.reset(seed=seed)
    assert np.array_equal(o, o_ref)
    episodes = 0
    for t in range(4000):
        a = int(rng.integers(2)) if t % 7 else 1
        o_ref, r_ref, term_ref, trunc_ref, _ = ref.step(a)
        o, r, term, trunc, _ = env.step(a)
        assert np.array_equal(o, o_ref) and r == r_ref
        assert (term, trunc) == (term_ref, trunc_ref)
        if term or trunc:
            episodes += 1
            o_ref, _ = ref.reset()
            o, _ = env.reset()
            assert np.array_equal(o, o_ref)
    assert episodes > 50
    env.close()


def test_truncation_at_500_matches_time_limit():
    """A balanced pole runs into the 500-step limit in both."""
    ref = gym.make("CartPole-v1")
    env = swiftpg.make("CartPole-v1")
    ref.reset(seed=3)
    env.reset(seed=3)
    for t in range(1, 501):
        # A simple balancing controller keeps both upright for 500 steps.
        s = env.get_state()
        a = int(s[2] + 0.5 * s[3] > 0)
        _, _, term_ref, trunc_ref, _ = ref.step(a)
        _, _, term, trunc, _ = env.step(a)
        assert (term, trunc) == (term_ref, trunc_ref)
        assert trunc == (t == 500) and not term
    # Until reset(), the ended episode's length, as Gymnasium's TimeLimit reports
    # (the batch below has already started the next episode).
    assert env.elapsed_steps == 500 == ref._elapsed_steps
    env.reset()
    assert env.elapsed_steps == 0
    env.close()


def test_vector_env_matches_sync_vector_env_same_step():
    """The batch equals Gymnasium's SyncVectorEnv(seed + i) in SAME_STEP
    autoreset mode, final observations included."""
    n = 6
    ref = gym.make_vec("CartPole-v1", num_envs=n, vectorization_mode="sync",
                       vector_kwargs={"autoreset_mode": gym.vector.AutoresetMode.SAME_STEP})
    env = swiftpg.make_vec("CartPole-v1", num_envs=n)
    o_ref, _ = ref.reset(seed=11)
    o, _ = env.reset(seed=11)
    np.testing.assert_array_equal(o.astype(np.float32), o_ref)
    rng = np.random.default_rng(5)
    ended = 0
    for t in range(1500):
        a = rng.integers(0, 2, n)
        o_ref, r_ref, te_ref, tr_ref, info_ref = ref.step(a)
        o, r, te, tr, info = env.step(a)
        np.testing.assert_array_equal(o.astype(np.float32), o_ref)
        np.testing.assert_array_equal(r, r_ref)
        np.testing.assert_array_equal(te, te_ref)
        np.testing.assert_array_equal(tr, tr_ref)
        done = te | tr
        if done.any():
            ended += int(done.sum())
            np.testing.assert_array_equal(info["_final_obs"], done)
            for i in np.flatnonzero(done):
                np.testing.assert_array_equal(info["final_obs"][i].astype(np.float32), info_ref["final_obs"][i])
    assert ended > 100
    ref.close()
    env.close()
