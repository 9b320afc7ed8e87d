"""FactoredSoftmaxPolicy: the factored categorical policy of MultiDiscrete /
MultiBinary actions (issue 21), and the Gymnasium collector's use of it."""

import ctypes
import pickle

import gymnasium as gym
import numpy as np
import pytest

from swiftpg import _lib
from swiftpg.algorithms import PPO, REINFORCE, GymnasiumCollector, PPOConfig, ReinforceConfig, for_gymnasium
from swiftpg.policies import (FactoredSoftmaxPolicy, SoftmaxPolicy, decode_actions, encode_actions, load)

FACTORS = (3, 2, 4)


def _policy(factors=FACTORS, seed=1, hidden=(5,)):
    p = FactoredSoftmaxPolicy(3, factors, hidden_sizes=hidden, seed=seed, head_gain=1.0)
    return p


def _obs(batch=4, seed=0):
    return np.random.default_rng(seed).normal(size=(batch, 3))


def _central(f, theta, h=1e-6):
    g = np.empty_like(theta)
    for i in range(theta.size):
        e = np.zeros_like(theta)
        e[i] = h
        g[i] = (f(theta + e) - f(theta - e)) / (2 * h)
    return g


def test_joint_distribution_is_the_product_of_factor_softmaxes():
    p = _policy()
    obs = _obs()
    probs = p.probabilities(obs)
    assert probs.shape == (4, 24)
    np.testing.assert_allclose(probs.sum(1), 1, rtol=1e-12)
    a = np.arange(24)
    for r in range(4):
        lp = p.log_prob(np.repeat(obs[r:r + 1], 24, 0), a)
        np.testing.assert_allclose(np.exp(lp), probs[r], rtol=1e-12)
        # independence: the joint table is the outer product of its marginals
        table = probs[r].reshape(4, 2, 3)                 # [a_2, a_1, a_0] (factor 0 least significant)
        m0, m1, m2 = table.sum((0, 1)), table.sum((0, 2)), table.sum((1, 2))
        np.testing.assert_allclose(table, np.einsum("k,j,i->kji", m2, m1, m0), rtol=1e-12)
    q = probs
    np.testing.assert_allclose(p.entropy(obs), -(q * np.log(q)).sum(1), rtol=1e-12)
    old = p.params + np.random.default_rng(5).normal(scale=0.3, size=p.num_params)
    p_old = _policy()
    p_old.params = old
    qo = p_old.probabilities(obs)
    np.testing.assert_allclose(p.kl(obs, old), (qo * (np.log(qo) - np.log(q))).sum(1), rtol=1e-10)


def test_gradients_match_central_differences():
    p = _policy()
    obs = _obs()
    theta = p.params.copy()
    actions = np.array([0, 7, 23, 13], np.int32)
    w = np.array([0.5, -1.0, 2.0, 0.25])
    old = theta + np.random.default_rng(2).normal(scale=0.3, size=theta.size)

    def at(t, f):
        p.params = t
        return f()

    fd_score = _central(lambda t: at(t, lambda: w @ p.log_prob(obs, actions)), theta)
    fd_entropy = _central(lambda t: at(t, lambda: w @ p.entropy(obs)), theta)
    fd_kl = _central(lambda t: at(t, lambda: w @ p.kl(obs, old)), theta)
    p.params = theta
    np.testing.assert_allclose(p.score_gradient(obs, actions, w), fd_score, atol=1e-7, rtol=1e-6)
    np.testing.assert_allclose(p.entropy_gradient(obs, w), fd_entropy, atol=1e-7, rtol=1e-6)
    np.testing.assert_allclose(p.kl_gradient(obs, old, w), fd_kl, atol=1e-7, rtol=1e-6)
    # The Fisher product equals E_a[g gᵀ] v enumerated over the 24 joint actions.
    v = np.random.default_rng(3).normal(size=theta.size)
    expected = np.zeros_like(theta)
    probs = p.probabilities(obs)
    for r in range(4):
        for a in range(24):
            g = p.score_gradient(obs[r:r + 1], np.array([a], np.int32), np.ones(1))
            expected += probs[r, a] * g * (g @ v) / 4
    np.testing.assert_allclose(p.fisher_vector_product(obs, v), expected, rtol=1e-9, atol=1e-12)


def test_one_factor_is_the_softmax_policy_bit_for_bit():
    f = FactoredSoftmaxPolicy(3, (5,), hidden_sizes=(8,), seed=7)
    s = SoftmaxPolicy(3, 5, hidden_sizes=(8,), seed=7)
    assert f.family == "factored_softmax" and s.family == "softmax_mlp"
    assert np.array_equal(f.params, s.params)
    obs = _obs(64)
    a = s.sample(obs)
    assert np.array_equal(f.sample(obs), a)
    assert np.array_equal(f.sample(obs, greedy=True), s.sample(obs, greedy=True))
    old = s.params * 1.1
    v = np.linspace(-1, 1, s.num_params)
    for name, args in [("log_prob", (obs, a)), ("entropy", (obs,)), ("kl", (obs, old)),
                       ("probabilities", (obs,)), ("score_gradient", (obs, a, np.ones(64))),
                       ("entropy_gradient", (obs, np.ones(64))), ("kl_gradient", (obs, old, np.ones(64))),
                       ("fisher_vector_product", (obs, v))]:
        assert np.array_equal(getattr(f, name)(*args), getattr(s, name)(*args)), name
    # A learner's update (the surrogate gradient path) moves both identically.
    rng = np.random.default_rng(0)
    batch = dict(observations=rng.normal(size=(16, 2, 3)), actions=rng.integers(0, 5, (16, 2)).astype(np.int32),
                 rewards=rng.normal(size=(16, 2)), terminated=np.zeros((16, 2), np.uint8),
                 truncated=np.zeros((16, 2), np.uint8), next_observations=rng.normal(size=(2, 3)),
                 final_observations=np.zeros((16, 2, 3)))
    params = []
    for pol in (f, s):
        learner = for_gymnasium("ppo", _Bandit([5]), policy=pol,
                                config=PPOConfig(steps_per_env=16, minibatch_size=8, entropy_coef=0.01, seed=3))
        learner.update(**batch)
        params.append(learner.policy.params)
        learner.close()
    assert np.array_equal(params[0], params[1])


def test_sampling_frequencies_match_the_probabilities():
    p = _policy(seed=4)
    row = _obs(1)
    n = 40_000
    draws = p.sample(np.repeat(row, n, 0))
    freq = np.bincount(draws, minlength=24) / n
    probs = p.probabilities(row)[0]
    se = np.sqrt(probs * (1 - probs) / n)
    assert np.all(np.abs(freq - probs) < 5 * se + 1e-12), np.max(np.abs(freq - probs) / se)
    greedy = p.sample(row, greedy=True)[0]
    assert greedy == np.argmax(probs)


def test_encode_decode_and_checkpoints(tmp_path):
    comps = np.array([[2, 1, 3], [0, 0, 0], [1, 0, 2]])
    joint = encode_actions(comps, FACTORS)
    assert joint.tolist() == [2 + 3 * 1 + 6 * 3, 0, 1 + 6 * 2] and joint.dtype == np.int32
    assert np.array_equal(decode_actions(joint, FACTORS), comps)
    assert np.array_equal(decode_actions(np.arange(24), FACTORS)[:, ::-1], np.indices((4, 2, 3)).reshape(3, -1).T)
    with pytest.raises(ValueError):
        encode_actions([[3, 0, 0]], FACTORS)
    with pytest.raises(ValueError):
        decode_actions([24], FACTORS)
    with pytest.raises(TypeError):
        decode_actions([1.5], FACTORS)

    p = _policy()
    obs = _obs()
    path = tmp_path / "f.spg"
    p.save(path)
    for q in (load(path), pickle.loads(pickle.dumps(p))):
        assert isinstance(q, FactoredSoftmaxPolicy) and q.factor_sizes == FACTORS and q.num_actions == 24
        assert np.array_equal(q.params, p.params)
        assert np.array_equal(q.probabilities(obs), p.probabilities(obs))
    q = pickle.loads(pickle.dumps(p))
    assert np.array_equal(q.sample(obs), p.sample(obs))      # the sampling generator travels too


@pytest.mark.parametrize("factors, error", [((), ValueError), ((0, 2), ValueError), ((1,), ValueError),
                                            ((1, 1), ValueError), ((65537, 2), ValueError),
                                            ((2,) * 31, ValueError), ((2,) * 65, ValueError),
                                            ((2.5, 2), TypeError), ("ab", TypeError)])
def test_bad_factor_sizes_are_refused(factors, error):
    with pytest.raises(error):
        FactoredSoftmaxPolicy(3, factors)


def test_native_create_refuses_bad_factors():
    out = ctypes.c_uint64()
    hidden = (ctypes.c_int32 * 1)(4)
    for sizes, code in [((2, 0), _lib.ERR_INVALID_ARGUMENT), ((2,) * 31, _lib.ERR_TOO_LARGE),
                        ((1,), _lib.ERR_INVALID_ARGUMENT), ((40000, 40000), _lib.ERR_TOO_LARGE)]:
        arr = (ctypes.c_int32 * len(sizes))(*sizes)
        rc = _lib.lib.swiftpg_policy_create_factored_softmax(3, arr, len(sizes), hidden, 1, 0, 1.4, 0.01, 0,
                                                             ctypes.byref(out))
        assert rc == code, (sizes, rc)
    rc = _lib.lib.swiftpg_policy_create_factored_softmax(3, None, 2, hidden, 1, 0, 1.4, 0.01, 0, ctypes.byref(out))
    assert rc == _lib.ERR_NULL_POINTER
    rc = _lib.lib.swiftpg_policy_create_factored_softmax(3, (ctypes.c_int32 * 1)(2), 0, hidden, 1, 0, 1.4, 0.01, 0,
                                                         ctypes.byref(out))
    assert rc == _lib.ERR_INVALID_ARGUMENT
    p = _policy()
    small = (ctypes.c_int32 * 2)()
    count = ctypes.c_int32()
    assert _lib.lib.swiftpg_policy_get_factor_sizes(p.handle, small, 2, ctypes.byref(count)) == _lib.ERR_BUFFER_TOO_SMALL
    s = SoftmaxPolicy(3, 5, hidden_sizes=())
    one = (ctypes.c_int32 * 1)()
    assert _lib.lib.swiftpg_policy_get_factor_sizes(s.handle, one, 1, ctypes.byref(count)) == 0
    assert (count.value, one[0]) == (1, 5)


class _Bandit(gym.Env):
    """A contextual bandit with MultiDiscrete(nvec, start) actions: the
    observation is a one-hot context c; factor k pays 1 when its action is
    (c + k) mod n_k (plus start). One-step episodes."""

    def __init__(self, nvec, start=None, binary=False):
        self.nvec = np.asarray(nvec)
        self.start = np.zeros_like(self.nvec) if start is None else np.asarray(start)
        self.action_space = gym.spaces.MultiBinary(len(nvec)) if binary else \
            gym.spaces.MultiDiscrete(self.nvec, start=self.start)
        self.observation_space = gym.spaces.Box(0, 1, (3,), np.float64)
        self.received = []

    def _observe(self):
        self.c = int(self.np_random.integers(0, 2))
        return np.eye(3)[self.c]

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        return self._observe(), {}

    def step(self, action):
        assert self.action_space.contains(action), action
        self.received.append(np.array(action))
        target = (self.c + np.arange(len(self.nvec))) % self.nvec + self.start
        reward = float(np.sum(np.asarray(action).reshape(-1) == target))
        return self._observe(), reward, True, False, {}


def test_collector_decodes_the_joint_index_for_the_env():
    env = _Bandit([3, 2], start=[-1, 5])
    learner = for_gymnasium("reinforce", env)
    assert isinstance(learner.policy, FactoredSoftmaxPolicy) and learner.policy.factor_sizes == (3, 2)
    collector = GymnasiumCollector(env, learner.policy, seed=1)
    batch = collector.collect(30)
    sent = np.array(env.received)
    assert sent.shape == (30, 2) and sent.dtype == env.action_space.dtype
    assert np.array_equal(sent - [-1, 5], learner.policy.decode(batch["actions"][:, 0]))
    wrong = FactoredSoftmaxPolicy(3, (2, 3))
    with pytest.raises(ValueError, match="factor sizes"):
        GymnasiumCollector(env, wrong)
    with pytest.raises(ValueError):
        for_gymnasium("ppo", env, policy=wrong)
    benv = _Bandit([2, 2, 2], binary=True)
    learner_b = for_gymnasium("a2c", benv)
    assert learner_b.policy.factor_sizes == (2, 2, 2)
    GymnasiumCollector(benv, learner_b.policy).collect(5)
    assert benv.received[-1].dtype == np.int8 and benv.received[-1].shape == (3,)
    learner.close()
    learner_b.close()


@pytest.mark.parametrize("algorithm", ["ppo", "reinforce"])
def test_learner_improves_on_a_multidiscrete_bandit(algorithm):
    envs = [_Bandit([3, 4], start=[1, -2]) for _ in range(4)]
    config = (PPOConfig(steps_per_env=32, minibatch_size=64, learning_rate=1e-2, seed=0) if algorithm == "ppo"
              else ReinforceConfig(steps_per_iteration=128, learning_rate=5e-2, seed=0))
    learner = for_gymnasium(algorithm, envs[0], config=config, hidden_sizes=(16,))
    collector = learner.learn_gymnasium(envs, 6_000)
    r = np.asarray(collector.episode_returns)
    early, late = r[:128], r[-400:]            # early: the episodes before the first update
    # Uniform play earns 1/3 + 1/4 per step; an optimal policy 2.
    se = np.sqrt(early.var() / early.size + late.var() / late.size)
    assert abs(early.mean() - 7 / 12) < 4 * early.std() / np.sqrt(early.size), early.mean()
    assert late.mean() - early.mean() > 8 * se and late.mean() > 1.6, (early.mean(), late.mean(), se)
    learner.close()


def test_empty_batches_extreme_logits_and_for_env():
    p = _policy()
    empty = np.zeros((0, 3))
    assert p.sample(empty).shape == (0,) and p.probabilities(empty).shape == (0, 24)
    assert p.log_prob(empty, np.zeros(0, np.int32)).shape == (0,)
    assert np.array_equal(p.score_gradient(empty, np.zeros(0, np.int32), np.zeros(0)), np.zeros(p.num_params))
    big = FactoredSoftmaxPolicy(1, (2, 3), hidden_sizes=())
    big.params = np.array([1e300, -1e300, 0, 0, 0, 0, 0, 0, 0, 0], float)  # W [5, 1] then b [5]
    lp = big.log_prob(np.ones((6, 1)), np.arange(6, dtype=np.int32))
    assert lp[0] == lp[2] == lp[4] == -np.log(3) and np.all(lp[1::2] < -1e299)
    assert np.isclose(big.entropy(np.ones((1, 1)))[0], np.log(3))
    # A 2-D MultiDiscrete: factors in C order, actions sent in the space's shape.
    env = _Bandit([2, 3, 2, 2])
    env.action_space = gym.spaces.MultiDiscrete([[2, 3], [2, 2]])
    pol = FactoredSoftmaxPolicy.for_env(env, hidden_sizes=())
    assert pol.factor_sizes == (2, 3, 2, 2)
    GymnasiumCollector(env, pol).collect(3)
    assert env.received[-1].shape == (2, 2)


def test_predict_returns_the_envs_actions():
    env = _Bandit([3, 2], start=[-1, 5])
    learner = for_gymnasium("a2c", env, hidden_sizes=())
    obs = np.eye(3)[:2]
    joint = learner.policy.sample(obs, greedy=True)
    one, _ = learner.predict(obs[0])
    many, _ = learner.predict(obs)
    assert one.shape == (2,) and many.shape == (2, 2) and many.dtype == env.action_space.dtype
    assert np.array_equal(many, learner.policy.decode(joint) + [-1, 5]) and np.array_equal(one, many[0])
    assert all(env.action_space.contains(a) for a in many)
    learner.close()


def test_predict_decodes_after_pickling_and_deep_copy():
    """The review's case: a pickled or deep-copied learner of a MultiDiscrete
    / MultiBinary env still returns the env's actions from predict (the
    action space travels, the env does not)."""
    import copy
    import pickle
    from swiftpg.algorithms import for_gymnasium
    for env in (_Bandit([3, 4], start=[5, -3]), _Bandit([2, 2, 2], binary=True)):
        learner = for_gymnasium("ppo", env, hidden_sizes=(8,))
        obs = np.eye(3)[0]
        want, _ = learner.predict(obs)
        for twin in (pickle.loads(pickle.dumps(learner)), copy.deepcopy(learner)):
            got, _ = twin.predict(obs)
            assert got.dtype == want.dtype and np.array_equal(got, want), (got, want)
            assert env.action_space.contains(got)
