"""The estimator lab: exact gradients of every lab problem, unbiasedness of
the unbiased estimators (z-scores of the mean against its standard error),
detectable bias of the biased ones, the variance ordering of the lectures,
zeroth-order estimators, and bad input."""

import math
import os
import sys

import numpy as np
import pytest

import swiftpg
from swiftpg import estimators as est
from swiftpg import lab
from swiftpg._arrays import DTypeError
from swiftpg._lib import InvalidArgumentError, NotFiniteError
from conftest import objective_gradient

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# With P components and fixed seeds, |z| < 4.5 for every component of an
# unbiased estimator fails by chance with probability < P · 7e-6.
Z_UNBIASED = 4.5
Z_BIASED = 6.0


@pytest.fixture(scope="module")
def example():
    sys.path.insert(0, os.path.join(ROOT, "examples"))
    try:
        import estimator_lab
    finally:
        sys.path.pop(0)
    return estimator_lab.main(fast=True)


def test_chain_variance_story(example):
    rep = example["chain"]
    full, rtg = rep["full_return"], rep["reward_to_go"]
    mean, opt = rep["reward_to_go + mean baseline"], rep["reward_to_go + optimal baseline"]
    for row in (full, rtg, mean, opt, rep["value + fitted critic, λ=1"]):
        assert row["max_abs_z"] < Z_UNBIASED, row["name"]
    # Variance decreases along the chain (shared rollouts make the comparison sharp).
    assert full["total_variance"] > 2 * rtg["total_variance"]
    assert rtg["total_variance"] > 1.2 * mean["total_variance"]
    assert opt["total_variance"] < mean["total_variance"]
    # The fitted-critic actor-critic: far lower variance, but biased.
    ac = rep["value + fitted critic, λ=0"]
    assert ac["total_variance"] < 0.5 * mean["total_variance"]
    assert ac["max_abs_z"] > Z_BIASED
    # Dropping γ^k is biased in the discounted problem.
    assert rep["reward_to_go + no γ^k"]["max_abs_z"] > Z_BIASED


def test_corridor_story(example):
    rep = example["corridor"]
    assert rep.exact_objective == pytest.approx(-40 / 3, rel=1e-9)     # J(p = 0.6 right)... closed form
    for name in ("full_return", "reward_to_go", "reward_to_go + mean baseline", "reward_to_go + optimal baseline"):
        assert rep[name]["max_abs_z"] < Z_UNBIASED, name
    assert rep["full_return"]["total_variance"] > 1.5 * rep["reward_to_go"]["total_variance"]
    assert rep["reward_to_go"]["total_variance"] > 1.5 * rep["reward_to_go + mean baseline"]["total_variance"]
    assert rep["value + fitted critic, λ=0"]["max_abs_z"] > Z_BIASED


def test_exact_critic_actor_critic_is_unbiased():
    policy = swiftpg.policies.ClampPolicy(theta=0.3)
    rep = lab.run(lab.short_corridor(), policy, [lab.Estimator("value", lam=0.0, critic="exact"),
                                                  lab.Estimator("value", lam=0.5, critic="exact")],
                  episodes=5, estimates=200, seed=3)
    for row in rep:
        assert row["max_abs_z"] < Z_UNBIASED
        assert row["cosine"] > 0.5


def test_report_contents_and_printing():
    policy = swiftpg.policies.ClampPolicy(theta=0.4)
    rep = lab.run(lab.short_corridor(), policy, ["reward_to_go"], episodes=4, estimates=20, seed=0,
                  keep_samples=True)
    row = rep["reward_to_go"]
    grads = rep.samples["reward_to_go"]
    assert grads.shape == (20, 1)
    np.testing.assert_allclose(row["mean"], grads.mean(axis=0))
    np.testing.assert_allclose(row["bias"], grads.mean(axis=0) - rep.exact_gradient)
    assert row["total_variance"] == pytest.approx(grads.var(axis=0, ddof=1).sum())
    assert row["mse"] == pytest.approx(np.mean(np.sum((grads - rep.exact_gradient) ** 2, axis=1)))
    assert row["env_steps"] > 80
    text = str(rep)
    assert "reward_to_go" in text and "ShortCorridor" in text
    with pytest.raises(KeyError):
        rep["nothing"]
    # Exact gradient of the clamp policy on the corridor: dJ/dθ of the closed form, with θ = π(right).
    J = lambda p: (2 * p - 4) / (p * (1 - p))                                  # noqa: E731
    assert rep.exact_gradient[0] == pytest.approx((J(0.4 + 1e-6) - J(0.4 - 1e-6)) / 2e-6, rel=1e-6)


def test_plot(tmp_path):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    policy = swiftpg.policies.ClampPolicy(theta=0.4)
    rep = lab.run(lab.short_corridor(), policy, ["full_return", "reward_to_go"], episodes=4, estimates=10)
    ax = rep.plot()
    ax.figure.savefig(tmp_path / "lab.png")
    assert (tmp_path / "lab.png").stat().st_size > 1000


def test_bandit_and_two_action_problems():
    policy = swiftpg.policies.SoftmaxPolicy(1, 3, hidden_sizes=(), head_gain=0.0)
    policy.params = np.array([0.0, 0.0, 0.0, 0.5, -0.3, 0.1])
    problem = lab.bandit([1.0, 0.0, 2.0], stds=[1.0, 0.5, 2.0], horizon=3)
    exact = problem.exact(policy)
    fd = objective_gradient(policy, lambda: problem.exact(policy)["objective"])
    np.testing.assert_allclose(exact["gradient"], fd, atol=1e-8)
    rep = lab.run(problem, policy, ["reward_to_go", lab.Estimator("reward_to_go", baseline="optimal")],
                  episodes=8, estimates=300, seed=5)
    for row in rep:
        assert row["max_abs_z"] < Z_UNBIASED

    # The two-action example: J is linear in θ, so finite differences and regression are unbiased too.
    clamp = swiftpg.policies.ClampPolicy(theta=0.3)
    two = lab.two_action(reward_left=1.0, reward_right=3.0, horizon=2, reward_std=1.0)
    assert two.exact(clamp)["gradient"][0] == pytest.approx(2 * (1.0 - 3.0))
    rep = lab.run(two, clamp, ["full_return", lab.Estimator("finite_difference", delta=0.1),
                               lab.Estimator("regression", delta=0.1, directions=3)],
                  episodes=10, estimates=150, seed=6)
    for row in rep:
        assert row["max_abs_z"] < Z_UNBIASED, row["name"]
    fd = rep["finite_difference + δ=0.1"]
    assert fd["env_steps"] == 2 * 150 * 10 * 2        # (P + 1) · K · m episodes of H = 2 steps


def test_finite_difference_bias_is_detected():
    # On the corridor J is curved: a large forward step is visibly biased.
    clamp = swiftpg.policies.ClampPolicy(theta=0.5)
    rep = lab.run(lab.short_corridor(), clamp, [lab.Estimator("finite_difference", delta=0.3),
                                                lab.Estimator("finite_difference", delta=0.3, central=True)],
                  episodes=50, estimates=60, seed=7)
    forward, central = rep.rows
    assert forward["max_abs_z"] > Z_BIASED
    assert abs(central["bias"][0]) < abs(forward["bias"][0])


def test_simple_regulator_exact_and_estimators():
    problem = lab.simple_regulator(depth=10)
    policy = swiftpg.policies.GaussianPolicy(1, 1, hidden_sizes=())
    # REFERENCE.md §2: U(θ₁, θ₂) with σ = |θ₂| + 1e-5 (here σ = exp(log σ) exactly).
    for (w, sigma), expected in (((-0.5, 0.5), -3.13789), ((-1.0, 0.1), -0.28002), ((-0.8, 0.2), -0.57078)):
        policy.params = np.array([w, 0.0, math.log(sigma + 1e-5)])
        assert problem.exact(policy)["objective"] == pytest.approx(expected, abs=2e-5)
    policy.params = np.array([-0.6, 0.1, math.log(0.3)])
    exact = problem.exact(policy)
    fd = objective_gradient(policy, lambda: problem.exact(policy)["objective"])
    np.testing.assert_allclose(exact["gradient"], fd, rtol=1e-6, atol=1e-8)
    rep = lab.run(problem, policy, ["full_return", "reward_to_go",
                                    lab.Estimator("reward_to_go", baseline="time_step_mean")],
                  episodes=10, estimates=300, seed=8)
    for row in rep:
        assert row["max_abs_z"] < Z_UNBIASED, row["name"]
    assert rep["reward_to_go"]["total_variance"] < rep["full_return"]["total_variance"]
    with pytest.raises(InvalidArgumentError, match="finite problem"):
        lab.run(problem, policy, [lab.Estimator("value")], episodes=2, estimates=2)
    with pytest.raises(DTypeError):
        problem.exact(swiftpg.policies.GaussianPolicy(1, 1, hidden_sizes=(4,)))


def test_zeroth_order_pure_functions():
    rng = np.random.default_rng(0)
    for shape in ((7, 3), (3, 3), (2, 5), (1, 4)):
        d, du = rng.standard_normal(shape), rng.standard_normal(shape[0])
        np.testing.assert_allclose(est.regression_gradient(d, du), np.linalg.pinv(d) @ du, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(est.finite_difference_gradient(1.0, [2.0, 0.5], 0.5), [2.0, -1.0])
    np.testing.assert_allclose(est.finite_difference_gradient(1.0, [2.0, 0.5], 0.5, minus=[1.0, 1.5]), [1.0, -1.0])
    with pytest.raises(InvalidArgumentError, match="linearly dependent"):
        est.regression_gradient([[1.0, 2.0], [2.0, 4.0]], [1.0, 2.0])
    with pytest.raises(InvalidArgumentError, match="linearly dependent"):
        est.regression_gradient(np.zeros((3, 2)), np.ones(3))
    with pytest.raises(NotFiniteError):
        est.regression_gradient([[1.0, np.nan]], [1.0])
    with pytest.raises(InvalidArgumentError):
        est.regression_gradient(np.ones((3, 2)), np.ones(2))
    with pytest.raises(InvalidArgumentError, match="delta"):
        est.finite_difference_gradient(0.0, [1.0], 0.0)
    with pytest.raises(NotFiniteError):
        est.finite_difference_gradient(float("nan"), [1.0], 0.1)


def test_scale_and_clip_gradient():
    g = np.array([3.0, -4.0])
    scaled, norm = est.scale_gradient(g, 1.0)
    np.testing.assert_allclose(scaled, [0.6, -0.8], rtol=1e-15)
    assert norm == 5.0
    np.testing.assert_array_equal(est.scale_gradient(g, 10.0)[0], g)      # shorter than the limit: unchanged
    np.testing.assert_array_equal(est.scale_gradient(g, 0.0)[0], g)       # 0: off
    clipped, count = est.clip_gradient([0.5, -2.0, 3.0], -1.0, 1.0)
    np.testing.assert_array_equal(clipped, [0.5, -1.0, 1.0])
    assert count == 2
    with pytest.raises(InvalidArgumentError, match="max_norm"):
        est.scale_gradient(g, -1.0)
    with pytest.raises(InvalidArgumentError, match="low"):
        est.clip_gradient(g, 1.0, -1.0)
    with pytest.raises(NotFiniteError):
        est.scale_gradient([1.0, np.nan], 1.0)
    with pytest.raises(InvalidArgumentError):
        est.clip_gradient([], -1.0, 1.0)


def test_score_gradient_matches_policy():
    policy = swiftpg.policies.SoftmaxPolicy(2, 3, hidden_sizes=(4,), seed=1)
    obs = np.random.default_rng(1).standard_normal((6, 2))
    actions = np.array([0, 1, 2, 0, 1, 2], np.int32)
    w = np.linspace(-1, 1, 6)
    np.testing.assert_allclose(est.score_gradient(policy, obs, actions, w, num_episodes=3),
                               (w[:, None] * policy.score_vectors(obs, actions)).sum(axis=0) / 3, atol=1e-12)
    with pytest.raises(InvalidArgumentError):
        est.score_gradient(policy, obs, actions, w, num_episodes=0)


def test_bad_lab_input():
    policy = swiftpg.policies.ClampPolicy(theta=0.4)
    corridor = lab.short_corridor()
    with pytest.raises(InvalidArgumentError, match="episodes"):
        lab.run(corridor, policy, ["reward_to_go"], episodes=1)
    with pytest.raises(InvalidArgumentError, match="estimates"):
        lab.run(corridor, policy, ["reward_to_go"], estimates=1)
    with pytest.raises(InvalidArgumentError, match="kind"):
        lab.Estimator("magic")
    with pytest.raises(InvalidArgumentError, match="baseline"):
        lab.Estimator("value", baseline="mean")
    with pytest.raises(InvalidArgumentError, match="lam"):
        lab.Estimator("value", lam=1.5)
    with pytest.raises(InvalidArgumentError, match="delta"):
        lab.Estimator("finite_difference", delta=-1.0)
    with pytest.raises(InvalidArgumentError):
        lab.run(corridor, policy, [])
    with pytest.raises(DTypeError):
        lab.run("ShortCorridor-v0", policy, ["reward_to_go"])
    with pytest.raises(DTypeError):
        lab.run(corridor, object(), ["reward_to_go"])
    assert policy.params[0] == pytest.approx(0.4)            # untouched by failures
