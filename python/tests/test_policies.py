"""SoftmaxPolicy through the C ABI: gradients against finite differences,
consistency of the distribution functions, parameter round trips."""

import numpy as np
import pytest

import swiftpg
from swiftpg.policies import SoftmaxPolicy


@pytest.mark.parametrize("hidden, activation", [((), "tanh"), ((8,), "tanh"), ((6, 5), "tanh"), ((7,), "relu")])
def test_score_gradient_matches_central_differences(hidden, activation):
    rng = np.random.default_rng(0)
    with SoftmaxPolicy(4, 3, hidden_sizes=hidden, activation=activation, head_gain=1.0, seed=1) as pi:
        theta = rng.normal(0, 0.7, pi.num_params)
        pi.params = theta
        obs = rng.normal(size=(9, 4))
        actions = rng.integers(0, 3, 9)
        weights = rng.normal(size=9)
        grad = pi.score_gradient(obs, actions, weights)
        h = 1e-6
        numeric = np.empty_like(theta)
        for k in range(len(theta)):
            e = np.zeros_like(theta)
            e[k] = h
            pi.params = theta + e
            fp = weights @ pi.log_prob(obs, actions)
            pi.params = theta - e
            fm = weights @ pi.log_prob(obs, actions)
            numeric[k] = (fp - fm) / (2 * h)
        np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-7)


def test_distribution_functions_agree():
    rng = np.random.default_rng(1)
    with SoftmaxPolicy(4, 3, hidden_sizes=(16,), head_gain=1.0, seed=2) as pi:
        obs = rng.normal(size=(20, 4))
        p = pi.probabilities(obs)
        np.testing.assert_allclose(p.sum(axis=1), 1, atol=1e-12)
        np.testing.assert_allclose(pi.entropy(obs), -(p * np.log(p)).sum(axis=1), atol=1e-12)
        for a in range(3):
            np.testing.assert_allclose(pi.log_prob(obs, np.full(20, a)), np.log(p[:, a]), atol=1e-12)
        assert np.array_equal(pi.sample(obs, greedy=True), p.argmax(axis=1))
        # A single observation is a batch of one.
        assert pi.sample(obs[0]).shape == (1,)


def test_linear_policy_is_softmax_of_affine_map():
    with SoftmaxPolicy(2, 3, hidden_sizes=(), seed=0) as pi:
        W = np.arange(6.0).reshape(3, 2) / 10
        b = np.array([0.1, -0.2, 0.3])
        pi.params = np.concatenate([W.ravel(), b])
        s = np.array([[0.5, -1.5]])
        z = W @ s[0] + b
        np.testing.assert_allclose(pi.probabilities(s)[0], np.exp(z) / np.exp(z).sum(), atol=1e-15)


def test_sampling_is_seeded():
    with SoftmaxPolicy(4, 2, seed=3, head_gain=1.0) as pi:
        obs = np.zeros((1000, 4))
        pi.seed(5)
        a = pi.sample(obs)
        pi.seed(5)
        assert np.array_equal(a, pi.sample(obs))
        assert not np.array_equal(a, pi.sample(obs))


def test_params_round_trip_and_validation():
    with SoftmaxPolicy(4, 2, hidden_sizes=(5,), seed=0) as pi:
        assert pi.num_params == 5 * 4 + 5 + 2 * 5 + 2
        theta = np.linspace(-1, 1, pi.num_params)
        pi.params = theta
        assert np.array_equal(pi.params, theta)
        with pytest.raises(swiftpg.NotFiniteError):
            pi.params = np.full(pi.num_params, np.nan)
        with pytest.raises(swiftpg.InvalidArgumentError, match="shape"):
            pi.params = np.zeros(3)
        assert np.array_equal(pi.params, theta)
        with pytest.raises(swiftpg.InvalidArgumentError, match="shape"):
            pi.sample(np.zeros((3, 5)))
        with pytest.raises(swiftpg.NotFiniteError):
            pi.sample(np.array([[0, np.inf, 0, 0]]))
        with pytest.raises(swiftpg.InvalidArgumentError, match="outside"):
            pi.log_prob(np.zeros((2, 4)), [0, 2])
        with pytest.raises(TypeError):
            pi.log_prob(np.zeros((2, 4)), [0.0, 1.0])


@pytest.mark.parametrize("kwargs", [
    dict(observation_size=0, num_actions=2), dict(observation_size=4, num_actions=1),
    dict(observation_size=4, num_actions=2, hidden_sizes=(0,)),
    dict(observation_size=4, num_actions=2, activation="sigmoid"),
    dict(observation_size=4, num_actions=2, head_gain=float("nan")),
    dict(observation_size=2**20, num_actions=2**20),
])
def test_bad_construction(kwargs):
    with pytest.raises((ValueError, TypeError)):
        SoftmaxPolicy(**kwargs)


def test_closed_policy():
    pi = SoftmaxPolicy(4, 2)
    pi.close()
    pi.close()
    with pytest.raises(swiftpg.ClosedError):
        pi.sample(np.zeros((1, 4)))


def test_a_nan_inside_a_float32_tanh_layer_is_not_masked():
    # float32 products round each term: 1e30·1e30 + 1e30·(−1e30) is inf − inf
    # = NaN. tanh(NaN) used to come out of the vector kernel as +1 (a clamp
    # that turned NaN into its bound), so the policy returned finite
    # probabilities — exactly those of a +1 hidden unit — with no error.
    p = SoftmaxPolicy(2, 2, hidden_sizes=(1,), precision="float32")
    theta = np.zeros(7)
    theta[0] = theta[1] = 1e30
    theta[3], theta[4] = 1.0, -1.0
    p.set_params(theta)
    with pytest.raises(swiftpg.NumericalError, match="not all finite"):
        p.probabilities(np.array([[1e30, -1e30]]))
    p.close()
