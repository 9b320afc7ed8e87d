"""swiftpg.exact: exact J and ∇J of finite MDPs, against closed forms, finite
differences, and (statistically) the Monte Carlo policy-gradient estimator."""

import numpy as np
import pytest

import swiftpg
from conftest import objective_gradient
from swiftpg import estimators as E
from swiftpg.exact import solve
from swiftpg.policies import LinearSoftmaxPolicy, SoftmaxPolicy, TabularSoftmaxPolicy

CORRIDOR_FEATURES = [[1.0, 0.0, 0.0, 1.0]] * 4  # φ(s, right) = [1, 0], φ(s, left) = [0, 1]


def corridor_policy(p):
    pi = LinearSoftmaxPolicy(feature_size=2, num_actions=2, seed=0)
    pi.params = [np.log(p / (1 - p)), 0.0]
    return pi


def test_short_corridor_reference_numbers():
    """REFERENCE.md §3 and §4: J(p) = 2(p − 2)/(p(1 − p)); at p = 0.4 the
    gradient w.r.t. (θ_right, θ_left) is [4.6667, −4.6667]; at p* = 2 − √2,
    J = −(6 + 4√2) and ∇J = 0."""
    env = swiftpg.make_vec("ShortCorridor-v0", 1)
    sol = solve(env, corridor_policy(0.4), CORRIDOR_FEATURES)
    assert sol["objective"] == pytest.approx(-40 / 3)
    np.testing.assert_allclose(sol["gradient"], [14 / 3, -14 / 3], rtol=1e-12)
    best = solve(env, corridor_policy(2 - np.sqrt(2)), CORRIDOR_FEATURES)
    assert best["objective"] == pytest.approx(-(6 + 4 * np.sqrt(2)))
    np.testing.assert_allclose(best["gradient"], 0, atol=1e-9)
    np.testing.assert_allclose(best["values"][:3], [-11.65685, -9.94975, -5.12132], atol=1e-5)
    env.close()


@pytest.mark.parametrize("horizon, gamma", [(None, 0.9), (6, 1.0)])
def test_gradient_matches_finite_differences(horizon, gamma):
    rng = np.random.default_rng(0)
    S, A = 4, 3
    P = rng.random((S, A, S)) + 0.1
    P /= P.sum(axis=2, keepdims=True)
    R = rng.normal(size=(S, A))
    env = swiftpg.envs.tabular(P, R, [1, 0, 0, 0], horizon=horizon, gamma=gamma)
    for pi in (TabularSoftmaxPolicy(S, A), SoftmaxPolicy(S, A, hidden_sizes=(5,), head_gain=1.0, seed=1)):
        pi.params = rng.normal(0, 0.7, pi.num_params)
        sol = solve(env, pi)
        numeric = objective_gradient(pi, lambda: solve(env, pi)["objective"])
        np.testing.assert_allclose(sol["gradient"], numeric, rtol=1e-6, atol=1e-8)
        np.testing.assert_allclose((sol["probabilities"] * sol["advantages"]).sum(axis=1), 0, atol=1e-10)
        pi.close()
    env.close()


def test_monte_carlo_estimator_is_unbiased_for_the_exact_gradient():
    """Reward-to-go REINFORCE on the short corridor at p = 0.4: the mean of
    per-episode estimates Σ_t ∇log π(a_t) G_t is within 5 standard errors
    of the exact gradient, in each component."""
    p = 0.4
    pi = corridor_policy(p)
    env = swiftpg.make_vec("ShortCorridor-v0", 256, seed=3)
    env.reset()
    exact = solve(env, pi, CORRIDOR_FEATURES)["gradient"]
    features = np.array([[1.0, 0.0, 0.0, 1.0]])
    pi.seed(4)
    T = 400
    actions, rewards, terms, truncs = [], [], [], []
    for _ in range(T):
        a = pi.sample(np.repeat(features, 256, axis=0))
        _, r, te, tr, _ = env.step(a)
        actions.append(a)
        rewards.append(r)
        terms.append(te)
        truncs.append(tr)
    a, r, te, tr = map(np.array, (actions, rewards, terms, truncs))
    G = E.discounted_returns(r, te, tr, 1.0)
    scores = pi.score_vectors(np.repeat(features, 2, axis=0), [0, 1])  # score of right, of left
    per_step = scores[a] * G[..., None]  # [T, N, 2]
    # Sum per complete episode (drop the unfinished tail of each column).
    estimates = []
    for i in range(256):
        ends = np.flatnonzero(te[:, i] | tr[:, i])
        start = 0
        for end in ends:
            estimates.append(per_step[start:end + 1, i].sum(axis=0))
            start = end + 1
    estimates = np.array(estimates)
    mean = estimates.mean(axis=0)
    se = estimates.std(axis=0) / np.sqrt(len(estimates))
    assert len(estimates) > 5000
    assert np.all(np.abs(mean - exact) < 5 * se), (mean, exact, se)
    env.close()
    pi.close()


def test_bad_input():
    env = swiftpg.make_vec("CartPole-v1", 1)
    pi = SoftmaxPolicy(4, 2)
    with pytest.raises(ValueError, match="not a tabular"):
        solve(env, pi)
    env.close()
    corridor = swiftpg.make_vec("ShortCorridor-v0", 1)
    with pytest.raises(ValueError, match="state_observations"):
        solve(corridor, LinearSoftmaxPolicy(2, 2))
    with pytest.raises(ValueError):
        solve(corridor, LinearSoftmaxPolicy(2, 2), [[1.0, 0.0]] * 4)
    with pytest.raises(ValueError, match="actions"):
        solve(corridor, LinearSoftmaxPolicy(2, 3), [[1.0] * 6] * 4)
    stuck = corridor_policy(0.5)
    stuck.params = [-800.0, 0.0]
    with pytest.raises(swiftpg.NumericalError, match="singular"):
        solve(corridor, stuck, CORRIDOR_FEATURES)
    with pytest.raises(TypeError):
        solve("ShortCorridor-v0", stuck)
    corridor.close()
    pi.close()
    stuck.close()
