"""examples/ppo_from_primitives.py — PPO from the public primitives — makes
the same update as the Swift learner: on one fixed batch, with the same
minibatch permutations, both reach the same parameters to 1e-9 after several
epochs in which the clipping is active (ratios ≠ 1)."""

from __future__ import annotations

import importlib.util
import os

import numpy as np
import pytest

import swiftpg
from conftest import ROOT
from swiftpg.algorithms import PPO, PPOConfig

spec = importlib.util.spec_from_file_location("ppo_from_primitives",
                                              os.path.join(ROOT, "examples", "ppo_from_primitives.py"))
example = importlib.util.module_from_spec(spec)
spec.loader.exec_module(example)


def networks(seed=0):
    return (swiftpg.policies.SoftmaxPolicy(4, 2, hidden_sizes=(16, 16), seed=seed),
            swiftpg.policies.ValueFunction(4, hidden_sizes=(16, 16), seed=seed + 1))


@pytest.mark.parametrize("entropy_coef", [0.0, 0.01])
def test_primitives_update_equals_the_swift_learner(entropy_coef):
    config = PPOConfig(steps_per_env=32, minibatch_size=32, epochs=4, learning_rate=0.02, clip_range=0.05,
                       entropy_coef=entropy_coef, seed=5)
    num_envs = 4
    # A batch collected by a random policy, with terminations and truncations.
    env = swiftpg.make_vec("CartPole-v1", num_envs, seed=1, max_episode_steps=20)
    collector, _ = networks(seed=9)
    obs, _ = env.reset(seed=1)
    batch, _ = example.collect(env, collector, obs, config.steps_per_env)
    assert batch["truncated"].any() and batch["terminated"].any()
    rng = np.random.default_rng(3)
    m = config.steps_per_env * num_envs
    permutations = np.stack([rng.permutation(m) for _ in range(config.epochs)])

    # The Swift learner (no env: it updates on the batch given).
    policy_a, value_a = networks()
    initial = (policy_a.get_params(), value_a.get_params())
    learner = PPO.__new__(PPO)
    learner._init_native(None, policy_a, config, value_a, (16, 16))
    learner.set_minibatch_permutations(permutations)
    stats = learner.update(**batch)

    # The example.
    policy_b, value_b = networks()
    policy_opt, value_opt = example.make_optimisers(policy_b, value_b, config)
    clip_fraction = example.ppo_update(policy_b, value_b, batch, config, policy_opt, value_opt, permutations)

    assert stats.clip_fraction > 0.05 and clip_fraction > 0.05         # the clipping was active
    assert stats.epochs == config.epochs
    for a, b, start in ((policy_a, policy_b, initial[0]), (value_a, value_b, initial[1])):
        pa, pb = a.get_params(), b.get_params()
        assert not np.array_equal(pa, start)
        np.testing.assert_allclose(pa, pb, rtol=1e-9, atol=1e-9)
    assert abs(stats.clip_fraction - clip_fraction) < 1e-12
    for obj in (learner, policy_a, value_a, policy_b, value_b, collector, env):
        obj.close()


def test_injected_permutations_are_checked():
    learner = PPO("CartPole-v1", num_envs=2, config=PPOConfig(steps_per_env=16, minibatch_size=16, epochs=1))
    with pytest.raises(swiftpg.InvalidArgumentError, match="permutation"):
        learner.set_minibatch_permutations(np.array([[0, 0, 1]]))
    with pytest.raises(swiftpg.DTypeError):
        learner.set_minibatch_permutations(np.arange(4.0).reshape(1, 4))
    # A permutation of another batch size is refused at the update, which is rolled back.
    learner.set_minibatch_permutations(np.arange(8)[None])
    before = learner.policy.get_params()
    with pytest.raises(swiftpg.InvalidArgumentError, match="batch of 32"):
        learner.iterate()
    assert np.array_equal(learner.policy.get_params(), before) and learner.total_env_steps == 0
    learner.iterate()                                                   # the bad one was dropped
    learner.close()
    learner.env.close()
    learner.policy.close()
    learner.value.close()


def test_optimisers_are_the_learners_steps():
    theta = np.array([1.0, -2.0, 0.5])
    g = np.array([0.3, -0.1, 2.0])
    adam = swiftpg.optim.Adam(3, learning_rate=0.1)
    adam.step(theta, g)
    # First Adam step: θ − α·sign(g) (m̂ = g, v̂ = g², ε negligible).
    np.testing.assert_allclose(theta, [0.9, -1.9, 0.4], rtol=1e-7)
    assert adam.t == 1 and np.allclose(adam.m, 0.1 * g) and np.allclose(adam.v, 0.001 * g * g)
    sgd = swiftpg.optim.SGD(3, learning_rate=0.5, momentum=0.9)
    x = np.zeros(3)
    sgd.step(x, g, ascend=True)
    sgd.step(x, g, ascend=True)
    np.testing.assert_allclose(x, 0.5 * g + 0.5 * (1.9 * g))
    with pytest.raises(swiftpg.NotFiniteError):
        sgd.step(x, [np.nan, 0, 0])
    with pytest.raises(swiftpg.DTypeError):
        adam.step([1.0, 2.0, 3.0], g)                                   # a list cannot be updated in place
    with pytest.raises(swiftpg.InvalidArgumentError):
        swiftpg.optim.Adam(3, learning_rate=-1).step(np.zeros(3), g)
