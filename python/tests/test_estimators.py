"""Return and advantage estimators against an independent reference written
from the definitions, identities between them, edge cases and bad input."""

import numpy as np
import pytest

import swiftpg
from swiftpg import estimators as E


def reference_next(t, i, r, te, tr, v, f):
    if te[t, i]:
        return 0.0
    if tr[t, i]:
        return f[t, i] if f is not None else 0.0
    return v[t + 1, i] if v is not None else 0.0


def reference_n_step(r, te, tr, v, f, gamma, n):
    T, N = r.shape
    out = np.zeros((T, N))
    for i in range(N):
        for t in range(T):
            g, disc, u = 0.0, 1.0, t
            while True:
                g += disc * r[u, i]
                disc *= gamma
                if u - t + 1 == n or u == T - 1 or te[u, i] or tr[u, i]:
                    g += disc * reference_next(u, i, r, te, tr, v, f)
                    break
                u += 1
            out[t, i] = g
    return out


def reference_gae(r, te, tr, v, f, gamma, lam):
    T, N = r.shape
    out = np.zeros((T, N))
    for i in range(N):
        a = 0.0
        for t in reversed(range(T)):
            delta = r[t, i] + gamma * reference_next(t, i, r, te, tr, v, f) - v[t, i]
            a = delta + (0.0 if (te[t, i] or tr[t, i]) else gamma * lam * a)
            out[t, i] = a
    return out


def random_rollout(rng, T=40, N=5, p_end=0.15):
    r = rng.normal(size=(T, N))
    te = rng.random((T, N)) < p_end
    tr = (rng.random((T, N)) < p_end) & ~te
    v = rng.normal(size=(T + 1, N))
    f = rng.normal(size=(T, N))
    return r, te, tr, v, f


@pytest.mark.parametrize("seed", range(5))
def test_against_the_reference(seed):
    rng = np.random.default_rng(seed)
    r, te, tr, v, f = random_rollout(rng)
    g, lam = 0.97, 0.9
    big = 10_000
    np.testing.assert_allclose(E.gae(r, te, tr, v, g, lam, final_values=f), reference_gae(r, te, tr, v, f, g, lam),
                               rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(E.lambda_returns(r, te, tr, v, g, lam, final_values=f),
                               reference_gae(r, te, tr, v, f, g, lam) + v[:-1], rtol=1e-12, atol=1e-12)
    for n in (1, 3, 7):
        np.testing.assert_allclose(E.n_step_returns(r, te, tr, g, n, values=v, final_values=f),
                                   reference_n_step(r, te, tr, v, f, g, n), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(E.discounted_returns(r, te, tr, g, values=v, final_values=f),
                               reference_n_step(r, te, tr, v, f, g, big), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(E.td_errors(r, te, tr, v, g, final_values=f),
                               reference_n_step(r, te, tr, v, f, g, 1) - v[:-1], rtol=1e-12, atol=1e-12)


def test_identities():
    rng = np.random.default_rng(9)
    r, te, tr, v, f = random_rollout(rng)
    g = 0.95
    mc_adv = E.discounted_returns(r, te, tr, g, values=v, final_values=f) - v[:-1]
    np.testing.assert_allclose(E.gae(r, te, tr, v, g, 1.0, final_values=f), mc_adv, atol=1e-12)  # GAE λ=1 = MC
    np.testing.assert_allclose(E.gae(r, te, tr, v, g, 0.0, final_values=f),
                               E.td_errors(r, te, tr, v, g, final_values=f), atol=1e-12)     # λ=0 = TD(0)
    np.testing.assert_allclose(E.n_step_advantages(r, te, tr, v, g, len(r), final_values=f), mc_adv, atol=1e-12)
    np.testing.assert_allclose(E.n_step_advantages(r, te, tr, v, g, 1, final_values=f),
                               E.td_errors(r, te, tr, v, g, final_values=f), atol=1e-12)


def test_plain_reward_to_go_of_whole_episodes():
    r = np.array([1.0, 1.0, 1.0, 2.0, 2.0])
    te = np.array([0, 0, 1, 0, 1], bool)
    tr = np.zeros(5, bool)
    np.testing.assert_allclose(E.discounted_returns(r, te, tr, 0.5), [1.75, 1.5, 1.0, 3.0, 2.0])
    np.testing.assert_allclose(E.discounted_returns(r, te, tr, 1.0), [3, 2, 1, 4, 2])


def test_edge_cases():
    v1 = np.array([[0.5], [2.0]])
    # T = 1: a single step, bootstrapped, terminated, or truncated.
    assert E.gae([[1.0]], [[0]], [[0]], v1, 0.9, 0.95)[0, 0] == pytest.approx(1 + 0.9 * 2 - 0.5)
    assert E.gae([[1.0]], [[1]], [[0]], v1, 0.9, 0.95)[0, 0] == pytest.approx(0.5)
    assert E.gae([[1.0]], [[0]], [[1]], v1, 0.9, 0.95, final_values=[[4.0]])[0, 0] == pytest.approx(1 + 3.6 - 0.5)
    # All terminated: every advantage is r − V; all truncated: r + γ f − V.
    T = 6
    r = np.arange(T, dtype=float)
    v = np.ones(T + 1)
    np.testing.assert_allclose(E.gae(r, np.ones(T, bool), np.zeros(T, bool), v, 0.9, 0.9), r - 1)
    np.testing.assert_allclose(E.gae(r, np.zeros(T, bool), np.ones(T, bool), v, 0.9, 0.9, final_values=np.full(T, 2.0)),
                               r + 1.8 - 1)
    # 1-D inputs are one environment; results keep the shape.
    assert E.td_errors(r, np.zeros(T, bool), np.zeros(T, bool), v, 0.9).shape == (T,)


def test_on_a_real_rollout_with_truncations():
    """CartPole with a short time limit: final values from the env's
    final_obs; the estimators agree with the reference."""
    env = swiftpg.make_vec("CartPole-v1", 4, seed=0, max_episode_steps=15)
    value = swiftpg.policies.ValueFunction(4, hidden_sizes=(8,), seed=0)
    obs, _ = env.reset()
    T = 50
    rews, tes, trs, vals, finals = [], [], [], [value.predict(obs)], []
    rng = np.random.default_rng(0)
    for _ in range(T):
        obs, r, te, tr, info = env.step(rng.integers(0, 2, 4))
        rews.append(r)
        tes.append(te)
        trs.append(tr)
        vals.append(value.predict(obs))
        finals.append(value.predict(info["final_obs"]) if "final_obs" in info else np.zeros(4))
    r, te, tr, v, f = map(np.array, (rews, tes, trs, vals, finals))
    assert tr.any() and te.any()
    np.testing.assert_allclose(E.gae(r, te, tr, v, 0.99, 0.95, final_values=f),
                               reference_gae(r, te, tr, v, f, 0.99, 0.95), atol=1e-12)
    env.close()
    value.close()


@pytest.mark.parametrize("call, words", [
    (lambda: E.gae([1.0], [0], [0], [0.0, 0.0], 1.5, 0.9), "gamma"),
    (lambda: E.gae([1.0], [0], [0], [0.0, 0.0], 0.9, -0.1), "lam"),
    (lambda: E.gae([1.0], [0], [0], [0.0], 0.9, 0.9), "shape"),
    (lambda: E.gae([1.0], [0], [1], [0.0, 0.0], 0.9, 0.9), "final_values"),
    (lambda: E.gae([np.nan], [0], [0], [0.0, 0.0], 0.9, 0.9), "finite"),
    (lambda: E.gae([1.0], [2], [0], [0.0, 0.0], 0.9, 0.9), "0 and 1"),
    (lambda: E.gae([1.0], [0.5], [0], [0.0, 0.0], 0.9, 0.9), "booleans"),
    (lambda: E.gae([], [], [], [0.0], 0.9, 0.9), "shape"),
    (lambda: E.td_errors([1.0], [0], [0], None, 0.9), "values"),
    (lambda: E.n_step_returns([1.0], [0], [0], 0.9, 0), "n"),
    (lambda: E.gae([[1.0, 2.0]], [[0, 0]], [[0, 0]], [[0.0], [0.0]], 0.9, 0.9), "shape"),
])
def test_bad_input(call, words):
    with pytest.raises((ValueError, TypeError), match=words):
        call()
