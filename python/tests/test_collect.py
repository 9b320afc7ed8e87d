"""learner.collect(): one segment without an update, its behaviour
log-probabilities and values those of the policy and critic that collected
it, and updating on it equals an iteration."""

import numpy as np
import pytest

import swiftpg
from swiftpg.algorithms import A2C, PPO, REINFORCE, A2CConfig, PPOConfig, ReinforceConfig


def ppo(seed=0, env="CartPole-v1", **extra):
    config = PPOConfig(seed=seed, steps_per_env=16, minibatch_size=32).replace(**extra)
    return PPO(env, config=config, num_envs=4, hidden_sizes=(16,), policy_kwargs=dict(precision="float64"))


@pytest.mark.parametrize("env", ["CartPole-v1", "Pendulum-v1"])
def test_collect_returns_a_segment_and_changes_no_counter(env):
    with ppo(env=env, normalize_observations=True, normalize_rewards=True) as learner:
        params = learner.policy.params.copy()
        r = learner.collect()
        n, d = 4, learner.policy.observation_size
        assert r.observations.shape == (16, n, d) and r.log_probs.shape == r.values.shape == r.rewards.shape == (16, n)
        assert r.actions.shape == ((16, n) if learner.env.discrete else (16, n, 1))
        assert r.next_observations.shape == (n, d) and r.final_observations.shape == (16, n, d)
        assert learner.total_env_steps == 0 and learner.iteration == 0
        assert np.array_equal(learner.policy.params, params)
        flat_obs = r.observations.reshape(16 * n, d)
        flat_actions = r.actions.reshape(16 * n, *r.actions.shape[2:])
        np.testing.assert_allclose(r.log_probs.ravel(), learner.policy.log_prob(flat_obs, flat_actions), rtol=1e-12)
        np.testing.assert_allclose(r.values.ravel(), learner.value.predict(flat_obs), rtol=1e-12, atol=1e-15)
        assert not r.final_observations[~(r.truncated & ~r.terminated)].any()
        assert np.isfinite(r.rewards).all() and r.terminated.dtype == bool
        later = learner.collect()                 # the environments went on
        assert not np.array_equal(later.observations, r.observations)


def test_update_on_a_collected_segment_equals_an_iteration():
    a, b = ppo(seed=3), ppo(seed=3)
    for _ in range(3):
        r = a.collect()
        a.update(r.observations, r.actions, r.rewards, r.terminated, r.truncated, r.next_observations,
                 final_observations=r.final_observations)
        b.iterate()
    assert a.total_env_steps == b.total_env_steps == 3 * 64
    np.testing.assert_allclose(a.policy.params, b.policy.params, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(a.value.params, b.value.params, rtol=1e-10, atol=1e-12)


def test_episodes_that_end_are_reported():
    with A2C("CartPole-v1", config=A2CConfig(seed=1, steps_per_env=64), num_envs=2) as learner:
        r = learner.collect()
        ends = int((r.terminated | r.truncated).sum())
        assert len(r.episode_returns) == len(r.episode_lengths) == ends > 0
        assert (r.episode_returns == r.episode_lengths).all()   # CartPole: +1 per step


def test_learners_without_segments_or_critic():
    with REINFORCE("CartPole-v1", config=ReinforceConfig(seed=0), num_envs=2) as learner:
        with pytest.raises(swiftpg.NotSupportedError, match="whole episodes"):
            learner.collect()
    env = swiftpg.make_vec("CartPole-v1", 2, seed=0)
    with PPO(env, config=PPOConfig(steps_per_env=8, minibatch_size=16)) as learner:
        assert learner.collect().values is not None
    env.close()
