"""swiftpg.rlhf's online learners (issue 16) from Python: each method
trains through the C ABI and raises the exact KL-regularised objective;
the exact objective's gradient against central differences; π* against
its formula; external updates; bad input; cancellation and handles."""

from __future__ import annotations

import math

import numpy as np
import pytest

import swiftpg
from swiftpg import _lib, rlhf

GOLD = np.array([[0.2, 1.0, -0.5, 0.3, 0.8, -1.0, 0.1], [-0.4, 0.6, 0.0, 1.2, -0.2, 0.5, 0.9]])
LEARNERS = [rlhf.REINFORCE, rlhf.RLOO, rlhf.ReMax, rlhf.GRPO, rlhf.REBEL, rlhf.PPO]


@pytest.fixture
def setting():
    task = rlhf.ArrayTask(2, 2, [0.6, 0.4], GOLD)
    ref = rlhf.SequencePolicy.for_task(task)
    ref.parameters = np.random.default_rng(0).normal(0, 0.5, ref.num_params)
    yield task, ref
    task.close()
    ref.close()


@pytest.mark.parametrize("cls", LEARNERS, ids=lambda c: c.__name__)
def test_every_learner_raises_the_exact_objective(setting, cls):
    task, ref = setting
    pol = ref.copy()
    before = rlhf.exact_objective(pol, ref, task, 0.5)
    with cls(pol, ref, task, beta=0.5, learning_rate=0.02) as learner:
        assert learner.config["beta"] == 0.5 and learner.fit(0) == []
        assert ("epochs" in learner.config) == (cls in (rlhf.RLOO, rlhf.REBEL, rlhf.PPO))
        if cls is rlhf.GRPO:
            assert learner.config["scaling"] == "group" and learner.config["aggregation"] == "sequence"
        history = learner.fit(200)
        assert len(history) == 200 and learner.iteration == 200
        assert learner.total_samples == history[-1]["total_samples"] == 200 * history[0]["samples"]
        assert set(history[-1]) == {"iteration", "samples", "total_samples", "mean_reward", "mean_kl",
                                    "mean_regularized_reward", "mean_length", "eos_rate", "loss", "grad_norm"}
    after = rlhf.exact_objective(pol, ref, task, 0.5)
    # J rises from J(π_ref) = E_ref r most of the way to its maximum J(π*) = β Σ_x w_x log E_ref e^{r/β}.
    best = 0.5 * sum(w * np.logaddexp.reduce(ref.exact_log_probs(x) + GOLD[x] / 0.5) for x, w in enumerate([0.6, 0.4]))
    assert best - after < 0.5 * (best - before), (before, after, best)
    pol.close()


def test_exact_objective_gradient_and_optimum(setting):
    task, ref = setting
    pol = ref.copy()
    pol.parameters = ref.parameters * 1.7 - 0.2
    j, g = rlhf.exact_objective(pol, ref, task, 0.3, gradient=True)
    theta, h = pol.parameters, 1e-6
    for i in range(0, theta.size, 3):
        e = np.zeros_like(theta)
        e[i] = h
        pol.parameters = theta + e
        plus = rlhf.exact_objective(pol, ref, task, 0.3)
        pol.parameters = theta - e
        minus = rlhf.exact_objective(pol, ref, task, 0.3)
        assert abs((plus - minus) / (2 * h) - g[i]) < 1e-7
    pol.parameters = theta
    # π* ∝ π_ref exp(r/β), and J is largest there: J(π*) = β Σ_x w_x log Σ_y π_ref e^{r/β}.
    lq = ref.exact_log_probs(0)
    star = rlhf.exact_optimum(ref, task, 0, 0.3)
    expected = lq + GOLD[0] / 0.3
    assert np.allclose(star, expected - np.logaddexp.reduce(expected), atol=1e-12)
    best = 0.3 * sum(w * np.logaddexp.reduce(ref.exact_log_probs(x) + GOLD[x] / 0.3) for x, w in enumerate([0.6, 0.4]))
    assert j < best
    pol.close()


def test_external_updates_and_bad_input(setting):
    task, ref = setting
    pol = ref.copy()
    IA = swiftpg.InvalidArgumentError
    with pytest.raises(IA, match="frozen copy"):
        rlhf.RLOO(pol, pol, task)
    with pytest.raises(IA, match="k >= 2"):
        rlhf.RLOO(pol, ref, task, samples_per_prompt=1)
    with pytest.raises(IA, match="temperature must be 1"):
        rlhf.REINFORCE(pol, ref, task, temperature=0.7)
    with pytest.raises(IA, match="scaling"):
        rlhf.GRPO(pol, ref, task, scaling="std")
    with pytest.raises(IA, match="2\\^20"):
        rlhf.RLOO(pol, ref, task, prompts_per_iteration=1 << 20, samples_per_prompt=4)
    with pytest.raises(IA, match="reward model reads"):
        rlhf.REINFORCE(pol, ref, task, rlhf.RewardModel(task.num_features + 1))
    with pytest.raises(swiftpg.DTypeError):
        rlhf.REINFORCE(pol, ref, "summarise")
    with pytest.raises(IA, match="proxy_features"):
        rlhf.REINFORCE(pol, ref, task, proxy_features=True)
    with rlhf.GRPO(pol.copy(), ref, task, samples_per_prompt=2) as grpo:       # the std overflows
        demos = task.expert_demonstrations(2, noise=0.5, seed=3)
        with pytest.raises(swiftpg.NumericalError, match="overflow"):
            grpo.update(rlhf.Responses(np.repeat(demos.prompts[:1], 2), demos.tokens, demos.lengths),
                        [1e160, -1e160], group_size=2)
    theta = pol.parameters
    learner = rlhf.RLOO(pol, ref, task, samples_per_prompt=2)
    demos = task.expert_demonstrations(4, noise=0.5, seed=3)
    grouped = rlhf.Responses(np.repeat(demos.prompts[:2], 2), demos.tokens, demos.lengths)
    with pytest.raises(swiftpg.NotFiniteError, match=r"rewards\[1\]"):
        learner.update(grouped, [0.0, np.nan, 1.0, 2.0], group_size=2)
    with pytest.raises(IA, match="different prompts"):
        learner.update(rlhf.Responses(np.array([0, 1, 0, 1], np.int32), demos.tokens, demos.lengths),
                       [0.0, 1.0, 1.0, 2.0], group_size=2)
    with pytest.raises(IA, match="k >= 2"):
        learner.update(grouped, [0.0, 1.0, 1.0, 2.0], group_size=1)
    assert np.array_equal(pol.parameters, theta) and learner.iteration == 0
    stats = learner.update(grouped, [0.0, 1.0, 1.0, 2.0], group_size=2)
    assert stats["samples"] == 4 and learner.iteration == 1 and not np.array_equal(pol.parameters, theta)
    # The learner holds its policies: other threads get BusyError meanwhile, closing the
    # Python objects leaves the learner working, and destroying it frees its handle.
    kinds = swiftpg.live_handles(_lib.KIND_RLHF_LEARNER)
    pol.close()
    assert learner.iterate()["iteration"] == 2
    learner.close()
    assert swiftpg.live_handles(_lib.KIND_RLHF_LEARNER) == kinds - 1
    with pytest.raises(swiftpg.ClosedError):
        learner.iterate()


def test_ppo_with_a_neural_critic(setting):
    task, ref = setting
    pol = ref.copy()
    critic = rlhf.SequencePolicy.neural(2, 2, 2, hidden_sizes=(8,), seed=1)
    theta = critic.parameters
    with rlhf.PPO(pol, ref, task, critic=critic, beta=0.5, epochs=2, minibatch_size=16) as ppo:
        ppo.fit(5)
    assert not np.array_equal(critic.parameters, theta)          # the critic was trained
    with pytest.raises(swiftpg.InvalidArgumentError, match="critic"):
        rlhf.REINFORCE(pol, ref, task).close() or rlhf.PPO(pol, ref, task, critic=pol)
    pol.close()
    critic.close()
