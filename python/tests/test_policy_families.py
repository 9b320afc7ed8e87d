"""Every policy family from Python: gradients against finite differences,
Fisher-vector products against the exact Fisher matrix, checkpoints, value
functions and bad input."""

import os

import numpy as np
import pytest

import swiftpg
from conftest import objective_gradient
from swiftpg.policies import (ClampPolicy, GaussianPolicy, LinearSoftmaxPolicy, SoftmaxPolicy,
                              TabularSoftmaxPolicy, ValueFunction, load, load_value)

FAMILIES = {
    "softmax_linear": lambda: SoftmaxPolicy(3, 3, hidden_sizes=(), head_gain=1.0, seed=1),
    "softmax_mlp": lambda: SoftmaxPolicy(3, 4, hidden_sizes=(6, 5), head_gain=1.0, seed=2),
    "softmax_relu": lambda: SoftmaxPolicy(3, 2, hidden_sizes=(7,), activation="relu", head_gain=1.0, seed=3),
    "tabular": lambda: TabularSoftmaxPolicy(4, 3),
    "features": lambda: LinearSoftmaxPolicy(feature_size=2, num_actions=3),
    "gaussian_free": lambda: GaussianPolicy(3, 2, hidden_sizes=(5,), head_gain=1.0, seed=4),
    "gaussian_state": lambda: GaussianPolicy(3, 2, hidden_sizes=(5,), state_dependent_std=True, head_gain=1.0,
                                             seed=5),
    "gaussian_gsde": lambda: GaussianPolicy(3, 2, hidden_sizes=(), gsde=True, initial_log_std=-0.5, head_gain=1.0,
                                            noise_interval=3, seed=6),
    "clamp": lambda: ClampPolicy(0.3),
}


def data(policy, rng, b=6):
    if policy.family == "tabular":
        obs = np.eye(policy.observation_size)[rng.integers(0, policy.observation_size, b)]
    else:
        obs = rng.normal(size=(b, policy.observation_size))
    actions = rng.integers(0, policy.num_actions, b) if policy.discrete else rng.normal(size=(b, policy.action_size))
    return obs, actions


@pytest.mark.parametrize("name", FAMILIES)
def test_gradients_match_finite_differences(name):
    rng = np.random.default_rng(0)
    with FAMILIES[name]() as pi:
        if name != "clamp":
            pi.params = rng.normal(0, 0.5, pi.num_params)
        obs, actions = data(pi, rng)
        w = rng.normal(size=len(obs))
        old = pi.params + rng.normal(0, 0.3, pi.num_params)
        np.testing.assert_allclose(pi.score_gradient(obs, actions, w),
                                   objective_gradient(pi, lambda: w @ pi.log_prob(obs, actions)), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(pi.entropy_gradient(obs, w),
                                   objective_gradient(pi, lambda: w @ pi.entropy(obs)), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(pi.kl_gradient(obs, old, w),
                                   objective_gradient(pi, lambda: w @ pi.kl(obs, old)), rtol=1e-5, atol=1e-7)
        np.testing.assert_allclose(w @ pi.score_vectors(obs, actions), pi.score_gradient(obs, actions, w),
                                   rtol=1e-10, atol=1e-12)
        assert np.all(pi.kl(obs, old) >= -1e-12) and np.allclose(pi.kl(obs, pi.params), 0, atol=1e-12)


@pytest.mark.parametrize("name", [n for n in FAMILIES if not n.startswith("gaussian")])
def test_fisher_vector_product_equals_the_exact_fisher_matrix(name):
    """Categorical: F(s) = sum_a pi(a|s) g_a g_a^T with g_a the score of
    action a, built from score_vectors, an independent computation."""
    rng = np.random.default_rng(1)
    with FAMILIES[name]() as pi:
        if name != "clamp":
            pi.params = rng.normal(0, 0.5, pi.num_params)
        obs, _ = data(pi, rng, b=4)
        F = np.zeros((pi.num_params, pi.num_params))
        probs = pi.probabilities(obs)
        for a in range(pi.num_actions):
            g = pi.score_vectors(obs, np.full(len(obs), a))
            F += np.einsum("i,ij,ik->jk", probs[:, a], g, g) / len(obs)
        v = rng.normal(size=pi.num_params)
        np.testing.assert_allclose(pi.fisher_vector_product(obs, v), F @ v, rtol=1e-8, atol=1e-10)


@pytest.mark.parametrize("name", ["gaussian_free", "gaussian_state", "gaussian_gsde"])
def test_gaussian_fisher_matches_monte_carlo(name):
    """F = E_a[g g^T], estimated from 200k sampled actions; agreement within
    5 standard errors of each component of F v."""
    rng = np.random.default_rng(2)
    with FAMILIES[name]() as pi:
        pi.params = rng.normal(0, 0.3, pi.num_params)
        obs = rng.normal(size=(1, 3))
        v = rng.normal(size=pi.num_params)
        n = 200_000
        many = np.repeat(obs, n, axis=0)
        pi.seed(3)
        a = pi.sample(many)
        g = pi.score_vectors(many, a)
        samples = g * (g @ v)[:, None]
        mean, se = samples.mean(axis=0), samples.std(axis=0) / np.sqrt(n)
        fv = pi.fisher_vector_product(obs, v)
        assert np.all(np.abs(fv - mean) <= 5 * se + 1e-9), (fv, mean, se)


def test_sampling_frequencies_and_modes():
    rng = np.random.default_rng(3)
    pi = SoftmaxPolicy(2, 3, hidden_sizes=(), head_gain=1.0, seed=4)
    pi.params = rng.normal(size=pi.num_params)
    obs = np.repeat([[0.5, -1.0]], 40_000, axis=0)
    p = pi.probabilities(obs[:1])[0]
    counts = np.bincount(pi.sample(obs), minlength=3) / len(obs)
    assert np.all(np.abs(counts - p) < 5 * np.sqrt(p * (1 - p) / len(obs)))
    assert pi.sample(obs[:1], greedy=True)[0] == p.argmax()
    g = GaussianPolicy(2, 1, hidden_sizes=(), initial_log_std=np.log(0.3), head_gain=1.0, seed=0)
    mean = g.sample(obs[:1], greedy=True)[0]
    s = g.sample(obs)
    assert abs(s.mean() - mean[0]) < 5 * 0.3 / np.sqrt(len(obs))
    assert abs(s.std() - 0.3) < 5 * 0.3 / np.sqrt(2 * len(obs))
    pi.close()
    g.close()


def test_gsde_holds_its_noise_for_the_interval_and_samples_the_stated_gaussian():
    """Rows of one call are independent draws of N(μ(s), σ(s)²) with
    σ(s)² = Σ_i φ_i² e^{2L_i} + 1e-6 (φ = the observation here); calls
    within the noise interval reuse the noise, the next interval draws anew."""
    rng = np.random.default_rng(5)
    with GaussianPolicy(2, 1, hidden_sizes=(), gsde=True, noise_interval=3, head_gain=1.0, seed=1) as pi:
        pi.params = np.array([0.4, -0.2, 0.1, np.log(0.5), np.log(0.2)])   # w (2), b, L (2 × 1)
        s = np.array([[0.8, -1.5]])
        sigma = np.sqrt(0.8**2 * 0.25 + 1.5**2 * 0.04 + 1e-6)
        np.testing.assert_allclose(pi.entropy(s), np.log(sigma) + 0.5 * (1 + np.log(2 * np.pi)), rtol=1e-12)
        many = np.repeat(s, 100_000, axis=0)
        mu = pi.sample(s, greedy=True)[0, 0]
        a = pi.sample(many)[:, 0]
        n = len(a)
        assert abs(a.mean() - mu) < 5 * sigma / np.sqrt(n)
        assert abs(a.std() - sigma) < 5 * sigma / np.sqrt(2 * n)
        obs = rng.normal(size=(4, 2))
        first = [pi.sample(obs) for _ in range(3)]                # the rest of this interval: new batch size
        nxt = pi.sample(obs)
        mean = pi.sample(obs, greedy=True)                        # greedy calls do not use up the interval
        # Same state, same held noise: identical up to the 1e-3 floor noise.
        assert np.abs(first[1] - first[0]).max() < 0.01 and np.abs(first[2] - first[0]).max() < 0.01
        assert np.abs(nxt - first[0]).max() > 0.05
        assert np.abs(pi.sample(obs) - nxt).max() < 0.01 and np.abs(mean - nxt).max() > 0.01


def test_gsde_network_gradient_flows_through_the_mean_only():
    """With hidden layers, σ(s) uses φ(s) as a constant (SB3's default): the
    gradient of the network parameters is that of a Gaussian with the same μ
    and σ fixed at σ(s) — checked against a free-σ policy sharing the network,
    with weights rescaled by σ_free²/σ(s)²; the L block against finite
    differences (exact, since σ depends on L directly)."""
    rng = np.random.default_rng(6)
    gsde = GaussianPolicy(3, 1, hidden_sizes=(5,), gsde=True, head_gain=1.0, seed=2)
    free = GaussianPolicy(3, 1, hidden_sizes=(5,), head_gain=1.0, seed=2)
    net = free.num_params - 1
    gsde.params = np.concatenate([rng.normal(0, 0.5, net), rng.normal(-0.5, 0.3, 5)])
    free.params = np.concatenate([gsde.params[:net], [0.3]])
    obs, actions, w = rng.normal(size=(7, 3)), rng.normal(size=(7, 1)), rng.normal(size=7)
    sigma2 = np.exp(2 * (gsde.entropy(obs) - 0.5 * (1 + np.log(2 * np.pi))))
    g = gsde.score_gradient(obs, actions, w)
    reference = free.score_gradient(obs, actions, w * np.exp(0.6) / sigma2)
    np.testing.assert_allclose(g[:net], reference[:net], rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(g[net:], objective_gradient(gsde, lambda: w @ gsde.log_prob(obs, actions))[net:],
                               rtol=1e-5, atol=1e-7)
    gsde.close()
    free.close()


def test_clamp_policy_is_the_lecture_example():
    """J(theta) = theta r_L + (1 - theta) r_R on TwoAction-v0; the score
    gradient averaged over sampled actions estimates r_L - r_R."""
    pi = ClampPolicy(0.3, seed=1)
    obs = np.ones((50_000, 1))
    a = pi.sample(obs)
    r = np.where(a == 0, 1.0, 0.0)  # TwoAction-v0 defaults: r_L = 1, r_R = 0
    g = pi.score_vectors(obs, a)[:, 0] * r
    assert abs(g.mean() - 1.0) < 5 * g.std() / np.sqrt(len(g))
    assert abs((a == 0).mean() - 0.3) < 5 * np.sqrt(0.21 / len(a))
    pi.params = [1.4]
    assert np.all(pi.sample(obs[:100]) == 0) and pi.score_gradient(obs[:2], [0, 0], [1, 1])[0] == 0
    pi.close()


@pytest.mark.parametrize("name", FAMILIES)
def test_checkpoint_round_trip(tmp_path, name):
    rng = np.random.default_rng(4)
    with FAMILIES[name]() as pi:
        pi.params = rng.normal(size=pi.num_params)
        path = tmp_path / "policy.ckpt"
        pi.save(path)
        with load(path) as again:
            assert type(again) is type(pi) and again.family == pi.family
            assert np.array_equal(again.params, pi.params)
            obs, _ = data(pi, rng)
            assert np.array_equal(again.entropy(obs), pi.entropy(obs))


def test_damaged_checkpoints_are_refused_and_saves_are_atomic(tmp_path):
    pi = SoftmaxPolicy(4, 2, hidden_sizes=(8,), seed=0)
    path = tmp_path / "p.ckpt"
    pi.save(path)
    good = path.read_bytes()
    for n in (0, 5, 30, len(good) - 1):
        path.write_bytes(good[:n])
        with pytest.raises(swiftpg.BadFormatError, match="not a valid swiftpg checkpoint"):
            load(path)
    for i in (3, 20, len(good) // 2, len(good) - 3):
        bad = bytearray(good)
        bad[i] ^= 0x04
        path.write_bytes(bytes(bad))
        with pytest.raises(swiftpg.BadFormatError):
            load(path)
    with pytest.raises(swiftpg.CheckpointIOError, match="cannot open"):
        load(tmp_path / "missing.ckpt")
    # A failed save (directory missing) leaves an existing checkpoint untouched.
    path.write_bytes(good)
    with pytest.raises(swiftpg.CheckpointIOError):
        pi.save(tmp_path / "no-such-dir" / "p.ckpt")
    assert path.read_bytes() == good
    assert not [f for f in os.listdir(tmp_path) if ".tmp-" in f]
    v = ValueFunction(4, hidden_sizes=(3,))
    v.save(tmp_path / "v.ckpt")
    with pytest.raises(swiftpg.BadFormatError, match="value function, not a policy"):
        load(tmp_path / "v.ckpt")
    assert np.array_equal(load_value(tmp_path / "v.ckpt").params, v.params)
    pi.close()
    v.close()


@pytest.mark.parametrize("hidden", [(), (6,), (5, 4)])
def test_value_function_gradient(hidden):
    rng = np.random.default_rng(5)
    with ValueFunction(3, hidden_sizes=hidden, seed=1) as v:
        v.params = rng.normal(0, 0.5, v.num_params)
        obs = rng.normal(size=(7, 3))
        w = rng.normal(size=7)
        theta = v.params
        num = np.empty_like(theta)
        for k in range(len(theta)):
            e = np.zeros_like(theta)
            e[k] = 1e-6
            v.params = theta + e
            fp = w @ v.predict(obs)
            v.params = theta - e
            fm = w @ v.predict(obs)
            num[k] = (fp - fm) / 2e-6
        v.params = theta
        np.testing.assert_allclose(v.gradient(obs, w), num, rtol=1e-6, atol=1e-8)


def test_tabular_value_and_policy_work_with_tabular_envs():
    env = swiftpg.envs.gridworld(num_envs=4, seed=0)
    obs, _ = env.reset()
    pi = TabularSoftmaxPolicy(env.observation_size, 4)
    assert np.allclose(pi.probabilities(obs), 0.25)
    v = ValueFunction.tabular(env.observation_size)
    v.params = np.arange(env.observation_size, dtype=float)
    assert np.array_equal(v.predict(obs), env.get_state()[:, 0])
    with pytest.raises(ValueError, match="one-hot"):
        pi.sample(obs * 0.5)
    with pytest.raises(ValueError, match="one-hot"):
        v.predict(obs + 1)
    env.close()
    pi.close()
    v.close()


def test_linear_features_policy_accepts_feature_tensors():
    pi = LinearSoftmaxPolicy(feature_size=2, num_actions=3)
    pi.params = [1.0, -1.0]
    phi = np.array([[[1, 0], [0, 1], [1, 1]]], dtype=float)  # [B=1, A=3, d=2]
    z = np.array([1.0, -1.0, 0.0])
    np.testing.assert_allclose(pi.probabilities(phi)[0], np.exp(z) / np.exp(z).sum())
    pi.close()


@pytest.mark.parametrize("call, exc", [
    (lambda p: p.probabilities(np.zeros((2, 3))), AttributeError),  # continuous: no such method
    (lambda p: p.log_prob(np.zeros((2, 3)), np.array([0, 1])), ValueError),
    (lambda p: p.log_prob(np.zeros((2, 3)), np.full((2, 2), np.nan)), ValueError),
    (lambda p: p.kl(np.zeros((2, 3)), np.zeros(3)), ValueError),
    (lambda p: p.kl(np.zeros((2, 3)), np.full(p.num_params, np.inf)), ValueError),
    (lambda p: p.fisher_vector_product(np.zeros((2, 3)), np.zeros(p.num_params + 1)), ValueError),
    (lambda p: p.sample(np.full((1, 3), np.nan)), ValueError),
    (lambda p: p.score_gradient(np.zeros((2, 3)), np.zeros((2, 2)), [1.0, np.nan]), ValueError),
    (lambda p: p.save(123), TypeError),
])
def test_bad_input_to_a_gaussian_policy(call, exc):
    with GaussianPolicy(3, 2, hidden_sizes=(4,)) as pi:
        before = pi.params
        with pytest.raises(exc):
            call(pi)
        assert np.array_equal(pi.params, before)


def test_bad_family_arguments():
    for make in (lambda: TabularSoftmaxPolicy(0, 2), lambda: TabularSoftmaxPolicy(3, 1),
                 lambda: LinearSoftmaxPolicy(0, 3), lambda: GaussianPolicy(3, 0),
                 lambda: GaussianPolicy(3, 1, initial_log_std=float("nan")), lambda: ClampPolicy(float("inf")),
                 lambda: ValueFunction(0), lambda: ValueFunction.tabular(0),
                 lambda: SoftmaxPolicy(3, 2, hidden_gain=-1.0)):
        with pytest.raises((ValueError, TypeError)):
            make()


def test_gaussian_actions_clipped_for_the_env_but_not_for_log_prob():
    env = swiftpg.make_vec("Pendulum-v1", 8, seed=0)
    obs, _ = env.reset()
    pi = GaussianPolicy.for_env(env, hidden_sizes=(), initial_log_std=np.log(5.0), seed=1)
    raw, clipped = pi.sample_clipped(obs, env.action_low, env.action_high)
    assert np.all(np.abs(clipped) <= 2) and np.any(np.abs(raw) > 2)
    assert np.array_equal(clipped, np.clip(raw, -2, 2))
    assert np.all(np.isfinite(pi.log_prob(obs, raw)))
    env.step(clipped)
    env.close()
    pi.close()


FLOAT32_FAMILIES = {
    "softmax_mlp": FAMILIES["softmax_mlp"],
    "softmax_relu": FAMILIES["softmax_relu"],
    "gaussian_free": FAMILIES["gaussian_free"],
    "gaussian_state": FAMILIES["gaussian_state"],
    "gaussian_gsde_mlp": lambda: GaussianPolicy(3, 2, hidden_sizes=(5, 4), gsde=True, head_gain=1.0, seed=8),
}


@pytest.mark.parametrize("name", FLOAT32_FAMILIES)
def test_float32_networks_agree_with_float64_to_float_rounding(name):
    """set_precision("float32") changes the arithmetic, not the function: every
    quantity agrees with the float64 network to float rounding (and differs
    from it, so the single-precision path really ran)."""
    rng = np.random.default_rng(7)
    with FLOAT32_FAMILIES[name]() as a, FLOAT32_FAMILIES[name]() as b:
        theta = rng.normal(0, 0.5, a.num_params)
        a.params, b.params = theta, theta
        b.set_precision("float32")
        assert (a.precision, b.precision) == ("float64", "float32")
        obs, actions = data(a, rng, b=9)
        w, v = rng.normal(size=9), rng.normal(size=a.num_params)
        old = theta + rng.normal(0, 0.3, a.num_params)
        pairs = [(p.log_prob(obs, actions), p.entropy(obs), p.kl(obs, old), p.score_gradient(obs, actions, w),
                  p.entropy_gradient(obs, w), p.kl_gradient(obs, old, w), p.fisher_vector_product(obs, v))
                 for p in (a, b)]
        for x64, x32 in zip(*pairs):
            scale = np.abs(x64).max() + 1e-3
            np.testing.assert_allclose(x32, x64, rtol=2e-4, atol=2e-5 * scale)
        assert not np.array_equal(pairs[0][0], pairs[1][0])
        np.testing.assert_array_equal(b.params, theta)            # parameters stay float64
        b.set_precision("float64")
        np.testing.assert_array_equal(b.log_prob(obs, actions), a.log_prob(obs, actions))


def test_float32_value_functions_and_bad_precisions():
    rng = np.random.default_rng(8)
    a = ValueFunction(3, hidden_sizes=(6, 5), seed=1)
    b = ValueFunction(3, hidden_sizes=(6, 5), seed=1, precision="float32")
    obs, w = rng.normal(size=(10, 3)), rng.normal(size=10)
    np.testing.assert_allclose(b.predict(obs), a.predict(obs), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(b.gradient(obs, w), a.gradient(obs, w), rtol=1e-4, atol=1e-5)
    assert not np.array_equal(b.predict(obs), a.predict(obs))
    with pytest.raises(swiftpg.InvalidArgumentError, match="precision"):
        a.set_precision("float16")
    with pytest.raises(swiftpg.InvalidArgumentError, match="tabular"):
        ValueFunction.tabular(3).set_precision("float32")
    with pytest.raises(swiftpg.InvalidArgumentError, match="MLP"):
        TabularSoftmaxPolicy(3, 2).set_precision("float32")
    with pytest.raises(swiftpg.InvalidArgumentError, match="MLP"):
        ClampPolicy(0.3).set_precision("float32")
    a.close()
    b.close()


@pytest.mark.parametrize("precision", ["float32", "float64"])
def test_network_passes_give_each_row_the_same_bits_in_any_batch(precision):
    """A network computes a row bit-identically alone, in a batch of any
    size and at any position (what makes distributed runs identical to the
    single process). OpenBLAS does not: its Haswell sgemm rounds a row by
    its position in 12/8/4-row blocks (float32 forward passes use a kernel
    of their own) and its dgemm gives an odd last row a path of its own (odd
    float64 batches are padded); see swiftpg.distributed."""
    from swiftpg.policies import GaussianPolicy, SoftmaxPolicy, ValueFunction
    rng = np.random.default_rng(12)
    nets = [SoftmaxPolicy(4, 3, hidden_sizes=(64, 64), seed=1, precision=precision),
            GaussianPolicy(5, 2, hidden_sizes=(64, 17), seed=2, precision=precision),
            ValueFunction(6, hidden_sizes=(300, 32), seed=3, precision=precision)]
    for net in nets:
        d = net.observation_size
        obs = rng.standard_normal((300, d))
        if isinstance(net, ValueFunction):
            f = net.predict
        else:
            acts = net.sample(obs)
            f = lambda o, lo=0, hi=300: net.log_prob(o, acts[lo:hi])  # noqa: E731
        whole = f(obs) if isinstance(net, ValueFunction) else f(obs, 0, 300)
        for b in (1, 7, 64, 256):
            for start in (0, 5, 300 - b):
                part = obs[start:start + b]
                got = f(part) if isinstance(net, ValueFunction) else f(part, start, start + b)
                assert np.array_equal(got, whole[start:start + b]), (type(net).__name__, b, start)
